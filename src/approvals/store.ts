import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { decide as decideCore, expire, type ApprovalEvent, type ApprovalState, type Decided } from '../core/approval.ts';

/**
 * Approvals in Redis. The rules are the pure state machine in core/approval.ts; this file only
 * stores states and makes each transition atomic: read under WATCH, decide in TypeScript, write
 * in MULTI/EXEC, and start over when someone else wrote in between. So concurrent clicks
 * serialize, and exactly one caller sees 'approved'.
 *
 * WATCH belongs to a connection, and an EXEC on a connection clears every watch on it. Two
 * decisions sharing the caller's client would therefore clear each other's watch and both
 * commit. Each attempt runs on a connection of its own, borrowed from a small pool of
 * duplicates of the given client; `close()` ends them.
 *
 * Keys (one Redis, not Cluster):
 *   <prefix>approval:<id>      the state as JSON, with a TTL: kept KEEP_CLOSED after it closes
 *   <prefix>approvals:pending  sorted set of pending ids scored by their deadline (ms)
 */

/** Closed requests stay readable this long, for late clicks ("already approved by …") and audit links. */
export const KEEP_CLOSED_SECONDS = 7 * 24 * 3600;
const MAX_ATTEMPTS = 50;
const MAX_IDLE_CONNECTIONS = 4;

export class ApprovalConflictError extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`approval ${id} already exists for a different change (digest differs)`);
    this.name = 'ApprovalConflictError';
    this.id = id;
  }
}

export type StoreDecided = Decided | { readonly state: undefined; readonly outcome: { readonly kind: 'not_found' } };

export interface ApprovalStore {
  /** Stores a new pending approval. Same id and digest again: returns the stored one unchanged. */
  create(approval: ApprovalState): Promise<{ readonly approval: ApprovalState; readonly created: boolean }>;
  /** The approval as it stands at `now` (a pending one past its deadline reads as expired). */
  get(id: string, now?: Date): Promise<ApprovalState | undefined>;
  /** Applies one person's decision atomically; see core/approval.ts for the outcomes. */
  decide(id: string, event: ApprovalEvent): Promise<StoreDecided>;
  /** Requests still open at `now`, soonest deadline first. */
  listPending(now?: Date): Promise<ApprovalState[]>;
  /**
   * Marks pending requests past their deadline as expired and returns the ones this call
   * expired (each exactly once across concurrent sweepers), to notify and audit them.
   */
  expireDue(now?: Date): Promise<ApprovalState[]>;
  /** Ends the pooled connections; the caller's client is left open. */
  close(): Promise<void>;
}

export interface ApprovalStoreOptions {
  readonly clock?: () => Date;
  readonly keepClosedSeconds?: number;
  readonly maxAttempts?: number;
}

const date = z.iso.datetime().transform((s) => new Date(s));
const stored = z.object({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']),
  requester: z.string(),
  approvers: z.array(z.string()),
  required: z.number().int(),
  approvals: z.array(z.object({ person: z.string(), at: date })),
  rejectedBy: z.string().optional(),
  reason: z.string().optional(),
  digest: z.string(),
  createdAt: date,
  expiresAt: date,
  closedAt: date.optional(),
});

function parse(raw: string): ApprovalState {
  const s = stored.parse(JSON.parse(raw));
  // exactOptionalPropertyTypes: leave absent fields absent rather than undefined.
  const { rejectedBy, reason, closedAt, ...rest } = s;
  return { ...rest, ...(rejectedBy === undefined ? {} : { rejectedBy }), ...(reason === undefined ? {} : { reason }), ...(closedAt === undefined ? {} : { closedAt }) };
}

/** Dates serialize as ISO strings through Date#toJSON. */
const serialize = (state: ApprovalState): string => JSON.stringify(state);

