import { describe, expect, it } from 'vitest';
import { describeChange } from '../../../src/core/field-diff.ts';
import { KubeError } from '../../../src/kube/errors.ts';
import { StaleRequest } from '../../../src/kube/retry.ts';
import { patchWorkload, readWorkload } from '../../../src/kube/workload.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { capReplicas } from '../support/policy.ts';
import { REPO, createDeployment, createStatefulSet, generation, rollTemplate, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * The dry-run variants of the gateway's writes: the same patch with dryRun=All, as the bot.
 * The apiserver runs admission and validation and stores nothing; the answer is the object it
 * would store, and the preview is the diff of that against the live object.
 */
describe('writes with dryRun=All, as the bot', () => {
  it('a set-image dry run shows the image change and stores nothing', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 2 });
    await waitForRollout(admin, ref);
    const gen = await generation(admin, ref);

    const r = await botGateway().setImage({ ...ref, image: `${REPO}:v2`, container: 'web', expectedFrom: `${REPO}:v1` }, { dryRun: true });
    expect(r.changed).toBe(true);
    expect(r.preview?.changes.map(describeChange)).toEqual([`container web image: ${REPO}:v1 → ${REPO}:v2`]);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
    expect(await generation(admin, ref)).toBe(gen);
  });

  it("a pod-batch release's first write dry run (image and partition in one patch) shows both and stores nothing", async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createStatefulSet(admin, ns.name, 'db', { replicas: 3 });
    await waitForRollout(admin, ref);
    const gen = await generation(admin, ref);

    const r = await botGateway().setImageWithPartition({ namespace: ns.name, name: 'db', image: `${REPO}:v2`, container: 'web', partition: 2, expectedFrom: `${REPO}:v1`, expectedPartition: 0 }, { dryRun: true });
    expect(r.changed).toBe(true);
    // Created with no rollingUpdate block (the apiserver leaves it out): the write adds the block.
    expect(r.preview?.changes.map(describeChange).sort()).toEqual([`container web image: ${REPO}:v1 → ${REPO}:v2`, 'spec.updateStrategy.rollingUpdate: (none) → {"partition":2}']);
    const live = await readWorkload(admin, ref);
    expect(live.kind === 'StatefulSet' ? live.object.spec?.updateStrategy : 'not a StatefulSet').toEqual({ type: 'RollingUpdate' });
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
    expect(await generation(admin, ref)).toBe(gen);
  });

  it('a restart dry run shows the annotation and stores nothing; a rollback dry run shows the template going back', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    await rollTemplate(admin, ref, 'v2');
    await waitForRollout(admin, ref);
    const gen = await generation(admin, ref);
    const gw = botGateway();

    const restarted = await gw.restart({ ...ref, token: 'op-123' }, { dryRun: true });
    expect(restarted.preview?.changes.map(describeChange)).toEqual(['pod annotation kubectl.kubernetes.io/restartedAt: (none) → op-123']);

    const back = await gw.rollback({ ...ref, target: { kind: 'previous' } }, { dryRun: true });
    const described = back.preview?.changes.map(describeChange) ?? [];
    expect(described).toContain(`container web image: ${REPO}:v2 → ${REPO}:v1`);
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v2`, release: 'v2' });
    expect(await generation(admin, ref)).toBe(gen);
  });

  it.each(['Deployment', 'StatefulSet'] as const)('a scale dry run of a %s over an admission policy cap is refused with the policy message; under it, previewed', async (kind) => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = kind === 'Deployment' ? await createDeployment(admin, ns.name, 'web', { replicas: 2 }) : await createStatefulSet(admin, ns.name, 'web', { replicas: 2 });
    const message = await capReplicas('gz', ns.name, 20);
    const gw = botGateway();

    const refused = await gw.scale({ ...ref, replicas: 50, expectedFrom: 2 }, { dryRun: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeError);
    expect((refused as KubeError).message).toContain(message);

    const ok = await gw.scale({ ...ref, replicas: 10, expectedFrom: 2 }, { dryRun: true });
    expect(ok.preview?.changes.map(describeChange)).toEqual(['replicas: 2 → 10']);
    expect((await readWorkload(admin, ref)).object.spec?.replicas).toBe(2);
  });

  it('an image changed by another field manager since the request makes the write stale, naming the manager', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web', { replicas: 1 });
    await waitForRollout(admin, ref);
    await patchWorkload(admin, ref, 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:hand` }] } } } }, { fieldManager: 'kubectl-edit' });

    const err = await botGateway().setImage({ ...ref, image: `${REPO}:v2`, container: 'web', expectedFrom: `${REPO}:v1` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleRequest);
    expect((err as StaleRequest).message).toMatch(new RegExp(`container web image is ${REPO}:hand now, not ${REPO}:v1 \\(changed by kubectl-edit at \\d\\d:\\d\\d UTC\\)`));
    expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:hand` });
  });
});
