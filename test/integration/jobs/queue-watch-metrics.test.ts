import { describe, expect, it, onTestFinished } from 'vitest';
import { processWatches } from '../../../src/kube/watch-hub.ts';
import { silentLog } from '../../../src/log.ts';
import { startApi } from '../../../src/server/api.ts';
import { submit } from '../../../src/service/requests.ts';
import { runWorker } from '../../../src/service/services.ts';
import { flushWatchStats } from '../../../src/service/watch-metrics.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { delivery, jobsConfig, waitForOp } from './support.ts';

/**
 * What /metrics (served by the API role) says about the work the workers do, which it can only
 * know through Redis: each BullMQ queue's jobs by state (a deploy waits while no worker runs,
 * and is gone from the backlog once one has run it), and what the workers' shared rollout
 * watches counted while following that deploy.
 */
async function series(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('/metrics on the API role', () => {
  it('shows queue depth, active and failed jobs per queue, and the workers\' rollout watch counts', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'qmetrics' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 2, tag: 'v1' }));
    const url = process.env['REDIS_URL'] ?? '';
    const api = await startApi(jobsConfig(ns.name, ['gz']), { redisUrl: url, prefix: `qm-${ns.name}:`, log: silentLog(), host: '127.0.0.1', port: 0 });
    onTestFinished(() => api.stop());

    // No worker yet: bob's deploy (no approval needed) waits in the operations queue.
    const req = await submit(api.s, { text: '/deploy web v2 to test', actor: 'bob', deliveryId: delivery() });
    expect(req.opId, req.message.text).toBeDefined();
    const before = await series(api.url);
    expect(before.get('chatops_queue_jobs{queue="operations",state="waiting"}')).toBe(1);
    expect(before.get('chatops_queue_jobs{queue="operations",state="active"}')).toBe(0);
    expect(before.get('chatops_queue_jobs{queue="operations",state="failed"}')).toBe(0);
    expect(before.has('chatops_queue_jobs{queue="sweeper",state="waiting"}')).toBe(true);

    // The test's own waits for rollouts (as admin) went through this process's watches too: not the worker's.
    processWatches().stats.drain();
    const worker = runWorker(api.s, { rolloutTimeoutMs: 60_000, lockDurationMs: 5_000 });
    onTestFinished(() => worker.close());
    expect((await waitForOp(api.s, req.opId as string)).status).toBe('succeeded');
    // Workers add their counts to Redis every few seconds; one flush now instead of waiting.
    await flushWatchStats(api.s.redis, api.s.prefix);
    const after = await waitFor('the watch counts', async () => {
      const m = await series(api.url);
      return (m.get('chatops_rollout_watch_events_total{cluster="gz",kind="Deployment",type="MODIFIED"}') ?? 0) > 0 ? m : undefined;
    }, 15_000, 250);
    expect(after.get('chatops_queue_jobs{queue="operations",state="waiting"}')).toBe(0);
    expect(after.get('chatops_queue_jobs{queue="operations",state="active"}')).toBe(0);
    // The rollout was followed through one watch started with the current state (watch-list), and no GET in its place.
    expect(after.get('chatops_rollout_watch_lists_total{cluster="gz",kind="Deployment",how="watch-list"}')).toBe(1);
    expect(after.get('chatops_rollout_fallback_polls_total{cluster="gz",kind="Deployment"}') ?? 0).toBe(0);
  });
});
