import { describe, expect, it } from 'vitest';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, createStatefulSet, rollTemplate, waitForRollout, webTemplate } from '../support/workloads.ts';
import type { KubeClients } from '../../../src/kube/clients.ts';
import type { WorkloadRef } from '../../../src/kube/workload.ts';

/** v1 → v2 → v3, each a new revision with its own image and RELEASE env var. */
async function threeRevisions(admin: KubeClients, ref: WorkloadRef): Promise<void> {
  await waitForRollout(admin, ref);
  for (const tag of ['v2', 'v3']) {
    await rollTemplate(admin, ref, tag);
    await waitForRollout(admin, ref);
  }
}

describe('rollback through the gateway, as the bot', () => {
  it('returns a Deployment to the previous revision as a new revision, restoring the whole template', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    await threeRevisions(admin, ref);
    const gw = botGateway();
    expect((await gw.status(ref)).revision).toBe(3);

    const r = await gw.rollback({ ...ref, expectedRevision: 3 });
    expect(r.changed).toBe(true);
    expect(r.from.revision).toBe(3);
    expect(r.to.revision).toBe(2);
    expect(r.from.images.find((c) => c.name === 'web')?.image).toBe(`${REPO}:v3`);
    expect(r.to.images.find((c) => c.name === 'web')?.image).toBe(`${REPO}:v2`);
    const done = await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: r.generation });
    expect(done.outcome).toBe('complete');

    // Image AND env var are back: the whole template was restored, not just the image.
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v2`, release: 'v2' });
    const status = await gw.status(ref);
    expect(status.revision).toBe(4);
    const history = await gw.history(ref);
    // Revision 2's ReplicaSet was reused and renumbered 4; it is the current one.
    expect(history.map((h) => h.revision)).toEqual([1, 3, 4]);
    expect(history.find((h) => h.current)?.revision).toBe(4);
    expect(history.find((h) => h.revision === 4)?.changeCause).toBe('rollback to revision 2');
  });

  it('rolls back to a named revision or tag, and rolling back to the current revision is a no-op', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    await threeRevisions(admin, ref);
    const gw = botGateway();

    const r = await gw.rollback({ ...ref, target: { kind: 'revision', revision: 1 } });
    expect([r.changed, r.from.revision, r.to.revision]).toEqual([true, 3, 1]);
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: r.generation })).outcome).toBe('complete');
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1`, release: 'v1' });
    expect((await gw.status(ref)).revision).toBe(4);

    const same = await gw.rollback({ ...ref, target: { kind: 'revision', revision: 4 } });
    expect(same.changed).toBe(false);
    expect(same.generation).toBe(r.generation);

    const byTag = await gw.rollback({ ...ref, target: { kind: 'tag', tag: 'v3' } });
    expect([byTag.changed, byTag.from.revision, byTag.to.revision]).toEqual([true, 4, 3]);
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: byTag.generation })).outcome).toBe('complete');
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v3`, release: 'v3' });

    const missing = await gw.rollback({ ...ref, target: { kind: 'revision', revision: 42 } }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'invalid' });
    expect((missing as Error).message).toMatch(/no revision 42/);
  });

  it('rolls a StatefulSet back through its ControllerRevisions', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createStatefulSet(admin, ns.name);
    await waitForRollout(admin, ref);
    await rollTemplate(admin, ref, 'v2');
    await waitForRollout(admin, ref);
    const gw = botGateway();

    const r = await gw.rollback(ref);
    expect([r.changed, r.from.revision, r.to.revision]).toEqual([true, 2, 1]);
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: r.generation })).outcome).toBe('complete');
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1`, release: 'v1' });
    const history = await gw.history(ref);
    expect(history.find((h) => h.current)).toMatchObject({ revision: 3 });
    expect(history.find((h) => h.current)?.images.find((c) => c.name === 'web')?.image).toBe(`${REPO}:v1`);
  });
});
