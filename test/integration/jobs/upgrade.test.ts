import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../src/jobs/context.ts';
import { decideUpgrade, decideApproval, submit } from '../../../src/service/requests.ts';
import type { Services } from '../../../src/service/services.ts';
import { auditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { REPO, ref, rollTemplate, waitFor } from '../support/workloads.ts';
import { appNames, deploymentWrites, delivery, each, fleet, images, ledgerOf, marks, probeServer, upgradeConfig, upgradeHarness, waitForStatus } from './upgrade-support.ts';

/**
 * Batch upgrades end to end: requests through the code chat and the CLI use, a real BullMQ
 * worker on the real Redis, the two real control planes (gz, nj), health probes answered by a
 * local HTTP server, and the bot's writes counted from the apiservers' audit logs.
 */
const V1 = `${REPO}:v1`;
const V2 = `${REPO}:v2`;
const counts = (m: Map<string, number>) => Object.fromEntries([...m].sort());

async function allEvents(s: Services, opId: string): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for (let after = '0'; ; ) {
    const page = await s.ops.events(opId, after, 10);
    if (page.length === 0) return out;
    out.push(...page.map((e) => e.event));
    after = page[page.length - 1]?.id ?? after;
  }
}

describe('batch upgrade', () => {
  it('20 workloads by region with manual gates: pauses after gz, one /continue however delivered, a failing nj probe pauses batch 2, /abort --rollback restores all but a newer deploy', async () => {
    const apps = appNames(10);
    const ns = await fleet(apps);
    const probe = await probeServer();
    probe.set('nj', 200, 'ERROR: cannot reach the database');
    const t = upgradeHarness(upgradeConfig(ns.name, apps, probe.base));
    const m = marks(auditMark);

    // A dev asks; an sre approves the exact plan (both batches, every workload's "from").
    const req = await submit(t.s, { text: `/upgrade ${V2} apps=* env=test batches=gz,nj gate=manual concurrency=10`, actor: 'alice', deliveryId: delivery() });
    expect(req.message.status).toBe('needs_approval');
    const opId = req.opId as string;
    expect((await decideApproval(t.s, req.approvalId as string, 'approve', 'bob')).message.status).toBe('succeeded');

    // Batch 1 (gz) runs, then the operation pauses for a decision.
    let op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.status).toBe('paused');
    expect(op.summary).toContain(`batch 1 of 2 is healthy; waiting for a decision: /continue ${opId}`);
    expect(await images(ns.name, apps, 'gz')).toEqual(apps.map(() => V2));
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V1));
    let ledger = await ledgerOf(t.s, opId);
    expect(ledger.gate).toMatchObject({ state: 'waiting_decision', batch: 1 });
    expect(ledger.batches).toEqual(['healthy', 'pending']);

    // The requester needs an approval for upgrades, so she can't wave batch 2 through herself.
    const self = await submit(t.s, { text: `/continue ${opId}`, actor: 'alice', deliveryId: delivery() });
    expect(self.message.status).toBe('denied');
    expect(self.message.text).toContain('needs an approval for upgrades');
    // One delivery arriving three times and a second person clicking at the same moment: one decision.
    const id = delivery();
    const clicks = await Promise.all([
      submit(t.s, { text: `/continue ${opId}`, actor: 'bob', deliveryId: id }),
      submit(t.s, { text: `/continue ${opId}`, actor: 'bob', deliveryId: id }),
      submit(t.s, { text: `/continue ${opId}`, actor: 'carol', deliveryId: delivery() }),
      submit(t.s, { text: `/continue ${opId}`, actor: 'bob', deliveryId: id }),
    ]);
    expect(clicks.filter((c) => c.message.text?.startsWith('Queued: continue with the next batch'))).toHaveLength(1);
    expect(clicks.filter((c) => c.repeat === true)).toHaveLength(2);

    // Batch 2 (nj) rolls out, but nj's probe reports an error: the upgrade pauses on batch 2.
    op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded', 'cancelled']);
    expect(op.status).toBe('paused');
    expect(op.summary).toContain('batch 2 of 2 failed');
    expect(op.summary).toContain('in the body');
    expect(op.summary).toContain(`/retry ${opId}`);
    ledger = await ledgerOf(t.s, opId);
    expect(ledger.decisions).toBe(1);
    expect(ledger.gate).toMatchObject({ state: 'paused_failed', batch: 2 });
    expect(ledger.batches).toEqual(['healthy', 'failed']);
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V2));
    expect((probe.hits.get('nj') ?? 0) >= 10).toBe(true);

    // /continue is for a healthy pause only; a decision on a finished batch is refused.
    const wrong = await decideUpgrade(t.s, opId, 'continue', 'bob');
    expect(wrong.message.text).toContain('/continue is only valid while it waits for a decision between batches');

    // Meanwhile someone deploys something newer to one gz workload: the rollback must keep it.
    await rollTemplate(adminClients('gz'), ref(ns.name, 'Deployment', 'a03'), 'v3');
    const abort = await submit(t.s, { text: `/abort ${opId} --rollback --reason "nj probe fails"`, actor: 'carol', deliveryId: delivery() });
    expect(abort.message.text).toContain('Queued: abort and roll back');
    op = await waitForStatus(t.s, opId, ['cancelled', 'failed']);
    expect(op.status).toBe('cancelled');
    expect(op.summary).toContain('aborted by carol; 19 workload(s) rolled back');
    expect(op.summary).toContain('1 kept a newer image');
    expect(await images(ns.name, apps, 'gz')).toEqual(apps.map((a) => (a === 'a03' ? `${REPO}:v3` : V1)));
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V1));
    expect((await ledgerOf(t.s, opId)).gate.state).toBe('rolled_back');

    // Every workload written once by the upgrade and once by the rollback; a03 only by the upgrade.
    const expected = each(apps, 2);
    expected.set('gz/a03', 1);
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(expected));

    // After the abort nothing more can be decided.
    expect((await decideUpgrade(t.s, opId, 'retry', 'bob')).message.text).toContain('it was aborted and rolled back');
    const trail = await t.s.audit.query({ opId, limit: 200 });
    expect(trail.map((e) => e.kind)).toEqual(expect.arrayContaining(['requested', 'approved', 'started', 'step', 'paused', 'resumed', 'cancelled', 'rolled_back']));
  });

  it('auto gates by share (10%, 50%, 100%) run all 20 workloads without stopping, one write each, with progress per batch and workload', async () => {
    const apps = appNames(10);
    const ns = await fleet(apps);
    const probe = await probeServer();
    const t = upgradeHarness(upgradeConfig(ns.name, apps, probe.base));
    const m = marks(auditMark);
    const req = await submit(t.s, { text: `/upgrade ${V2} apps=* env=test batches=10%,50%,100% gate=auto concurrency=8`, actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    expect(opId).toBeDefined();
    const op = await waitForStatus(t.s, opId, ['succeeded', 'paused', 'failed']);
    expect(op.status).toBe('succeeded');
    expect(op.summary).toBe(`upgrade to ${V2} finished on 20 workload(s) in 3 batch(es)`);
    expect(op.result?.targets).toHaveLength(20);
    expect(await images(ns.name, apps, 'gz')).toEqual(apps.map(() => V2));
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V2));
    const ledger = await ledgerOf(t.s, opId);
    expect(ledger.batches).toEqual(['healthy', 'healthy', 'healthy']);
    expect(ledger.gate.state).toBe('done');
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(each(apps, 1)));

    const events = await allEvents(t.s, opId);
    const batches = events.filter((e) => e.step === 'batch').map((e) => e.message);
    expect(batches).toEqual(['batch 1 of 3: 2 workload(s)', 'batch 2 of 3: 8 workload(s)', 'batch 3 of 3: 10 workload(s)']);
    const live = new Set(events.filter((e) => e.step === 'workload' && e.percent === 100).map((e) => `${e.cluster ?? ''}/${e.workload ?? ''}`));
    expect(live.size).toBe(20);
    expect(events.filter((e) => e.step === 'probe')).toHaveLength(20);
    expect(events.every((e) => e.opId === opId)).toBe(true);
  });

  it('a workload found at the target is not written again; a freeze set during batch 1 pauses before batch 2, and /continue after it lifts finishes', async () => {
    const apps = appNames(3);
    const ns = await fleet(apps);
    const t = upgradeHarness(upgradeConfig(ns.name, apps));
    const m = marks(auditMark);
    const req = await submit(t.s, { text: `/upgrade ${V2} apps=* env=test batches=gz,nj gate=auto`, actor: 'alice', deliveryId: delivery() });
    const opId = req.opId as string;
    // Bound at v1; then gz/a01 reaches v2 before the run, as if a write had landed just before a crash.
    await rollTemplate(adminClients('gz'), ref(ns.name, 'Deployment', 'a01'), 'v2');
    expect(req.approvalId).toBeDefined();
    await decideApproval(t.s, req.approvalId as string, 'approve', 'erin');
    await waitFor('batch 1 to start', async () => ((await ledgerOf(t.s, opId).catch(() => undefined))?.batches[0] === 'running' ? true : undefined), 30_000, 50);
    const now = t.s.clock();
    await t.s.freezes.freeze({ env: 'test', by: 'erin', reason: 'incident 7', until: new Date(now.getTime() + 3_600_000), now });
    const op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.status).toBe('paused');
    expect(op.summary).toContain('paused before batch 2 of 2: blocked: test is frozen by erin');
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V1));
    // While frozen, continuing is refused at the door; aborting would not be.
    expect((await decideUpgrade(t.s, opId, 'continue', 'bob')).message.text).toContain('frozen');
    await t.s.freezes.unfreeze({ env: 'test', by: 'erin', now: t.s.clock() });
    expect((await decideUpgrade(t.s, opId, 'continue', 'bob')).message.text).toContain('Queued: continue');
    expect((await waitForStatus(t.s, opId, ['succeeded', 'paused', 'failed'])).status).toBe('succeeded');
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V2));
    const expected = each(apps, 1);
    expected.delete('gz/a01');
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(expected));
    const steps = await t.s.audit.query({ opId, kind: 'step', limit: 100 });
    expect(steps.map((e) => e.summary)).toContain(`found ${V2} on a01 on gz (${ns.name}/a01) (batch 1)`);
  });

  it('a failed probe pauses the batch; /retry while it still fails pauses again, after the fix it finishes without writing twice', async () => {
    const apps = appNames(3);
    const ns = await fleet(apps);
    const probe = await probeServer();
    probe.set('nj', 503, 'maintenance');
    const t = upgradeHarness(upgradeConfig(ns.name, apps, probe.base));
    const m = marks(auditMark);
    const req = await submit(t.s, { text: `/upgrade ${V2} apps=* env=test batches=gz,nj gate=auto`, actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    let op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.summary).toContain('batch 2 of 2 failed');
    expect(op.summary).toContain('answered 503, expected 200');
    const again = await submit(t.s, { text: `/retry ${opId}`, actor: 'carol', deliveryId: delivery() });
    expect(again.message.text).toContain('Queued: retry the failed batch');
    await waitForStatus(t.s, opId, ['running', 'queued'], 10_000).catch(() => undefined);
    op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.status).toBe('paused');
    expect((await ledgerOf(t.s, opId)).decisions).toBe(1);
    probe.set('nj', 200, 'all good');
    await submit(t.s, { text: `/retry ${opId} --reason "db is back"`, actor: 'carol', deliveryId: delivery() });
    op = await waitForStatus(t.s, opId, ['succeeded', 'failed', 'cancelled']);
    expect(op.status).toBe('succeeded');
    expect((await ledgerOf(t.s, opId)).decisions).toBe(2);
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(each(apps, 1)));
  });

  it('a :broken image fails the rollouts of batch 1; the other region is never touched and /abort --rollback restores batch 1', async () => {
    const apps = appNames(2);
    const ns = await fleet(apps);
    const t = upgradeHarness(upgradeConfig(ns.name, apps));
    const m = marks(auditMark);
    const req = await submit(t.s, { text: `/upgrade ${REPO}:broken apps=* env=test batches=gz,nj gate=auto`, actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    const op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.status).toBe('paused');
    expect(op.summary).toContain('batch 1 of 2 failed: 2 of 2 workload(s) failed');
    expect(op.summary).toContain('progress deadline');
    expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => V1));
    await submit(t.s, { text: `/abort ${opId} --rollback`, actor: 'bob', deliveryId: delivery() });
    {
      const ended = await waitForStatus(t.s, opId, ['cancelled', 'failed']);
      expect(ended.status, ended.summary).toBe('cancelled');
    }
    expect(await images(ns.name, apps, 'gz')).toEqual(apps.map(() => V1));
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(each(apps, 2, ['gz'])));
  });

  it('20 workloads, a manual gate after batch 1: an image broken in nj passes gz, pauses batch 2 on its failed rollouts, and rollback restores every finished workload', async () => {
    const apps = appNames(10);
    const ns = await fleet(apps, 'upgb');
    const t = upgradeHarness(upgradeConfig(ns.name, apps));
    const m = marks(auditMark);
    const BROKEN = `${REPO}:broken-in-nj`;
    const req = await submit(t.s, { text: `/upgrade ${BROKEN} apps=* env=test batches=gz,nj gate=manual concurrency=10`, actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    let op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.summary).toContain(`batch 1 of 2 is healthy; waiting for a decision: /continue ${opId}`);
    expect(await images(ns.name, apps, 'gz')).toEqual(apps.map(() => BROKEN));
    await submit(t.s, { text: `/continue ${opId}`, actor: 'carol', deliveryId: delivery() });
    op = await waitFor('batch 2 to fail', async () => {
      const o = await t.s.ops.get(opId);
      return o?.status === 'paused' && o.summary.includes('batch 2 of 2 failed') ? o : undefined;
    }, 120_000);
    expect(op.summary).toContain('progress deadline');
    expect((await ledgerOf(t.s, opId)).batches).toEqual(['healthy', 'failed']);
    await submit(t.s, { text: `/abort ${opId} --rollback --reason "fails in nj"`, actor: 'carol', deliveryId: delivery() });
    {
      const ended = await waitForStatus(t.s, opId, ['cancelled', 'failed']);
      expect(ended.status, ended.summary).toBe('cancelled');
    }
    for (const c of ['gz', 'nj']) expect(await images(ns.name, apps, c)).toEqual(apps.map(() => V1));
    // One write forward and one back per workload, in both regions.
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(each(apps, 2)));
  });

  it('gate=first on 20 workloads in 4 batches: a person decides after batch 1, the rest goes on by itself', async () => {
    const apps = appNames(10);
    const ns = await fleet(apps, 'upgf');
    const t = upgradeHarness(upgradeConfig(ns.name, apps));
    const m = marks(auditMark);
    const batches = 'a00+a01,a02+a03+a04,a05+a06+a07,a08+a09';
    const req = await submit(t.s, { text: `/upgrade ${V2} apps=* env=test batches=${batches} gate=first concurrency=10`, actor: 'bob', deliveryId: delivery() });
    const opId = req.opId as string;
    const op = await waitForStatus(t.s, opId, ['paused', 'failed', 'succeeded']);
    expect(op.summary).toContain(`batch 1 of 4 is healthy; waiting for a decision: /continue ${opId}`);
    expect(await images(ns.name, ['a00', 'a01'], 'nj')).toEqual([V2, V2]);
    expect(await images(ns.name, ['a02', 'a09'], 'gz')).toEqual([V1, V1]);
    await submit(t.s, { text: `/continue ${opId}`, actor: 'carol', deliveryId: delivery() });
    const done = await waitForStatus(t.s, opId, ['succeeded', 'failed', 'cancelled']);
    expect(done.status, done.summary).toBe('succeeded');
    for (const c of ['gz', 'nj']) expect(await images(ns.name, apps, c)).toEqual(apps.map(() => V2));
    expect(counts(await deploymentWrites(m, ns.name))).toEqual(counts(each(apps, 1)));
    expect((await ledgerOf(t.s, opId)).batches).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
  });
});

