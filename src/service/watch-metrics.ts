import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { drainWatchStats, stopIdleWatches } from '../kube/lazy-gateway.ts';
import { parseStatKey, statKey, type WatchCount } from '../kube/watch-stats.ts';

/**
 * The worker side of the rollout watches' metrics and lifetime. Workers serve no HTTP, so every
 * few seconds a worker adds what its process's watches counted to one Redis hash, which the API
 * role's /metrics reads (a Redis-wide total, the same on every replica). Counts are drained from
 * the process once, however many workers run in it; a flush that fails (Redis away) drops them.
 * When the worker closes, watches nobody follows any more stop at once instead of lingering.
 */
export const WATCH_FLUSH_MS = 5000;

export function watchStatsKey(prefix: string): string {
  return `${prefix}metrics:watch`;
}

export async function flushWatchStats(redis: Redis, prefix: string): Promise<number> {
  const counts = await drainWatchStats();
  if (counts.length === 0) return 0;
  const p = redis.pipeline();
  for (const c of counts) p.hincrby(watchStatsKey(prefix), statKey(c), c.value);
  await p.exec();
  return counts.length;
}

export async function readWatchStats(redis: Redis, prefix: string): Promise<WatchCount[]> {
  const all = await redis.hgetall(watchStatsKey(prefix));
  const out: WatchCount[] = [];
  for (const [field, value] of Object.entries(all)) {
    const k = parseStatKey(field);
    if (k !== undefined) out.push({ ...k, value: Number(value) });
  }
  return out;
}

export function keepWatchStats(worker: Worker, redis: Redis, prefix: string, everyMs = WATCH_FLUSH_MS): void {
  const flush = () => flushWatchStats(redis, prefix).catch(() => 0);
  const timer = setInterval(() => void flush(), everyMs);
  timer.unref();
  worker.once('closed', () => {
    clearInterval(timer);
    void stopIdleWatches().then(flush);
  });
}
