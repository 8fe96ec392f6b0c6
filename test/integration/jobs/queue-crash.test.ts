import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { submit } from '../../../src/service/requests.ts';
import { createServices } from '../../../src/service/services.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { faultReport } from '../support/report.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { delivery, jobsConfig, jobsConfigDoc, waitForOp } from './support.ts';
import { kill9, startChild } from './worker-process.ts';

/**
 * The operation queue under kill -9: the only worker dies while its job holds the head of a
 * workload's queue (and the workload's lease). The operation queued behind it must not wait
 * forever: a new worker picks the dead one's job up (BullMQ's stalled-job detection), finishes
 * it without writing twice, and the next in line then runs. The apiserver's audit log shows one
 * write per operation.
 */
describe('queue under kill -9', () => {
  it('the next in line runs after the worker holding the head is killed', { timeout: 180_000 }, async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'qk9' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 2, tag: 'v1' }));
    const prefix = `t-${randomBytes(4).toString('hex')}:`;
    const dir = mkdtempSync(join(tmpdir(), 'chatops-queue-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(jobsConfigDoc(ns.name, ['gz'])));
    const s = createServices(jobsConfig(ns.name, ['gz']), { redisUrl: process.env['REDIS_URL'] ?? '', prefix });
    const env = { REDIS_URL: process.env['REDIS_URL'] ?? '', CHATOPS_PREFIX: prefix, CHATOPS_CONFIG: configFile, CHATOPS_LOCK_MS: '5000' };
    let child = await startChild(env);
    onTestFinished(async () => {
      await kill9(child);
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const mark = auditMark('gz');
    // A holds web for about 10 s: its image never becomes ready, and the rollout fails at the progress deadline.
    const a = await submit(s, { text: '/deploy web broken to test', actor: 'bob', deliveryId: delivery() });
    const aId = a.opId as string;
    // Killed once its write is in and it follows the rollout (holding the lease and the head of the queue).
    await waitFor('A to write', async () => ((await s.audit.query({ opId: aId, limit: 20 })).some((e) => e.kind === 'step') ? true : undefined), 60_000, 100);
    const b = await submit(s, { text: '/scale web 3 in test', actor: 'carol', deliveryId: delivery() });
    const bId = b.opId as string;
    expect(b.message.text).toContain(`Queued behind ${aId} (deploy web broken in test by bob, running)`);

    await kill9(child);
    const killed = Date.now();
    child = await startChild(env);
    const bDone = await waitForOp(s, bId, 120_000);
    const recoveredMs = Date.now() - killed;
    const aDone = await waitForOp(s, aId, 30_000);
    expect(aDone.status, aDone.summary).toBe('failed');
    expect(bDone.status, bDone.summary).toBe('succeeded');
    expect(Date.parse(bDone.updatedAt)).toBeGreaterThanOrEqual(Date.parse(aDone.updatedAt));

    const writes = await botWrites(mark, { namespace: ns.name, successfulOnly: true });
    const images = writes.filter((w) => JSON.stringify(w.requestObject).includes('team/web:broken'));
    const scales = writes.filter((w) => JSON.stringify(w.requestObject).includes('"replicas":3'));
    expect(writes.map((w) => `${w.verb} ${w.resource}${w.subresource === undefined ? '' : `/${w.subresource}`}`)).toHaveLength(2);
    expect([images.length, scales.length]).toEqual([1, 1]);
    faultReport('queue-kill-9', { killed_holding: aId, next_in_line: bId, next_done_after_s: (recoveredMs / 1000).toFixed(1), writes: writes.length, duplicate_writes: writes.length - 2 });
  });
});