// Creates only when absent, and indexes in the same step so a pending record is never unlisted.
const CREATE = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return false`;

/** Pooled connections reconnect by themselves; a listener keeps ioredis from printing each failed attempt. */
function quiet(conn: Redis): Redis {
  conn.on('error', () => undefined);
  return conn;
}

export function createApprovalStore(redis: Redis, prefix: string, options: ApprovalStoreOptions = {}): ApprovalStore {
  const clock = options.clock ?? (() => new Date());
  const keepMs = (options.keepClosedSeconds ?? KEEP_CLOSED_SECONDS) * 1000;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const recordKey = (id: string): string => `${prefix}approval:${id}`;
  const pendingKey = `${prefix}approvals:pending`;

  /**
   * TTL relative to the injected `now` (not an absolute PEXPIREAT) so that a test clock far from
   * the server's clock neither deletes records at once nor keeps them forever.
   */
  function ttlMs(state: ApprovalState, now: Date): number {
    const end = state.status === 'pending' ? state.expiresAt : (state.closedAt ?? now);
    return Math.max(1000, end.getTime() + keepMs - now.getTime());
  }

  const idle: Redis[] = [];
  let closed = false;
  async function withConnection<T>(work: (conn: Redis) => Promise<T>): Promise<T> {
    const conn = idle.pop() ?? quiet(redis.duplicate());
    let reusable = true;
    try {
      return await work(conn);
    } catch (e) {
      // The connection may still hold a WATCH or be broken: don't hand it to someone else.
      reusable = false;
      throw e;
    } finally {
      if (reusable && !closed && idle.length < MAX_IDLE_CONNECTIONS) idle.push(conn);
      else conn.disconnect();
    }
  }

  /**
   * Runs `step` on the stored state and writes its result if it changed, retrying on WATCH
   * conflicts. `step` must be pure: it runs again on every retry.
   */
  async function transition<R>(id: string, now: Date, step: (s: ApprovalState) => { next: ApprovalState; result: R }): Promise<R | undefined> {
    const key = recordKey(id);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const done = await withConnection(async (conn) => {
        await conn.watch(key);
        const raw = await conn.get(key);
        if (raw === null) {
          await conn.unwatch();
          return { value: undefined };
        }
        const current = parse(raw);
        const { next, result } = step(current);
        if (next === current) {
          await conn.unwatch();
          return { value: result };
        }
        const tx = conn.multi().set(key, serialize(next), 'PX', ttlMs(next, now));
        if (next.status !== 'pending') tx.zrem(pendingKey, id);
        const replies = await tx.exec();
        if (replies === null) return undefined; // someone wrote in between: read again
        const failed = replies.find(([e]) => e !== null);
        if (failed !== undefined) throw failed[0] as Error;
        return { value: result };
      });
      if (done !== undefined) return done.value;
      // A little jitter so that a crowd of clickers doesn't collide in lockstep again.
      await sleep(Math.random() * 3 * Math.min(attempt, 5));
    }
    throw new Error(`approval ${id}: gave up after ${maxAttempts} conflicting attempts`);
  }

  return {
    async create(approval) {
      if (approval.status !== 'pending') throw new Error(`approval ${approval.id}: only a pending approval can be created`);
      const existing = (await redis.eval(
        CREATE,
        2,
        recordKey(approval.id),
        pendingKey,
        serialize(approval),
        ttlMs(approval, approval.createdAt),
        approval.expiresAt.getTime(),
        approval.id,
      )) as string | null;
      if (existing === null) return { approval, created: true };
      const found = parse(existing);
      if (found.digest !== approval.digest) throw new ApprovalConflictError(approval.id);
      return { approval: found, created: false };
    },

    async get(id, now = clock()) {
      const raw = await redis.get(recordKey(id));
      return raw === null ? undefined : expire(parse(raw), now);
    },

    async decide(id, event) {
      const decided = await transition(id, event.now, (s) => {
        const d = decideCore(s, event);
        return { next: d.state, result: d };
      });
      return decided ?? { state: undefined, outcome: { kind: 'not_found' } };
    },

    async listPending(now = clock()) {
      const ids = await redis.zrangebyscore(pendingKey, `(${now.getTime()}`, '+inf');
      if (ids.length === 0) return [];
      const raws = await redis.mget(ids.map(recordKey));
      const out: ApprovalState[] = [];
      const stale: string[] = [];
      ids.forEach((id, i) => {
        const raw = raws[i];
        const state = raw === null || raw === undefined ? undefined : expire(parse(raw), now);
        if (state?.status === 'pending') out.push(state);
        else stale.push(id); // gone (TTL) or closed: the index entry is stale
      });
      if (stale.length > 0) await redis.zrem(pendingKey, ...stale);
      return out;
    },

    async expireDue(now = clock()) {
      const ids = await redis.zrangebyscore(pendingKey, '-inf', now.getTime());
      const expired: ApprovalState[] = [];
      for (const id of ids) {
        const r = await transition(id, now, (s) => {
          const next = expire(s, now);
          return { next, result: { state: next, changed: next !== s } };
        });
        if (r?.changed === true) expired.push(r.state);
        // Gone (TTL) or already closed: the index entry is stale.
        else if (r === undefined || r.state.status !== 'pending') await redis.zrem(pendingKey, id);
      }
      return expired;
    },

    close() {
      closed = true;
      for (const conn of idle.splice(0)) conn.disconnect();
      return Promise.resolve();
    },
  };
}
