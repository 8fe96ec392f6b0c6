import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../../src/jobs/ledger.ts';
import { submit } from '../../../src/service/requests.ts';
import { auditMark } from '../support/audit.ts';
import { faultReport } from '../support/report.ts';
import { REPO, waitFor } from '../support/workloads.ts';
import { childWorker } from './worker-process.ts';
import { appNames, deploymentWrites, delivery, each, fleet, images, ledgerOf, marks, upgradeConfig, upgradeConfigDoc, upgradeHarness, waitForStatus } from './upgrade-support.ts';

/**
 * kill -9 of the worker in the middle of batch 2, at random moments, a few times per run and
 * over several runs: each time a fresh worker process picks the job up (BullMQ's stalled-job
 * detection, 5 s lock), resumes from the step ledger, and the upgrade completes. The apiservers'
 * audit logs then show exactly one accepted write of the bot per workload and run: nothing
 * finished was touched again, and a write that landed just before a kill was not repeated.
 */
const RUNS = Number(process.env['UPGRADE_CRASH_RUNS'] ?? 2);
const KILLS_PER_RUN = 2;

/** A fingerprint of where batch 2's workloads stand, to see a resumed worker move them on. */
function progressOf(snap: LedgerSnapshot): string {
  return JSON.stringify([...snap.workloads].sort());
}

describe('batch upgrade under kill -9', () => {
  it(`completes with one write per workload when the worker is killed ${KILLS_PER_RUN}× during batch 2, over ${RUNS} runs`, { timeout: 120_000 + RUNS * 60_000 }, async () => {
    const apps = appNames(10);
    const ns = await fleet(apps, 'upgk');
    const prefix = `t-${randomBytes(4).toString('hex')}:`;
    const t = upgradeHarness(upgradeConfig(ns.name, apps), { worker: false, prefix });
    const worker = await childWorker(upgradeConfigDoc(ns.name, apps), prefix);

    for (let run = 1; run <= RUNS; run++) {
      const target = `${REPO}:r${run + 1}`;
      const m = marks(auditMark);
      const req = await submit(t.s, { text: `/upgrade ${target} apps=* env=test batches=gz,nj gate=auto concurrency=4`, actor: 'bob', deliveryId: delivery() });
      const opId = req.opId as string;
      expect(opId, req.message.text).toBeDefined();
      await waitFor('batch 2 to start', async () => ((await ledgerOf(t.s, opId).catch(() => undefined))?.batches[1] === 'running' ? true : undefined), 60_000, 50);
      const killedAt: string[] = [];
      const resumeMs: number[] = [];
      for (let k = 0; k < KILLS_PER_RUN; k++) {
        await sleep(randomInt(200, 2500));
        if ((await ledgerOf(t.s, opId)).batches[1] !== 'running') break; // the batch finished first: nothing left to interrupt
        await worker.kill9();
        const before = await ledgerOf(t.s, opId);
        const steps = [...before.workloads.values()].map((w) => w.step);
        killedAt.push(`${steps.filter((x) => x === 'done').length} done + ${steps.filter((x) => x === 'written').length} written`);
        const killed = Date.now();
        await worker.start();
        // Wait for the new worker to take the job over (after the dead one's lock ran out) and move a workload on.
        await waitFor('the job to resume in the new worker', async () => {
          const now = await ledgerOf(t.s, opId);
          return progressOf(now) !== progressOf(before) || now.gate.state !== 'running' ? true : undefined;
        }, 45_000, 100);
        resumeMs.push(Date.now() - killed);
      }
      const op = await waitForStatus(t.s, opId, ['succeeded', 'paused', 'failed', 'cancelled'], 90_000);
      expect(op.status, `${op.summary} (killed at: ${killedAt.join(', ')}; child log: ${worker.current.log.join('')})`).toBe('succeeded');
      expect(killedAt.length).toBeGreaterThan(0);
      expect(await images(ns.name, apps, 'gz')).toEqual(apps.map(() => target));
      expect(await images(ns.name, apps, 'nj')).toEqual(apps.map(() => target));
      const writes = await deploymentWrites(m, ns.name);
      expect(Object.fromEntries([...writes].sort()), `run ${run}, killed at: ${killedAt.join(', ')}`).toEqual(Object.fromEntries([...each(apps, 1)].sort()));
      faultReport('worker-kill-9', {
        run,
        kills: killedAt.length,
        killed_at: killedAt.join('; '),
        resume_s: resumeMs.map((ms) => (ms / 1000).toFixed(1)).join(','),
        workloads: 20,
        duplicate_writes: [...writes.values()].reduce((n, c) => n + Math.max(0, c - 1), 0),
        stuck_jobs: op.status === 'succeeded' ? 0 : 1,
      });
    }
  });
});
