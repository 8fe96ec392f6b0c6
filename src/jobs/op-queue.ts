import type { Redis } from 'ioredis';
import { REGISTER, RELEASE, TRY_START } from './op-queue-lua.ts';
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
