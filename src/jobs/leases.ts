import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/**
 * One mutating operation per workload at a time. A lease is a Redis key holding its owner's id
 * with a TTL: the owner keeps renewing it while it works, and if the owner crashes the key
 * simply expires, so a resumed job can take it without anyone cleaning up.
 *
 * Only the owner renews or releases (compare-and-set / compare-and-delete in one Lua step), so
 * a slow worker whose lease already passed to someone else cannot remove the new owner's.
 *
 * Use the operation's id as owner: a job resumed after a crash acquires its own lease again at
 * once (acquire is re-entrant for the same owner), while any other operation waits for the TTL.
 * Unlike approvals and locks, leases run on the real clock: expiry is Redis's own TTL.
 */

export interface WorkloadRef {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
}

/** "gz/shop-prod/Deployment/web": the lease name of a workload (no part may contain "/"). */
export function leaseKey(w: WorkloadRef): string {
  return `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;
}

export type AcquireResult = { readonly acquired: true } | { readonly acquired: false; readonly holder: string; readonly ttlMs: number };

export type HoldResult<T> = { readonly acquired: true; readonly value: T } | { readonly acquired: false; readonly holder: string; readonly ttlMs: number };

export interface RenewOptions {
  /** How often to renew; a third of the TTL by default, so two renewals may fail before it lapses. */
  readonly everyMs?: number;
  /** Called once when the lease is lost (taken over or lapsed); the work should stop. */
  readonly onLost?: () => void;
}

export interface Leases {
  /** Takes the lease, or extends it when `owner` already holds it. */
  acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult>;
  /** Extends the TTL if `owner` still holds it; false when it doesn't. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Lets go if `owner` holds it; false when it didn't (expired, or someone else's by now). */
  release(key: string, owner: string): Promise<boolean>;
  holder(key: string): Promise<string | undefined>;
  /** Renews the held lease until `running` settles, then returns its result. Doesn't release. */
  keepRenewing<T>(key: string, owner: string, ttlMs: number, running: Promise<T>, options?: RenewOptions): Promise<T>;
  /**
   * Acquire, run `work` while renewing, release. The signal aborts if the lease is lost midway,
   * so the work can stop before it writes to a workload another operation now owns.
   */
  hold<T>(key: string, owner: string, ttlMs: number, work: (signal: AbortSignal) => Promise<T>, options?: Omit<RenewOptions, 'onLost'>): Promise<HoldResult<T>>;
}

const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1], tonumber(ARGV[2])}
end
return {0, cur, redis.call('PTTL', KEYS[1])}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttl must be a positive whole number of milliseconds, got ${ttlMs}`);
}

export function createLeases(redis: Redis, prefix: string): Leases {
  const k = (key: string): string => `${prefix}lease:${key}`;

  const leases: Leases = {
    async acquire(key, owner, ttlMs) {
      checkTtl(ttlMs);
      const [took, holder, ttl] = (await redis.eval(ACQUIRE, 1, k(key), owner, ttlMs)) as [number, string, number];
      return took === 1 ? { acquired: true } : { acquired: false, holder, ttlMs: ttl };
    },

    async renew(key, owner, ttlMs) {
      checkTtl(ttlMs);
      return (await redis.eval(RENEW, 1, k(key), owner, ttlMs)) === 1;
    },

    async release(key, owner) {
      return (await redis.eval(RELEASE, 1, k(key), owner)) === 1;
    },

    async holder(key) {
      return (await redis.get(k(key))) ?? undefined;
    },

    async keepRenewing(key, owner, ttlMs, running, options = {}) {
      checkTtl(ttlMs);
      const every = options.everyMs ?? Math.max(1, Math.floor(ttlMs / 3));
      const stop = new AbortController();
      const loop = (async () => {
        let lastRenewed = performance.now();
        while (!stop.signal.aborted) {
          try {
            await sleep(every, undefined, { signal: stop.signal });
          } catch {
            return; // stopped: the work settled
          }
          try {
            if (!(await leases.renew(key, owner, ttlMs))) {
              options.onLost?.();
              return;
            }
            lastRenewed = performance.now();
          } catch {
            // A Redis hiccup: the lease is still ours until its TTL runs out, so try again then.
            if (performance.now() - lastRenewed >= ttlMs) {
              options.onLost?.();
              return;
            }
          }
        }
      })();
      try {
        return await running;
      } finally {
        stop.abort();
        await loop;
      }
    },

    async hold(key, owner, ttlMs, work, options = {}) {
      const got = await leases.acquire(key, owner, ttlMs);
      if (!got.acquired) return got;
      const lost = new AbortController();
      try {
        const value = await leases.keepRenewing(key, owner, ttlMs, work(lost.signal), { ...options, onLost: () => lost.abort(new Error(`lease ${key} lost`)) });
        return { acquired: true, value };
      } finally {
        await leases.release(key, owner);
      }
    },
  };
  return leases;
}
