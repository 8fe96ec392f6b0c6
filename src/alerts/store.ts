import type { Redis } from 'ioredis';
import type { Alert, AlertStatus } from './model.ts';
import { AlertRecords, KEEP_FIRING_S, KEEP_RESOLVED_S, results } from './records.ts';

/**
 * Alert groups in Redis, shared by every API replica, so any replica can take any webhook and
 * any replica's flusher can build any group's message (the alerts' own records, the dedup, are
 * in src/alerts/records.ts):
 *
 * - one record per group (`g:<id>`): its channel, route, group-by values, whether its message
 *   was posted, who acknowledged or silenced it; the statuses of its alerts (`g:<id>:alerts`);
 *   what its thread should still be told (`g:<id>:events`); a version that every change bumps;
 * - `due`: when each group's message must next be (re)built, a sorted set the flushers claim
 *   from. A claim pushes the group's time 30 s ahead, so a flusher that dies mid-way leaves it
 *   to another; finishing sets the next time, unless the group changed meanwhile.
 */
export interface GroupRecord {
  readonly id: string;
  readonly base: string;
  readonly channel: string;
  readonly routeId: string;
  readonly values: Readonly<Record<string, string>>;
  readonly state: 'open' | 'closed';
  readonly createdAt: number;
  readonly posted: 'no' | 'own' | 'storm';
  readonly version: number;
  readonly groupWaitMs: number;
  readonly repeatIntervalMs: number;
  readonly ackBy?: string | undefined;
  readonly ackAt?: number | undefined;
  readonly silencedBy?: string | undefined;
  readonly silencedUntil?: number | undefined;
  readonly silenceIds?: readonly string[] | undefined;
  readonly lastRemindAt?: number | undefined;
  readonly resolvedAt?: number | undefined;
  /** JSON of the deploy this group's alerts followed, found at the first flush. */
  readonly correlation?: string | undefined;
  /** The storm summary this group was counted in. */
  readonly stormKey?: string | undefined;
}

export interface GroupEvent {
  readonly fp: string;
  readonly kind: 'firing' | 'resolved';
  /** startsAt of the alert: together with fp and kind it names the event (thread dedupe). */
  readonly startsAt: string;
  readonly at: number;
}

const CLAIM_MS = 30_000;

/**
 * Puts an alert into the current group of `base`, opening one (a new epoch) when there is none
 * or the last one closed. KEYS: 1 current-group pointer, 2 epoch counter, 3 due set, 4 the
 * alert's set of groups. ARGV: 1 base, 2 channel, 3 route, 4 values json, 5 fp, 6 status,
 * 7 event json, 8 now, 9 group wait, 10 repeat interval, 11 key prefix, 12 edit delay.
 * Returns the group id, or false when a resolution has no open group to go to.
 */
const JOIN_GROUP = `
local gid = redis.call('GET', KEYS[1])
local P = ARGV[11]
if gid and redis.call('HGET', P .. 'g:' .. gid, 'state') ~= 'open' then
  if ARGV[6] == 'resolved' then return false end
  gid = false
end
if not gid then
  if ARGV[6] == 'resolved' then return false end
  local epoch = redis.call('INCR', KEYS[2])
  gid = 'al-' .. ARGV[1]
  if epoch > 1 then gid = gid .. '-' .. epoch end
  redis.call('SET', KEYS[1], gid)
  redis.call('HSET', P .. 'g:' .. gid, 'id', gid, 'base', ARGV[1], 'channel', ARGV[2], 'routeId', ARGV[3], 'values', ARGV[4],
    'state', 'open', 'createdAt', ARGV[8], 'posted', 'no', 'version', '0', 'groupWaitMs', ARGV[9], 'repeatIntervalMs', ARGV[10])
  redis.call('ZADD', KEYS[3], tonumber(ARGV[8]) + tonumber(ARGV[9]), gid)
end
local g = P .. 'g:' .. gid
redis.call('HSET', g .. ':alerts', ARGV[5], ARGV[6])
redis.call('RPUSH', g .. ':events', ARGV[7])
redis.call('HINCRBY', g, 'version', 1)
redis.call('SADD', KEYS[4], gid)
redis.call('EXPIRE', KEYS[4], ${KEEP_FIRING_S})
if redis.call('HGET', g, 'posted') ~= 'no' then
  redis.call('ZADD', KEYS[3], 'LT', tonumber(ARGV[8]) + tonumber(ARGV[12]), gid)
end
return gid`;

