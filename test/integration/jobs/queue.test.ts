import { describe, expect, it } from 'vitest';
import { decideUpgrade, submit } from '../../../src/service/requests.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from './support.ts';
import { appNames, fleet, images, upgradeConfig, upgradeHarness, waitForStatus } from './upgrade-support.ts';

/**
 * The operation queue with the real worker and control plane: an operation waiting its turn
 * expires (with the queue's maxWait, when it needed no approval) and runs nothing; a paused
 * batch upgrade holds only the workloads it still has to change.
 */
describe('operation queue, end to end', () => {
  it('a queued operation that waits past its expiry ends as expired and writes nothing', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'qexp' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 2, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    const mark = auditMark('gz');
    // Holds web for about 10 s (its rollout fails at the progress deadline).
    const a = await submit(t.s, { text: '/deploy web broken to test', actor: 'bob', deliveryId: delivery() });
    await waitForStatus(t.s, a.opId as string, ['running']);
    const b = await submit(t.s, { text: '/scale web 3 in test', actor: 'carol', deliveryId: delivery() });
    expect(b.message.text).toContain(`Queued behind ${a.opId ?? '?'}`);
    t.advance(2 * 3600_000); // past queue.maxWait (1 h)
    const bDone = await waitForOp(t.s, b.opId as string, 60_000);
    expect(bDone.status).toBe('expired');
    expect(bDone.summary).toMatch(/^Expired in the queue at .* before its turn came; nothing was run\./);
    await waitForOp(t.s, a.opId as string, 60_000);
    const writes = await botWrites(mark, { namespace: ns.name, successfulOnly: true });
    expect(writes.filter((w) => JSON.stringify(w.requestObject).includes('"replicas":3'))).toEqual([]);
  });

  it('a paused upgrade holds only what it still has to change: a finished workload is free at once, a pending one waits until it is decided', async () => {
    const apps = appNames(2);
    const ns = await fleet(apps, 'qup');
    const t = upgradeHarness(upgradeConfig(ns.name, apps));
    const up = await submit(t.s, { text: `/upgrade ${REPO}:v2 apps=${apps.join(',')} env=test batches=gz,nj gate=manual`, actor: 'bob', deliveryId: delivery() });
    const upId = up.opId as string;
    await waitForStatus(t.s, upId, ['paused']);
    await waitFor('the upgrade to pause in the queue', async () => ((await t.s.opQueue.get(upId))?.state === 'paused' ? true : undefined), 10_000, 100);
    expect([...((await t.s.opQueue.get(upId))?.workloads ?? [])].sort()).toEqual(apps.map((a) => `nj/${ns.name}/Deployment/${a}`).sort());

    // a00 on gz was finished by batch 1: a deploy there runs now.
    const free = await submit(t.s, { text: '/deploy a00 v9 to test cluster=gz', actor: 'bob', deliveryId: delivery() });
    expect(free.message.text).not.toContain('Queued behind');
    expect((await waitForOp(t.s, free.opId as string)).status).toBe('succeeded');
    // a01 on nj is still to be upgraded: a deploy there waits for the upgrade.
    const held = await submit(t.s, { text: '/deploy a01 v9 to test cluster=nj', actor: 'bob', deliveryId: delivery() });
    expect(held.message.text).toContain(`Queued behind ${upId} (upgrade a00,a01 to v2 in test by bob, paused, waiting for a decision)`);
    await new Promise((r) => setTimeout(r, 4000));
    expect((await t.s.ops.get(held.opId as string))?.status).toBe('queued');
    expect(await images(ns.name, ['a01'], 'nj')).toEqual([`${REPO}:v1`]);

    // Aborted (without rollback): it lets go, and the deploy runs.
    expect((await decideUpgrade(t.s, upId, 'abort', 'bob')).message.text).toContain('Queued: abort');
    expect((await waitForOp(t.s, held.opId as string)).status).toBe('succeeded');
    expect(await images(ns.name, ['a01'], 'nj')).toEqual([`${REPO}:v9`]);
    expect(await images(ns.name, ['a00'], 'gz')).toEqual([`${REPO}:v9`]);
  });
});
