import type { Redis } from 'ioredis';
import type { AdhocFreeze } from '../core/policy.ts';

/**
 * Freezes set from chat (`/freeze prod for 2h --reason incident 2311`), beside the scheduled
 * windows in config. One per environment, in the hash <prefix>freezes keyed by env.
 *
 * A freeze is a safety net, so a new one never shortens the one in force: freezing again until
 * an earlier or equal time leaves the current freeze (and says who set it, until when); a later
 * one replaces it. That also makes a replayed command a no-op. Anyone whom policy lets run
 * `unfreeze` may lift it; who set it is kept for the message and the audit log.
 *
 * Expiry follows the injected clock: a freeze past `until` is ignored and removed on the next
 * write or read; the hash's Redis TTL reaches the last `until`, so it vanishes when all are over.
 */

export interface FreezeRequest {
  readonly env: string;
  readonly by: string;
  readonly reason: string;
  readonly until: Date;
  readonly now: Date;
}

export type FreezeOutcome =
  | { readonly kind: 'frozen'; readonly freeze: AdhocFreeze; readonly replaced?: AdhocFreeze }
  /** A freeze lasting at least as long is already in force; it stays. */
  | { readonly kind: 'already_frozen'; readonly freeze: AdhocFreeze };

export type UnfreezeOutcome = { readonly kind: 'unfrozen'; readonly freeze: AdhocFreeze; readonly by: string } | { readonly kind: 'not_frozen' };

export interface Freezes {
  freeze(req: FreezeRequest): Promise<FreezeOutcome>;
  unfreeze(req: { readonly env: string; readonly by: string; readonly now: Date }): Promise<UnfreezeOutcome>;
  /** Freezes in force at `now`, by env. */
  active(now: Date): Promise<AdhocFreeze[]>;
}

interface Stored {
  env: string;
  by: string;
  reason: string;
  until: number;
}

// ARGV: env, json, until ms, now ms. ("until" is a Lua keyword, hence f['until'].)
const FREEZE = `
local now = tonumber(ARGV[4])
local v = redis.call('HGET', KEYS[1], ARGV[1])
local code = 1
if v then
  local f = cjson.decode(v)
  if f['until'] > now then
    if f['until'] >= tonumber(ARGV[3]) then return {0, v} end
    code = 2
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local last = tonumber(ARGV[3])
local all = redis.call('HVALS', KEYS[1])
for i = 1, #all do
  local u = cjson.decode(all[i])['until']
  if u > last then last = u end
end
redis.call('PEXPIRE', KEYS[1], last - now)
if code == 2 then return {2, ARGV[2], v} end
return {1, ARGV[2]}`;

// ARGV: env, now ms
const UNFREEZE = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return {0} end
redis.call('HDEL', KEYS[1], ARGV[1])
if cjson.decode(v)['until'] <= tonumber(ARGV[2]) then return {0} end
return {1, v}`;

// ARGV: now ms
const ACTIVE = `
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1])['until'] <= now then redis.call('HDEL', KEYS[1], all[i]) else table.insert(out, all[i + 1]) end
end
return out`;

function toFreeze(json: string): AdhocFreeze {
  const s = JSON.parse(json) as Stored;
  return { env: s.env, by: s.by, reason: s.reason, until: new Date(s.until) };
}

export function createFreezes(redis: Redis, prefix: string): Freezes {
  const key = `${prefix}freezes`;
  return {
    async freeze(req) {
      if (req.until <= req.now) throw new RangeError(`a freeze must end after it starts (until ${req.until.toISOString()})`);
      const stored: Stored = { env: req.env, by: req.by, reason: req.reason, until: req.until.getTime() };
      const [code, json, previous] = (await redis.eval(FREEZE, 1, key, req.env, JSON.stringify(stored), stored.until, req.now.getTime())) as [number, string, string?];
      if (code === 0) return { kind: 'already_frozen', freeze: toFreeze(json) };
      return previous === undefined ? { kind: 'frozen', freeze: toFreeze(json) } : { kind: 'frozen', freeze: toFreeze(json), replaced: toFreeze(previous) };
    },

    async unfreeze({ env, by, now }) {
      const [code, json] = (await redis.eval(UNFREEZE, 1, key, env, now.getTime())) as [number, string?];
      return code === 0 || json === undefined ? { kind: 'not_frozen' } : { kind: 'unfrozen', freeze: toFreeze(json), by };
    },

    async active(now) {
      const jsons = (await redis.eval(ACTIVE, 1, key, now.getTime())) as string[];
      return jsons.map(toFreeze).sort((a, b) => a.env.localeCompare(b.env));
    },
  };
}
