import type { Redis } from 'ioredis';
import type { JobKind } from './spec.ts';

/**
 * The queue of operations per workload, in Redis: who changes a workload next. Every operation
 * that changes workloads gets one entry, with one score (its request time, in ms) for all its
 * workloads, so the order is global and no two operations can wait on each other:
 *
 * - an operation starts when nothing ahead of it on any of its workloads is still to finish
 *   (waiting, or paused on that workload) and nothing on them is running;
 * - a rollback goes to the front: just ahead of the first waiting or paused operation that is
 *   not a rollback on any of its workloads (so rollbacks keep their own order), and a paused
 *   operation does not hold it up;
 * - a paused operation (a batch upgrade waiting for a decision) keeps only the workloads it still
 *   has to change (release with `keep`);
 * - an operation waiting longer than its `expiresAt` (its approval's expiry, or the queue's
 *   maxWait) holds nobody up, and its own job ends it when it wakes;
 * - a deploy supersedes older deploys of the same app and env (same `group`) that have not
 *   started, when it covers every workload they would change: their entries leave the workloads'
 *   sets at once and stay as `superseded` until their operation records say so.
 *
 * Keys: `<prefix>q:ops` (hash: op id → entry JSON) and `<prefix>q:w:<workload>` (sorted set of
 * op ids by score). Each move is one Lua step over the entry and the sets of its workloads; the
 * sets' names are derived in the script, so this needs a single Redis (not Redis Cluster), like
 * the rest of the bot's state. Entries are tied to operation records and jobs by queue-gate.ts:
 * an entry whose operation ended, or whose running job is gone, is removed when someone waits
 * on it, so a crash can delay the next in line but never hold it forever.
 */
export type QueueState = 'waiting' | 'running' | 'paused' | 'superseded';

export interface QueueEntry {
  readonly opId: string;
  readonly score: number;
  readonly state: QueueState;
  readonly kind: JobKind;
  /** A rollback (or an abort that rolls back): goes to the front. */
  readonly rollback: boolean;
  /** Lease keys of the workloads it (still) changes. */
  readonly workloads: readonly string[];
  /** "deploy|<env>|<app>" for deploys (what supersedes what); "" for the rest. */
  readonly group: string;
  /** While waiting: when it expires (ms since the epoch); 0: never. */
  readonly expiresAt: number;
  /** For people: "deploy web v2 by alice". */
  readonly what: string;
  /** The job that acts for the operation now (a batch upgrade gets one per decision). */
  readonly job: string;
  /** It had to wait for someone at least once. */
  readonly waited: boolean;
  /** When it was put in the queue (ms): its operation's record follows within moments. */
  readonly since: number;
  /** Who superseded it, and what that one does. */
  readonly by?: string | undefined;
  readonly byWhat?: string | undefined;
}

export type NewEntry = Omit<QueueEntry, 'state' | 'waited' | 'by' | 'byWhat'>;

export type TryStart =
  | { readonly kind: 'go'; readonly entry: QueueEntry }
  | { readonly kind: 'wait'; readonly entry: QueueEntry; readonly behind: readonly QueueEntry[] }
  | { readonly kind: 'superseded' | 'expired' | 'paused'; readonly entry: QueueEntry }
  /** No entry: an operation from before the queue, or already finished. */
  | { readonly kind: 'none' };

export interface OpQueue {
  /** Adds the entry (a repeat finds the first); returns it and the entries it superseded. */
  register(entry: NewEntry): Promise<{ created: boolean; entry: QueueEntry; superseded: QueueEntry[] }>;
  /** A decision on a paused operation: it waits again under `job`, for `workloads` (a rollback goes to the front). */
  resume(opId: string, change: { job: string; workloads: readonly string[]; rollback: boolean; expiresAt: number }): Promise<QueueEntry | undefined>;
  /** Starts the operation if nothing is ahead of it (`dry`: only says so, starts nothing). */
  tryStart(opId: string, job: string, now: number, options?: { dry?: boolean }): Promise<TryStart>;
  /**
   * It ended (no `keep`) or paused keeping `keep` (said by its job `by`: ignored when another
   * job acts for it by now); returns the jobs of the operations waiting on its workloads.
   */
  release(opId: string, keep?: readonly string[], by?: string): Promise<string[]>;
  get(opId: string): Promise<QueueEntry | undefined>;
  all(): Promise<QueueEntry[]>;
}

/** Shared by the scripts: a stored entry's fields. Score and expiry are strings (cjson keeps 14 digits of a number). */
const LIB = `
local function ws(e) local t = {} for w in string.gmatch(e.ws, '[^\\n]+') do t[#t + 1] = w end return t end
local function num(x) return tonumber(x) or 0 end
local function fmt(x) return string.format('%.17g', x) end
`;