/** Updates an alert's status in a group it is already in (resolutions, count changes). */
const UPDATE_MEMBER = `
local g = ARGV[4] .. 'g:' .. ARGV[1]
if redis.call('HGET', g, 'state') ~= 'open' then return 0 end
if redis.call('HEXISTS', g .. ':alerts', ARGV[2]) == 0 then return 0 end
redis.call('HSET', g .. ':alerts', ARGV[2], ARGV[3])
if ARGV[5] ~= '' then redis.call('RPUSH', g .. ':events', ARGV[5]) end
redis.call('HINCRBY', g, 'version', 1)
if redis.call('HGET', g, 'posted') ~= 'no' then
  redis.call('ZADD', KEYS[1], 'LT', tonumber(ARGV[6]), ARGV[1])
end
return 1`;

/** Claims up to ARGV[3] due groups: pushes each one's time to ARGV[2] and returns them. */
const CLAIM_DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids`;

/** Done with a group: next time ARGV[3] (or none when ''), unless its version moved past ARGV[2]. */
const FINISH = `
local g = ARGV[4] .. 'g:' .. ARGV[1]
local v = redis.call('HGET', g, 'version')
if v and tonumber(v) > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  return 0
end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1`;

const CLOSE = `
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'closed', 'resolvedAt', ARGV[2])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3])) end
return 1`;

const ACK = `
local g = ARGV[1]
if redis.call('EXISTS', g) == 0 then return {0, ''} end
local by = redis.call('HGET', g, 'ackBy')
if by then return {2, by} end
redis.call('HSET', g, 'ackBy', ARGV[2], 'ackAt', ARGV[3])
redis.call('HINCRBY', g, 'version', 1)
redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[4])
return {1, ARGV[2]}`;

export interface JoinInput {
  readonly base: string;
  readonly channel: string;
  readonly routeId: string;
  readonly values: Readonly<Record<string, string>>;
  readonly alert: Alert;
  readonly now: number;
  readonly groupWaitMs: number;
  readonly repeatIntervalMs: number;
  readonly editDelayMs: number;
}

export interface UpdateInput {
  readonly gid: string;
  readonly alert: Alert;
  readonly now: number;
  readonly dueAt: number;
  /** False for count updates (no thread line). */
  readonly event: boolean;
}

export type GroupOp = ({ readonly kind: 'join' } & JoinInput) | ({ readonly kind: 'update' } & UpdateInput);

function num(v: string | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : Number(v);
}

export class AlertStore {
  readonly redis: Redis;
  readonly p: string;
  /** The per-alert records (src/alerts/records.ts), under the same prefix. */
  readonly records: AlertRecords;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.p = `${prefix}alerts:`;
    this.records = new AlertRecords(redis, prefix);
  }

  get dueKey(): string {
    return `${this.p}due`;
  }
  groupKey(id: string): string {
    return `${this.p}g:${id}`;
  }

  private joinArgs(o: JoinInput): (string | number)[] {
    const event: GroupEvent = { fp: o.alert.fingerprint, kind: o.alert.status, startsAt: o.alert.startsAt, at: o.now };
    return [
      `${this.p}gcur:${o.base}`,
      `${this.p}gepoch:${o.base}`,
      this.dueKey,
      `${this.records.key(o.alert.fingerprint)}:groups`,
      o.base,
      o.channel,
      o.routeId,
      JSON.stringify(o.values),
      o.alert.fingerprint,
      o.alert.status,
      JSON.stringify(event),
      String(o.now),
      String(o.groupWaitMs),
      String(o.repeatIntervalMs),
      this.p,
      String(o.editDelayMs),
    ];
  }

  private updateArgs(o: UpdateInput): string[] {
    const e: GroupEvent = { fp: o.alert.fingerprint, kind: o.alert.status, startsAt: o.alert.startsAt, at: o.now };
    return [this.dueKey, o.gid, o.alert.fingerprint, o.alert.status, this.p, o.event ? JSON.stringify(e) : '', String(o.dueAt)];
  }

  async join(o: JoinInput): Promise<string | undefined> {
    const r = await this.redis.eval(JOIN_GROUP, 4, ...this.joinArgs(o));
    return typeof r === 'string' ? r : undefined;
  }

  /** A status change of an alert already in group `gid`; `event` false for count updates (no thread line). */
  async updateMember(gid: string, a: Alert, now: number, dueAt: number, event: boolean): Promise<boolean> {
    return (await this.redis.eval(UPDATE_MEMBER, 1, ...this.updateArgs({ gid, alert: a, now, dueAt, event }))) === 1;
  }

  /** Joins and member updates in one round trip, applied in the order given (each one atomic, as join / updateMember). */
  async applyGroupOps(ops: readonly GroupOp[]): Promise<void> {
    if (ops.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const op of ops) {
      if (op.kind === 'join') pipe.eval(JOIN_GROUP, 4, ...this.joinArgs(op));
      else pipe.eval(UPDATE_MEMBER, 1, ...this.updateArgs(op));
    }
    results(await pipe.exec());
  }

  async group(id: string): Promise<GroupRecord | undefined> {
    const h = await this.redis.hgetall(this.groupKey(id));
    if (h['id'] === undefined) return undefined;
    return {
      id: h['id'],
      base: h['base'] ?? '',
      channel: h['channel'] ?? '',
      routeId: h['routeId'] ?? '',
      values: JSON.parse(h['values'] ?? '{}') as Record<string, string>,
      state: h['state'] === 'closed' ? 'closed' : 'open',
      createdAt: Number(h['createdAt'] ?? 0),
      posted: h['posted'] === 'own' || h['posted'] === 'storm' ? h['posted'] : 'no',
      version: Number(h['version'] ?? 0),
      groupWaitMs: Number(h['groupWaitMs'] ?? 0),
      repeatIntervalMs: Number(h['repeatIntervalMs'] ?? 0),
      ackBy: h['ackBy'],
      ackAt: num(h['ackAt']),
      silencedBy: h['silencedBy'],
      silencedUntil: num(h['silencedUntil']),
      silenceIds: h['silenceIds'] === undefined ? undefined : (JSON.parse(h['silenceIds']) as string[]),
      lastRemindAt: num(h['lastRemindAt']),
      resolvedAt: num(h['resolvedAt']),
      correlation: h['correlation'],
      stormKey: h['stormKey'],
    };
  }

  async members(id: string): Promise<Record<string, AlertStatus>> {
    return (await this.redis.hgetall(`${this.groupKey(id)}:alerts`)) as Record<string, AlertStatus>;
  }

  async events(id: string): Promise<GroupEvent[]> {
    return (await this.redis.lrange(`${this.groupKey(id)}:events`, 0, -1)).map((e) => JSON.parse(e) as GroupEvent);
  }

  /** Drops the first `n` events (the ones a flush told the thread about). */
  async dropEvents(id: string, n: number): Promise<void> {
    if (n > 0) await this.redis.ltrim(`${this.groupKey(id)}:events`, n, -1);
  }

  async setFields(id: string, fields: Readonly<Record<string, string>>): Promise<void> {
    const flat = Object.entries(fields).flat();
    if (flat.length > 0) await this.redis.hset(this.groupKey(id), ...flat);
  }

  /**
   * Closes a group whose alerts all resolved, if nothing joined it since version `version`,
   * and keeps its records a week for late clicks. False: it changed, flush it again.
   */
  async close(id: string, version: number, now: number): Promise<boolean> {
    const g = this.groupKey(id);
    return (await this.redis.eval(CLOSE, 3, g, `${g}:alerts`, `${g}:events`, String(version), String(now), String(KEEP_RESOLVED_S))) === 1;
  }

  async claimDue(now: number, limit = 50): Promise<string[]> {
    return (await this.redis.eval(CLAIM_DUE, 1, this.dueKey, String(now), String(now + CLAIM_MS), String(limit))) as string[];
  }

  /** `next` undefined: nothing more is scheduled for the group. */
  async finish(id: string, version: number, next: number | undefined, now: number): Promise<void> {
    await this.redis.eval(FINISH, 1, this.dueKey, id, String(version), next === undefined ? '' : String(next), this.p, String(now));
  }

  /** Makes a group due at `at` (sooner only). */
  async touch(id: string, at: number): Promise<void> {
    await this.redis.hincrby(this.groupKey(id), 'version', 1);
    await this.redis.zadd(this.dueKey, 'LT', at, id);
  }

  async ack(id: string, by: string, now: number): Promise<{ kind: 'acked' | 'already' | 'unknown'; by: string }> {
    const [code, who] = (await this.redis.eval(ACK, 1, this.dueKey, this.groupKey(id), by, String(now), id)) as [number, string];
    return { kind: code === 1 ? 'acked' : code === 2 ? 'already' : 'unknown', by: who };
  }
}
