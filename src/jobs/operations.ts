import type { Redis } from 'ioredis';
import type { JobResult, ProgressEvent } from './context.ts';
import type { JobKind } from './spec.ts';

/**
 * The record of each operation the bot runs or was asked to run: what, for whom, where it is,
 * how it ended. `jobs` and `history` read these; chat renders them. Progress events go to a
 * capped stream per operation so a live message (or `chatops run --wait`) can follow along.
 */
export type OpStatus = 'awaiting_approval' | 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'blocked' | 'rejected' | 'expired' | 'cancelled';

export interface OpRecord {
  readonly id: string;
  readonly kind: JobKind;
  readonly status: OpStatus;
  readonly env: string;
  readonly app: string;
  readonly requestedBy: string;
  readonly approvalId?: string | undefined;
  readonly approvedBy: readonly string[];
  readonly summary: string;
  readonly traceId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly result?: JobResult | undefined;
  /** While it waits in the queue: who for, in a sentence ("Queued behind op-… (…)"); "" once it started. */
  readonly queuedBehind?: string | undefined;
  /** The request as typed, so "Request again" can open it afresh. */
  readonly request?: string | undefined;
}

const RETENTION_SECONDS = 30 * 24 * 3600;
const EVENTS_MAX = 1000;
const CHANGES_MAX = 10_000;
/** Creates the hash only if it does not exist yet: field/value pairs in ARGV, TTL last. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = table.remove(ARGV)
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('EXPIRE', KEYS[1], tonumber(ttl))
return 1`;

/** Each field is stored JSON-encoded in its own hash field, so an update is one HSET. */
function toFields(rec: Partial<OpRecord>): string[] {
  return Object.entries(rec).flatMap(([k, v]) => (v === undefined ? [] : [k, JSON.stringify(v)]));
}

function fromFields(h: Record<string, string>): OpRecord | undefined {
  if (h['id'] === undefined) return undefined;
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as unknown])) as unknown as OpRecord;
}

export class Operations {
  private readonly redis: Redis;
  private readonly prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private key(id: string): string {
    return `${this.prefix}op:${id}`;
  }

  /** Every change of any operation, as its id: what keeps live chat messages current. */
  get changesKey(): string {
    return `${this.prefix}op-changes`;
  }

  private async changed(id: string): Promise<void> {
    await this.redis.xadd(this.changesKey, 'MAXLEN', '~', String(CHANGES_MAX), '*', 'op', id);
  }

  /** Creates the record unless it exists (a redelivered request finds the first one). */
  async create(rec: OpRecord): Promise<{ created: boolean; record: OpRecord }> {
    const created = (await this.redis.eval(CREATE, 1, this.key(rec.id), ...toFields(rec), String(RETENTION_SECONDS))) === 1;
    if (created) {
      await this.redis.zadd(`${this.prefix}ops`, Date.parse(rec.createdAt), rec.id);
      await this.changed(rec.id);
      return { created: true, record: rec };
    }
    return { created: false, record: (await this.get(rec.id)) ?? rec };
  }

  async get(id: string): Promise<OpRecord | undefined> {
    return fromFields(await this.redis.hgetall(this.key(id)));
  }

  /** Sets the given fields (one HSET: atomic) if the record exists. */
  async update(id: string, patch: Partial<Omit<OpRecord, 'id'>>, now: Date): Promise<OpRecord | undefined> {
    if ((await this.redis.exists(this.key(id))) === 0) return undefined;
    await this.redis.hset(this.key(id), ...toFields({ ...patch, updatedAt: now.toISOString() }));
    await this.changed(id);
    return this.get(id);
  }

  /** Newest first. */
  async list(limit: number, filter: (r: OpRecord) => boolean = () => true): Promise<OpRecord[]> {
    const ids = await this.redis.zrevrange(`${this.prefix}ops`, 0, Math.max(limit * 5, 100) - 1);
    const out: OpRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r !== undefined && filter(r)) out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  async emit(event: ProgressEvent): Promise<void> {
    const key = `${this.key(event.opId)}:events`;
    // One round trip (a batch upgrade emits thousands); the order is kept: the event is in the
    // stream before the change that tells readers to look.
    await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', String(EVENTS_MAX), '*', 'event', JSON.stringify(event))
      .expire(key, RETENTION_SECONDS)
      .xadd(this.changesKey, 'MAXLEN', '~', String(CHANGES_MAX), '*', 'op', event.opId)
      .exec();
  }

  /** The newest progress event of an operation. */
  async lastEvent(opId: string): Promise<ProgressEvent | undefined> {
    const res = await this.redis.xrevrange(`${this.key(opId)}:events`, '+', '-', 'COUNT', 1);
    const fields = res[0]?.[1];
    return fields === undefined ? undefined : (JSON.parse(fields[1] ?? '{}') as ProgressEvent);
  }

  /** Events after `afterId` ("0" for all), waiting up to `blockMs` for new ones. */
  async events(opId: string, afterId: string, blockMs: number): Promise<{ id: string; event: ProgressEvent }[]> {
    const res = await this.redis.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', `${this.key(opId)}:events`, afterId);
    const entries = res?.[0]?.[1] ?? [];
    return entries.map(([id, fields]) => ({ id, event: JSON.parse(fields[1] ?? '{}') as ProgressEvent }));
  }
}
