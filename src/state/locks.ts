import type { Redis } from 'ioredis';
import type { Lock } from '../core/policy.ts';

/**
 * Locks people take from chat (`/lock prod web 2h --reason migration`) so that others' deploys
 * are denied by the policy rule "lock held by another" until they unlock or it runs out.
 *
 * All locks live in one small hash, <prefix>locks, field "env" or "env/app", so a lock is
 * checked against every overlapping lock in one atomic Lua step: a whole-environment lock
 * overlaps each app lock in it. Taking a lock that overlaps someone else's is refused with
 * their name; taking it again as its holder extends it (a replayed command changes nothing
 * but the deadline).
 *
 * Expiry follows the injected clock: a lock whose expiresAt has passed is ignored and removed
 * on the next write or read. The hash itself carries a Redis TTL up to the last deadline, so it
 * disappears on its own when every lock has run out and nobody looked. (Per-field TTLs would
 * need Redis 7.4; the tests' Redis is 7.0, and the hash holds a handful of entries.)
 */

export interface LockRequest {
  readonly env: string;
  /** Undefined: the whole environment. */
  readonly app?: string | undefined;
  readonly holder: string;
  readonly reason?: string | undefined;
  readonly ttlSeconds: number;
  readonly now: Date;
}

export interface UnlockRequest {
  readonly env: string;
  readonly app?: string | undefined;
  readonly by: string;
  readonly now: Date;
  /** Lift someone else's lock (an admin's decision, authorized by policy before this call). */
  readonly force?: boolean | undefined;
}

export type LockOutcome =
  | { readonly kind: 'locked'; readonly lock: Lock; readonly extended: boolean }
  /** Someone else holds this scope or an overlapping one. */
  | { readonly kind: 'held'; readonly lock: Lock };

export type UnlockOutcome =
  | { readonly kind: 'unlocked'; readonly lock: Lock; readonly forced: boolean }
  /** Nothing to unlock (never locked, already unlocked, or expired). */
  | { readonly kind: 'not_locked' }
  | { readonly kind: 'not_holder'; readonly lock: Lock };

export interface Locks {
  lock(req: LockRequest): Promise<LockOutcome>;
  unlock(req: UnlockRequest): Promise<UnlockOutcome>;
  /** Locks in force at `now`, by env then app (whole-env first). */
  active(now: Date): Promise<Lock[]>;
}

interface Stored {
  env: string;
  app?: string;
  holder: string;
  reason?: string;
  expiresAt: number;
}

// ARGV: env, app ('' = whole env), holder, reason ('' = keep), now ms, expiresAt ms, field
const LOCK = `
local now = tonumber(ARGV[5])
local all = redis.call('HGETALL', KEYS[1])
local mine = nil
local last = tonumber(ARGV[6])
for i = 1, #all, 2 do
  local l = cjson.decode(all[i + 1])
  if l.expiresAt <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    if l.env == ARGV[1] and (l.app == nil or ARGV[2] == '' or l.app == ARGV[2]) then
      if l.holder ~= ARGV[3] then return {0, all[i + 1]} end
      if all[i] == ARGV[7] then mine = l end
    end
    if all[i] ~= ARGV[7] and l.expiresAt > last then last = l.expiresAt end
  end
end
local rec = {env = ARGV[1], holder = ARGV[3], expiresAt = tonumber(ARGV[6])}
if ARGV[2] ~= '' then rec.app = ARGV[2] end
if ARGV[4] ~= '' then rec.reason = ARGV[4] elseif mine and mine.reason then rec.reason = mine.reason end
local json = cjson.encode(rec)
redis.call('HSET', KEYS[1], ARGV[7], json)
redis.call('PEXPIRE', KEYS[1], last - now)
if mine then return {2, json} end
return {1, json}`;

// ARGV: field, by, now ms, force ('1')
const UNLOCK = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return {0} end
local l = cjson.decode(v)
if l.expiresAt <= tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return {0}
end
if l.holder ~= ARGV[2] and ARGV[4] ~= '1' then return {2, v} end
redis.call('HDEL', KEYS[1], ARGV[1])
return {1, v}`;

// ARGV: now ms
const ACTIVE = `
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).expiresAt <= now then redis.call('HDEL', KEYS[1], all[i]) else table.insert(out, all[i + 1]) end
end
return out`;

function toLock(json: string): Lock {
  const s = JSON.parse(json) as Stored;
  return { env: s.env, app: s.app, holder: s.holder, reason: s.reason, expiresAt: new Date(s.expiresAt) };
}

function field(env: string, app: string | undefined): string {
  for (const part of [env, app ?? '']) {
    if (part.includes('/')) throw new RangeError(`lock scope "${part}" must not contain "/"`);
  }
  return app === undefined ? env : `${env}/${app}`;
}

export function createLocks(redis: Redis, prefix: string): Locks {
  const key = `${prefix}locks`;
  return {
    async lock(req) {
      if (!(req.ttlSeconds > 0) || !Number.isFinite(req.ttlSeconds)) throw new RangeError(`lock ttl must be positive, got ${req.ttlSeconds}`);
      if (req.app === '') throw new RangeError('lock app must be a name or undefined');
      const expiresAt = req.now.getTime() + Math.round(req.ttlSeconds * 1000);
      const [code, json] = (await redis.eval(LOCK, 1, key, req.env, req.app ?? '', req.holder, req.reason ?? '', req.now.getTime(), expiresAt, field(req.env, req.app))) as [
        number,
        string,
      ];
      return code === 0 ? { kind: 'held', lock: toLock(json) } : { kind: 'locked', lock: toLock(json), extended: code === 2 };
    },

    async unlock(req) {
      const forced = req.force === true;
      const [code, json] = (await redis.eval(UNLOCK, 1, key, field(req.env, req.app), req.by, req.now.getTime(), forced ? '1' : '0')) as [number, string?];
      if (code === 0 || json === undefined) return { kind: 'not_locked' };
      const lock = toLock(json);
      return code === 2 ? { kind: 'not_holder', lock } : { kind: 'unlocked', lock, forced: forced && lock.holder !== req.by };
    },

    async active(now) {
      const jsons = (await redis.eval(ACTIVE, 1, key, now.getTime())) as string[];
      return jsons.map(toLock).sort((a, b) => a.env.localeCompare(b.env) || (a.app ?? '').localeCompare(b.app ?? ''));
    },
  };
}
