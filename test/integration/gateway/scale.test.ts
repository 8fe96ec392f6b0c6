import { describe, expect, it } from 'vitest';
import { adminClients, botGateway } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, createStatefulSet, generation, pods, waitFor, waitForRollout } from '../support/workloads.ts';

describe('scale through the scale subresource, as the bot', () => {
  it.each(['Deployment', 'StatefulSet'] as const)('scales a %s up and down', async (kind) => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = kind === 'Deployment' ? await createDeployment(admin, ns.name, 'web', { replicas: 2 }) : await createStatefulSet(admin, ns.name, 'web', { replicas: 2 });
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const mark = auditMark();

    const up = await gw.scale({ ...ref, replicas: 4, expectedFrom: 2 });
    expect([up.changed, up.from, up.to]).toEqual([true, 2, 4]);
    // The scale subresource's answer has no generation: read the workload's, so the follow
    // waits for this change and not a shared-watch event from before it.
    const upDone = await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: await generation(admin, ref) });
    expect(upDone.outcome).toBe('complete');
    expect(upDone.last).toMatchObject({ replicas: 4, ready: 4, available: 4 });
    await waitFor('4 pods', async () => ((await pods(admin, ns.name, 'web')).length === 4 ? true : undefined));

    const down = await gw.scale({ ...ref, replicas: 1 });
    expect([down.changed, down.from, down.to]).toEqual([true, 4, 1]);
    expect((await gw.followRollout(ref, { timeoutMs: 60_000, minGeneration: await generation(admin, ref) })).last).toMatchObject({ replicas: 1, current: 1, ready: 1 });
    await waitFor('1 pod', async () => ((await pods(admin, ns.name, 'web')).length === 1 ? true : undefined));

    const again = await gw.scale({ ...ref, replicas: 1 });
    expect(again.changed).toBe(false);

    // Both writes went through the scale subresource (update), nothing else was written
    // (a 409 met while the controller wrote status would be retried and show up as refused).
    const all = await botWrites(mark, { namespace: ns.name });
    expect(all.filter((w) => w.code !== 200).every((w) => w.code === 409)).toBe(true);
    const writes = all.filter((w) => w.code === 200);
    expect(writes.map((w) => [w.verb, w.resource, w.subresource, w.code])).toEqual([
      ['update', kind === 'Deployment' ? 'deployments' : 'statefulsets', 'scale', 200],
      ['update', kind === 'Deployment' ? 'deployments' : 'statefulsets', 'scale', 200],
    ]);
  });
});
