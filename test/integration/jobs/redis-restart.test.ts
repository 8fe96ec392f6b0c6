import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { createServices, runWorker, type Services } from '../../../src/service/services.ts';
import { adminClients } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { faultReport } from '../support/report.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { jobsConfig } from './support.ts';

/**
 * Redis killed with SIGKILL (a crash: no shutdown, no AOF flush on the way out) while approvals
 * are pending and approved deploys are queued and running, then started again from its folder.
 * With the persistence the project recommends (scripts/services/redis.sh: AOF, appendfsync
 * everysec), nothing the bot acknowledged is lost: every pending approval can still be decided,
 * every approved deploy still runs, and each writes to Kubernetes once. The negative control
 * runs the same crash on a Redis without AOF or snapshots and must find the loss, which shows
 * that the check can fail. Redis runs from the project's own script, so the test runs what
 * local mode and the tests run.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const REDIS = resolve(ROOT, 'scripts/services/redis.sh');
const run = promisify(execFile);
const APPS = Array.from({ length: 8 }, (_, i) => `r${i}`);
const APPROVED_BEFORE = 4;

type Persistence = 'aof' | 'none';

async function redis(verb: 'start' | 'kill' | 'stop', dir: string, persistence: Persistence): Promise<string> {
  const { stdout } = await run('bash', [REDIS, verb, dir], { env: { ...process.env, REDIS_PERSISTENCE: persistence }, timeout: 30_000 });
  return stdout.trim();
}

/** What the bot told chat before the crash: the approvals it opened and the ones it queued. */
interface Acknowledged {
  readonly pending: { approvalId: string; opId: string }[];
  readonly approved: { approvalId: string; opId: string }[];
}

/** What of the acknowledged state is gone: the same check for both runs. */
async function lostAfterCrash(s: Services, ack: Acknowledged): Promise<{ approvals: string[]; operations: string[]; jobs: string[] }> {
  const approvals: string[] = [];
  for (const a of [...ack.pending, ...ack.approved]) if ((await s.approvals.get(a.approvalId)) === undefined) approvals.push(a.approvalId);
  const operations: string[] = [];
  const jobs: string[] = [];
  for (const a of [...ack.pending, ...ack.approved]) if ((await s.ops.get(a.opId)) === undefined) operations.push(a.opId);
  for (const a of ack.approved) {
    const op = await s.ops.get(a.opId);
    // An approved deploy lives on as its job (queued, running, retried) until the operation ends.
    const ended = op !== undefined && ['succeeded', 'failed', 'blocked'].includes(op.status);
    if (!ended && (await s.queue.getJob(a.opId)) === undefined) jobs.push(a.opId);
  }
  return { approvals, operations, jobs };
}

describe.each<[string, Persistence]>([
  ['with the recommended AOF (appendfsync everysec)', 'aof'],
  ['without persistence (negative control)', 'none'],
])('Redis killed with SIGKILL under load, %s', (_what, persistence) => {
  it(persistence === 'aof' ? 'loses no approval and no approved job, and runs each deploy once' : 'the same check finds the loss', { timeout: 240_000 }, async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: persistence === 'aof' ? 'rkill' : 'rkill-none' });
    await Promise.all(APPS.map(async (a) => waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, a, { replicas: 2, tag: 'v1' }))));
    const base = jobsConfig(ns.name, ['gz']);
    const web = base.apps['web'];
    if (web === undefined) throw new Error('no web app');
    const config = { ...base, apps: Object.fromEntries(APPS.map((a) => [a, { ...web, workload: { kind: 'Deployment' as const, name: a } }])) };

    const dir = mkdtempSync(join(tmpdir(), 'chatops-redis-'));
    const url = await redis('start', dir, persistence);
    onTestFinished(async () => {
      await redis('stop', dir, persistence);
      rmSync(dir, { recursive: true, force: true });
    });
    const s = createServices(config, { redisUrl: url, prefix: `rk-${randomBytes(3).toString('hex')}:` });
    // Two at a time: of the approved deploys, some run and some wait in the queue when Redis dies.
    const worker = runWorker(s, { rolloutTimeoutMs: 60_000, lockDurationMs: 5_000, concurrency: 2 });
    worker.on('error', () => undefined); // Redis going away is this test's point
    onTestFinished(async () => {
      await worker.close(true);
      await s.close();
    });
    const mark = auditMark('gz');

    const asked: { approvalId: string; opId: string }[] = [];
    for (const [i, a] of APPS.entries()) {
      const r = await submit(s, { text: `/deploy ${a} v2 to test`, actor: 'alice', deliveryId: `rk-${ns.name}-${i}` });
      expect(r.approvalId, r.message.text).toMatch(/^apr-/);
      asked.push({ approvalId: r.approvalId ?? '', opId: r.opId ?? '' });
    }
    const approved = asked.slice(0, APPROVED_BEFORE);
    for (const a of approved) expect((await decideApproval(s, a.approvalId, 'approve', 'bob')).message.status).toBe('succeeded');
    const ack: Acknowledged = { pending: asked.slice(APPROVED_BEFORE), approved };
    // Kill while some approved deploys run and others still wait: nothing gets time to reach disk on purpose.
    const before = await waitFor('deploys running and queued', async () => {
      const st = await Promise.all(approved.map(async (a) => (await s.ops.get(a.opId))?.status));
      return st.includes('running') && st.includes('queued') ? st : undefined;
    }, 30_000, 20);
    await redis('kill', dir, persistence);
    await redis('start', dir, persistence);
    const lost = await waitFor('the bot to reconnect', async () => {
      try {
        // Commands sent while the clients reconnect may wait: give each round 5 s.
        return await Promise.race([lostAfterCrash(s, ack), sleep(5000).then(() => undefined)]);
      } catch {
        return undefined;
      }
    }, 60_000, 200);
    const lostCount = lost.approvals.length + lost.operations.length + lost.jobs.length;

    if (persistence === 'none') {
      // The control: the same check must see that acknowledged state is gone.
      expect(lostCount).toBeGreaterThan(0);
      expect(lost.approvals.length).toBe(APPS.length);
      faultReport('redis-kill-9-no-persistence', { at_kill: before.join(','), approvals_lost: lost.approvals.length, operations_lost: lost.operations.length, jobs_lost: lost.jobs.length, loss_detected: true });
      return;
    }
    expect(lost).toEqual({ approvals: [], operations: [], jobs: [] });
    // The pending requests survived: approve them now.
    for (const a of ack.pending) expect((await decideApproval(s, a.approvalId, 'approve', 'bob')).message.status).toBe('succeeded');
    const ops = await waitFor('all 8 deploys to finish', async () => {
      const all = await Promise.all(asked.map((a) => s.ops.get(a.opId)));
      return all.every((o) => o !== undefined && ['succeeded', 'failed', 'blocked'].includes(o.status)) ? all : undefined;
    }, 150_000, 500);
    expect(ops.map((o) => o?.status)).toEqual(APPS.map(() => 'succeeded'));
    // One accepted patch per Deployment: a deploy interrupted by the crash was resumed, not repeated.
    const writes = (await botWrites(mark, { namespace: ns.name, successfulOnly: true })).filter((w) => w.verb === 'patch' && w.resource === 'deployments');
    expect(writes.map((w) => w.name).sort()).toEqual([...APPS].sort());
    faultReport('redis-kill-9', {
      persistence: 'aof everysec',
      at_kill: before.join(','),
      pending_approvals: ack.pending.length,
      approved_before_kill: approved.length,
      lost: lostCount,
      deploys_succeeded: ops.length,
      bot_writes: writes.length,
    });
  });
});