/** KEYS[1] ops; ARGV: id, entry JSON, zset prefix, mode ("new" | "resume"). */
const REGISTER = `${LIB}
local ops, id, zp, mode = KEYS[1], ARGV[1], ARGV[3], ARGV[4]
local e = cjson.decode(ARGV[2])
local cur = redis.call('HGET', ops, id)
if mode == 'new' then
  if cur then return {0, cur} end
else
  if not cur then return {-1, ''} end
  local old = cjson.decode(cur)
  if old.state == 'waiting' and old.job == e.job then return {0, cur} end
  -- Paused; or still running, when the decision came in while its job was saying so (that job's pause is then ignored).
  if old.state ~= 'paused' and old.state ~= 'running' then return {-1, cur} end
  for _, w in ipairs(ws(old)) do redis.call('ZREM', zp .. w, id) end
  e.score = old.score
  e.waited = old.waited
end
local mine = {}
for _, w in ipairs(ws(e)) do mine[w] = true end
local score = num(e.score)
if e.rollback then
  -- the first waiting or paused operation that is not a rollback, on any of its workloads
  local U = nil
  for w, _ in pairs(mine) do
    local m = redis.call('ZRANGE', zp .. w, 0, -1, 'WITHSCORES')
    for j = 1, #m, 2 do
      local raw = m[j] ~= id and redis.call('HGET', ops, m[j])
      if raw then
        local o = cjson.decode(raw)
        if o.state ~= 'running' and not o.rollback then
          local sc = tonumber(m[j + 1])
          if U == nil or sc < U then U = sc end
          break
        end
      end
    end
  end
  if U ~= nil and U <= score then
    local L = U - 1000
    for w, _ in pairs(mine) do
      local b = redis.call('ZREVRANGEBYSCORE', zp .. w, '(' .. fmt(U), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if #b > 0 and b[1] ~= id and tonumber(b[2]) > L then L = tonumber(b[2]) end
    end
    score = (L + U) / 2
  end
end
e.score = fmt(score)
local superseded = {}
if mode == 'new' and e.group ~= '' then
  local seen = {}
  for w, _ in pairs(mine) do
    for _, oid in ipairs(redis.call('ZRANGEBYSCORE', zp .. w, '-inf', '(' .. e.score)) do
      local raw = (not seen[oid]) and redis.call('HGET', ops, oid)
      seen[oid] = true
      if raw then
        local o = cjson.decode(raw)
        local covered = o.group == e.group and o.state == 'waiting'
        if covered then for _, ow in ipairs(ws(o)) do if not mine[ow] then covered = false end end end
        if covered then
          o.state = 'superseded'
          o.by = id
          o.byWhat = e.what
          redis.call('HSET', ops, oid, cjson.encode(o))
          for _, ow in ipairs(ws(o)) do redis.call('ZREM', zp .. ow, oid) end
          superseded[#superseded + 1] = cjson.encode(o)
        end
      end
    end
  end
end
local out = cjson.encode(e)
redis.call('HSET', ops, id, out)
for w, _ in pairs(mine) do redis.call('ZADD', zp .. w, e.score, id) end
return {1, out, unpack(superseded)}`;

/** KEYS[1] ops; ARGV: id, now (ms), zset prefix, job, dry ("1": change nothing). */
const TRY_START = `${LIB}
local ops, id, now, zp, job, dry = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5] == '1'
local raw = redis.call('HGET', ops, id)
if not raw then return {'none'} end
local e = cjson.decode(raw)
-- Running already: a retry of its job, past the gate.
if e.state == 'running' then return {'go', raw} end
if e.state ~= 'waiting' then return {e.state, raw} end
if num(e.expiresAt) > 0 and num(e.expiresAt) <= now then return {'expired', raw} end
local behind, seen = {}, {}
for _, w in ipairs(ws(e)) do
  local key = zp .. w
  local before = true
  for _, oid in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if oid == id then before = false
    elseif not seen[oid] then
      local oraw = redis.call('HGET', ops, oid)
      if not oraw then
        if not dry then redis.call('ZREM', key, oid) end
      else
        local o = cjson.decode(oraw)
        local blocks = o.state == 'running'
        if before and o.state == 'paused' then blocks = not e.rollback end
        if before and o.state == 'waiting' then blocks = num(o.expiresAt) == 0 or num(o.expiresAt) > now end
        if blocks then
          seen[oid] = true
          behind[#behind + 1] = oraw
        end
      end
    end
  end
end
if #behind == 0 then
  if dry then return {'go', raw} end
  e.state = 'running'
  e.job = job
  local out = cjson.encode(e)
  redis.call('HSET', ops, id, out)
  return {'go', out}
end
if not dry and not e.waited then
  e.waited = true
  raw = cjson.encode(e)
  redis.call('HSET', ops, id, raw)
end
return {'wait', raw, unpack(behind)}`;

