import type { Redis } from 'ioredis';
import type { Alert } from './model.ts';

/**
 * One record per alert in Redis (`a:<fingerprint>`), shared by every API replica: its status
 * and start, changed only by a Lua step that says what happened: `new`, `refire`, `resolved`,
 * `count` (seen again, count moved) or `same`. Two Alertmanager replicas sending the same
 * alert, or two webhooks racing, get one `new` between them: that is the dedup. The
 * fingerprint carries its source ("am-…", "wh-…", "k8s-…", "probe-…"), so one source can never
 * change another's alert. `a:<fingerprint>:groups` lists the groups it went into
 * (src/alerts/store.ts).
 */
export type Transition = 'new' | 'refire' | 'resolved' | 'count' | 'same' | 'ignored';

export const KEEP_FIRING_S = 30 * 24 * 3600;
export const KEEP_RESOLVED_S = 7 * 24 * 3600;

/**
 * Records alerts, in order, in one step. KEYS[i]: the record of alert i. ARGV: firing ttl,
 * resolved ttl, then per alert: status, startsAt, json, count ('' = none). Returns each one's
 * transition. A resolved alert never seen firing is ignored; a firing alert that was resolved
 * and comes back with the start it had is a stale copy (a slower Alertmanager replica), not a
 * new fire.
 */
const UPSERT_ALERTS = `
local function upsert(key, status, startsAt, json, newCount, ttlFiring, ttlResolved)
  local cur = redis.call('HGET', key, 'status')
  local start = redis.call('HGET', key, 'startsAt')
  local count = redis.call('HGET', key, 'count') or ''
  local result
  if status == 'firing' then
    if not cur then result = 'new'
    elseif cur == 'resolved' then
      if start == startsAt then return 'same' end
      result = 'refire'
    elseif newCount ~= '' and newCount ~= count then result = 'count'
    else result = 'same' end
    redis.call('HSET', key, 'status', 'firing', 'json', json, 'count', newCount)
    if result == 'new' or result == 'refire' then redis.call('HSET', key, 'startsAt', startsAt) end
    redis.call('EXPIRE', key, ttlFiring)
    return result
  end
  if cur ~= 'firing' then return cur and 'same' or 'ignored' end
  redis.call('HSET', key, 'status', 'resolved', 'json', json)
  redis.call('EXPIRE', key, ttlResolved)
  return 'resolved'
end
local ttlFiring, ttlResolved = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 4
  out[i] = upsert(KEYS[i], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ttlFiring, ttlResolved)
end
return out`;

/**
 * UPSERT_ALERTS as an ioredis script command: EVALSHA, with the script's text sent only the
 * first time on a connection and again after a NOSCRIPT (a Redis restart). One command per
 * webhook request, not one per alert and not a pipeline: ioredis copies every script defined on
 * the connection (BullMQ's too) into each pipeline it makes.
 */
const UPSERT_COMMAND = 'chatopsAlertUpsertMany';
type Scripted = Record<typeof UPSERT_COMMAND, (...args: (string | number)[]) => Promise<unknown>>;

/** A pipeline's replies, or its first error (the commands before and after it still ran). */
export function results(res: [Error | null, unknown][] | null): unknown[] {
  return (res ?? []).map(([e, v]) => {
    if (e !== null) throw e;
    return v;
  });
}

export class AlertRecords {
  readonly redis: Redis;
  private readonly p: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.p = `${prefix}alerts:`;
    if (!(UPSERT_COMMAND in redis)) redis.defineCommand(UPSERT_COMMAND, { lua: UPSERT_ALERTS });
  }

  /** The Redis key of an alert's record. */
  key(fp: string): string {
    return `${this.p}a:${fp}`;
  }

  /** Records alerts in order, in one step and one round trip; their transitions in the same order. */
  async upsertMany(alerts: readonly Alert[]): Promise<Transition[]> {
    if (alerts.length === 0) return [];
    const keys = alerts.map((a) => this.key(a.fingerprint));
    const args = alerts.flatMap((a) => [a.status, a.startsAt, JSON.stringify(a), a.count === undefined ? '' : String(a.count)]);
    return (await (this.redis as unknown as Scripted)[UPSERT_COMMAND](keys.length, ...keys, KEEP_FIRING_S, KEEP_RESOLVED_S, ...args)) as Transition[];
  }

  async alerts(fps: readonly string[]): Promise<Map<string, Alert>> {
    const out = new Map<string, Alert>();
    if (fps.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const fp of fps) pipe.hget(this.key(fp), 'json');
    const res = (await pipe.exec()) ?? [];
    fps.forEach((fp, i) => {
      const raw = res[i]?.[1];
      if (typeof raw === 'string') out.set(fp, JSON.parse(raw) as Alert);
    });
    return out;
  }

  /** The groups each alert went into (so a resolution reaches them even if routes changed since), in one round trip. */
  async groupsOf(fps: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (fps.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const fp of fps) pipe.smembers(`${this.key(fp)}:groups`);
    const res = results(await pipe.exec());
    fps.forEach((fp, i) => out.set(fp, (res[i] as string[] | undefined) ?? []));
    return out;
  }
}
