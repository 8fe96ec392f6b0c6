import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../../src/local/port.ts';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { createServices, runWorker } from '../../../src/service/services.ts';
import { adminClients } from '../support/cluster.ts';
import { auditMark, countBotWrites } from '../support/audit.ts';
import { faultReport } from '../support/report.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { jobsConfig } from './support.ts';

/**
 * Redis restarted (AOF on) while operations are under way: nothing approved is lost, nothing
 * runs twice. A Redis of this test's own on a fixed port, so the clients reconnect to it.
 */
const APPS = Array.from({ length: 8 }, (_, i) => `r${i}`);


function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve(p);
    });
    p.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}): ${out}`)));
  });
}

async function stopRedis(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM'); // a clean shutdown writes the AOF out
  await exited;
}

describe('Redis restarted under load', () => {
  it('loses no approval and no approved job, and runs each deploy once', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'rrestart' });
    await Promise.all(APPS.map(async (a) => waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, a, { replicas: 1, tag: 'v1' }))));
    const base = jobsConfig(ns.name, ['gz']);
    const web = base.apps['web'];
    if (web === undefined) throw new Error('no web app');
    const config = { ...base, apps: Object.fromEntries(APPS.map((a) => [a, { ...web, workload: { kind: 'Deployment' as const, name: a } }])) };

    const dir = mkdtempSync(join(tmpdir(), 'chatops-redis-'));
    const port = await freePort();
    let redis = await startRedis(port, dir);
    onTestFinished(async () => {
      await stopRedis(redis);
      rmSync(dir, { recursive: true, force: true });
    });
    const s = createServices(config, { redisUrl: `redis://127.0.0.1:${port}`, prefix: `rr-${randomBytes(3).toString('hex')}:` });
    const worker = runWorker(s, { rolloutTimeoutMs: 60_000, lockDurationMs: 5_000, concurrency: 4 });
    onTestFinished(async () => {
      await worker.close();
      await s.close();
    });
    const mark = auditMark('gz');

    const asked: Awaited<ReturnType<typeof submit>>[] = [];
    for (const [i, a] of APPS.entries()) asked.push(await submit(s, { text: `/deploy ${a} v2 to test`, actor: 'alice', deliveryId: `rr-${ns.name}-${i}` }));
    const approvals = asked.map((r) => r.approvalId ?? '');
    expect(approvals.every((id) => id.startsWith('apr-'))).toBe(true);
    // Half approved before the restart (their jobs are queued or running when Redis goes away)…
    for (const id of approvals.slice(0, 4)) await decideApproval(s, id, 'approve', 'bob');
    await new Promise((r) => setTimeout(r, 1200)); // past appendfsync everysec
    await stopRedis(redis);
    await new Promise((r) => setTimeout(r, 1500));
    redis = await startRedis(port, dir);
    // …and half after it: the pending requests survived.
    for (const id of approvals.slice(4)) {
      const r = await waitFor(`approval ${id} after the restart`, async () => {
        try {
          return await decideApproval(s, id, 'approve', 'bob');
        } catch {
          return undefined; // still reconnecting
        }
      }, 20_000, 200);
      expect(r.message.status).toBe('succeeded');
    }
    const ops = await waitFor('all 8 deploys to finish', async () => {
      const all = await Promise.all(asked.map((r) => s.ops.get(r.opId ?? '')));
      return all.every((o) => o !== undefined && ['succeeded', 'failed', 'blocked'].includes(o.status)) ? all : undefined;
    }, 120_000, 500);
    expect(ops.map((o) => o?.status)).toEqual(APPS.map(() => 'succeeded'));
    const writes = await countBotWrites(mark, { namespace: ns.name, successfulOnly: true });
    expect(writes).toBe(APPS.length);
    faultReport('redis-restart', { deploys: APPS.length, approved_before_restart: 4, approved_after_restart: APPS.length - 4, lost_approvals_or_jobs: APPS.length - ops.filter((o) => o?.status === 'succeeded').length, bot_writes: writes });
  });
});