/** KEYS[1] ops; ARGV: id, zset prefix, workloads to keep ("\\n"-joined; "" for none), the pausing job ("" for any). */
const RELEASE = `${LIB}
local ops, id, zp = KEYS[1], ARGV[1], ARGV[2]
local raw = redis.call('HGET', ops, id)
if not raw then return {} end
local e = cjson.decode(raw)
-- A pause is said by the job that acts for it; a decision may have moved it on meanwhile.
if ARGV[3] ~= '' and ARGV[4] ~= '' and e.job ~= ARGV[4] then return {} end
local keep = {}
for w in string.gmatch(ARGV[3], '[^\\n]+') do keep[w] = true end
local wake, seen = {}, {}
for _, w in ipairs(ws(e)) do
  if not keep[w] then redis.call('ZREM', zp .. w, id) end
  for _, oid in ipairs(redis.call('ZRANGE', zp .. w, 0, -1)) do
    local oraw = (oid ~= id and not seen[oid]) and redis.call('HGET', ops, oid)
    seen[oid] = true
    if oraw then
      local o = cjson.decode(oraw)
      if o.state == 'waiting' then wake[#wake + 1] = o.job end
    end
  end
end
if ARGV[3] == '' then
  redis.call('HDEL', ops, id)
else
  e.ws = ARGV[3]
  e.state = 'paused'
  redis.call('HSET', ops, id, cjson.encode(e))
end
return wake`;

interface Stored {
  readonly opId: string;
  readonly score: string | number;
  readonly state: QueueState;
  readonly kind: JobKind;
  readonly rollback: boolean;
  readonly ws: string;
  readonly group: string;
  readonly expiresAt: string | number;
  readonly what: string;
  readonly job: string;
  readonly waited?: boolean;
  readonly since?: string | number;
  readonly by?: string;
  readonly byWhat?: string;
}

function toStored(e: NewEntry & { state: QueueState; waited: boolean }): Stored {
  return { opId: e.opId, score: String(e.score), state: e.state, kind: e.kind, rollback: e.rollback, ws: e.workloads.join('\n'), group: e.group, expiresAt: String(e.expiresAt), what: e.what, job: e.job, waited: e.waited, since: String(e.since) };
}

export function parseEntry(raw: string): QueueEntry {
  const s = JSON.parse(raw) as Stored;
  return {
    opId: s.opId,
    score: Number(s.score),
    state: s.state,
    kind: s.kind,
    rollback: s.rollback === true,
    workloads: typeof s.ws === 'string' ? s.ws.split('\n').filter((w) => w !== '') : [],
    group: s.group,
    expiresAt: Number(s.expiresAt),
    what: s.what,
    job: s.job,
    waited: s.waited === true,
    since: Number(s.since ?? 0),
    ...(typeof s.by === 'string' ? { by: s.by } : {}),
    ...(typeof s.byWhat === 'string' ? { byWhat: s.byWhat } : {}),
  };
}

export function createOpQueue(redis: Redis, prefix: string): OpQueue {
  const ops = `${prefix}q:ops`;
  const zp = `${prefix}q:w:`;
  return {
    async register(entry) {
      const r = (await redis.eval(REGISTER, 1, ops, entry.opId, JSON.stringify(toStored({ ...entry, state: 'waiting', waited: false })), zp, 'new')) as [number, string, ...string[]];
      return { created: r[0] === 1, entry: parseEntry(r[1]), superseded: r.slice(2).map((x) => parseEntry(x as string)) };
    },

    async resume(opId, change) {
      const cur = await redis.hget(ops, opId);
      if (cur === null) return undefined;
      const e = parseEntry(cur);
      const next = toStored({ ...e, job: change.job, workloads: change.workloads, rollback: change.rollback, expiresAt: change.expiresAt, state: 'waiting', waited: e.waited });
      const r = (await redis.eval(REGISTER, 1, ops, opId, JSON.stringify(next), zp, 'resume')) as [number, string];
      return r[0] === -1 ? undefined : parseEntry(r[1]);
    },

    async tryStart(opId, job, now, options = {}) {
      const r = (await redis.eval(TRY_START, 1, ops, opId, String(now), zp, job, options.dry === true ? '1' : '0')) as [string, string?, ...string[]];
      const kind = r[0];
      if (kind === 'none' || r[1] === undefined) return { kind: 'none' };
      const entry = parseEntry(r[1]);
      if (kind === 'go') return { kind: 'go', entry };
      if (kind === 'wait') return { kind: 'wait', entry, behind: r.slice(2).map((x) => parseEntry(x as string)) };
      if (kind === 'superseded' || kind === 'expired' || kind === 'paused') return { kind, entry };
      return { kind: 'none' };
    },

    async release(opId, keep = [], by = '') {
      return (await redis.eval(RELEASE, 1, ops, opId, zp, keep.join('\n'), by)) as string[];
    },

    async get(opId) {
      const raw = await redis.hget(ops, opId);
      return raw === null ? undefined : parseEntry(raw);
    },

    async all() {
      return Object.values(await redis.hgetall(ops)).map(parseEntry);
    },
  };
}
