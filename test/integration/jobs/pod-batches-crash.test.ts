import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import { submit } from '../../../src/service/requests.ts';
import { auditMark, type AuditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { faultReport } from '../support/report.ts';
import { REPO, createStatefulSet, waitFor, waitForRollout } from '../support/workloads.ts';
import { childWorker } from './worker-process.ts';
import { CLUSTERS, delivery, ledgerOf, marks, partitionWrites, upgradeConfigDoc, upgradeHarness, waitForStatus } from './upgrade-support.ts';

/**
 * kill -9 of the worker during batch 2 of a pod-batch release (issue 15), at random moments and
 * over several runs: a fresh worker process picks the job up, resumes from the ledger, and the
 * release completes. The apiservers' audit logs then show each partition value written once per
 * StatefulSet and run, in the release's order (never set backwards), and the new image once.
 */
const RUNS = Number(process.env['POD_BATCH_CRASH_RUNS'] ?? 2);
const KILLS_PER_RUN = 2;
const REPLICAS = 8;

describe('pod-batch release under kill -9', () => {
  it(`completes with each partition written once when the worker is killed during batch 2, over ${RUNS} runs`, { timeout: 180_000 + RUNS * 90_000 }, async () => {
    const ns = await testNamespace({ clusters: [...CLUSTERS], prefix: 'podk' });
    await Promise.all(CLUSTERS.map(async (c) => waitForRollout(adminClients(c), await createStatefulSet(adminClients(c), ns.name, 'db', { replicas: REPLICAS, tag: 'v1' }), 120_000)));
    const doc = { ...upgradeConfigDoc(ns.name, []), apps: { db: { image: REPO, maxReplicas: 20, workload: { kind: 'StatefulSet', name: 'db' } } } };
    const config = validateConfig(doc, {});
    if (!config.ok) throw new Error(JSON.stringify(config.error));
    const prefix = `t-${randomBytes(4).toString('hex')}:`;
    const t = upgradeHarness(config.value, { worker: false, prefix });
    const worker = await childWorker(doc, prefix);

    for (let run = 1; run <= RUNS; run++) {
      const m = marks(auditMark);
      // 1 pod, then 5 in all (4 more, moved one at a time), then all 8.
      const req = await submit(t.s, { text: `/deploy db r${run + 1} to test pods=1,5,100% gate=auto`, actor: 'bob', deliveryId: delivery() });
      const opId = req.opId as string;
      expect(opId, req.message.text).toBeDefined();
      await waitFor('batch 2 to start', async () => {
        if ((await ledgerOf(t.s, opId).catch(() => undefined))?.batches[1] === 'running') return true;
        const op = await t.s.ops.get(opId);
        // Ended or paused before batch 2: say why at once (with what the worker said).
        if (op !== undefined && ['succeeded', 'failed', 'paused', 'cancelled', 'blocked'].includes(op.status)) throw new Error(`${opId} is ${op.status} before batch 2: ${op.summary}; worker: ${worker.current.log.join('')}`);
        return undefined;
      }, 180_000, 50);
      const killedAt: string[] = [];
      for (let k = 0; k < KILLS_PER_RUN; k++) {
        await sleep(randomInt(100, 2000));
        if ((await ledgerOf(t.s, opId)).batches[1] !== 'running') break;
        await worker.kill9();
        const before = await ledgerOf(t.s, opId);
        killedAt.push([...before.workloads.entries()].map(([key, e]) => `${key.split('#')[1] ?? key}@${key.split('/')[0] ?? ''}:${e.step}`).join(' '));
        await worker.start();
        await waitFor('the job to resume in the new worker', async () => {
          const now = await ledgerOf(t.s, opId);
          return JSON.stringify([...now.workloads]) !== JSON.stringify([...before.workloads]) || now.gate.state !== 'running' ? true : undefined;
        }, 60_000, 100);
      }
      const op = await waitForStatus(t.s, opId, ['succeeded', 'paused', 'failed', 'cancelled'], 120_000);
      expect(op.status, `${op.summary} (killed at: ${killedAt.join(' | ')}; child log: ${worker.current.log.join('')})`).toBe('succeeded');
      expect(killedAt.length).toBeGreaterThan(0);
      for (const c of CLUSTERS) {
        // image with partition 7 (one pod), then 3 (five in all), then 0, then the strategy as it was (no rollingUpdate block).
        expect(await partitionWrites(m[c] as AuditMark, ns.name), `${c}, run ${run}, killed at: ${killedAt.join(' | ')}`).toEqual(['image+7', '3', '0', 'restore']);
        const sts = await adminClients(c).apps.readNamespacedStatefulSet({ namespace: ns.name, name: 'db' });
        expect([sts.spec?.template.spec?.containers.find((x) => x.name === 'web')?.image, sts.spec?.updateStrategy, sts.status?.updatedReplicas]).toEqual([`${REPO}:r${run + 1}`, { type: 'RollingUpdate' }, REPLICAS]);
      }
      faultReport('pod-batch-kill-9', { run, kills: killedAt.length, killed_at: killedAt.join(' | '), statefulsets: CLUSTERS.length, stuck_jobs: op.status === 'succeeded' ? 0 : 1 });
    }
  });
});
