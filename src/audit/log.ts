import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { DEFAULT_DEDUPE_TTL_SECONDS } from '../jobs/dedupe.ts';

/**
 * The append-only record of who asked, who approved, what ran and what happened, on one Redis
 * stream, <prefix>audit. Entries are never edited or removed by the bot.
 *
 * Retention: no MAXLEN or MINID trimming happens here, on purpose: an audit log that drops its
 * oldest entries under load is not one. An entry is a few hundred bytes; a busy team writing
 * ten thousand a month adds a few megabytes, which Redis keeps for years. Keeping it longer or
 * smaller is an operator's job: archive with exportJsonl({ afterId }) (incrementally, from the
 * last exported id), then trim by hand with XTRIM <prefix>audit MINID <that id>. The Redis that
 * holds it must run with persistence (AOF), as the test and deployment Redis do.
 *
 * Replays: chat and queues deliver at least once, so an event can come twice. Pass a
 * dedupeKey (e.g. "approved:<approvalId>") and the entry is appended once; the key is kept as
 * long as the dedupe claims (48 h), in the same Lua step as the append.
 */

export const AUDIT_KINDS = [
  'requested',
  'approved',
  'rejected',
  'cancelled',
  'expired',
  'started',
  'step',
  'succeeded',
  'failed',
  'blocked',
  'paused',
  'resumed',
  'rolled_back',
  /** A fact about a revision's health (complete, failed, rolled back from): see jobs/revision-health.ts. */
  'revision',
  'setting',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEntry {
  /** When it happened (the caller's clock), not when it was written. */
  readonly at: Date;
  readonly kind: AuditKind;
  /** A person from config, or "bot" for what the bot did on its own. */
  readonly actor: string;
  readonly opId?: string | undefined;
  readonly approvalId?: string | undefined;
  readonly app?: string | undefined;
  readonly env?: string | undefined;
  readonly cluster?: string | undefined;
  /** One sentence a person reads in a list. */
  readonly summary: string;
  /** Structured facts (images, replicas, revisions). Never secrets: known secret keys are redacted anyway. */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly traceId?: string | undefined;
}

export interface AuditRecord extends AuditEntry {
  /** The stream id: unique, ordered, and a cursor for paging. */
  readonly id: string;
}

export interface AuditQuery {
  readonly app?: string;
  readonly env?: string;
  /** The actor. */
  readonly by?: string;
  readonly opId?: string;
  readonly approvalId?: string;
  readonly kind?: AuditKind;
  readonly limit: number;
  /** Only entries older than this stream id (the last id of the previous page). */
  readonly before?: string;
}

export type JsonlSink = Writable | ((line: string) => unknown);

export interface AuditLog {
  append(entry: AuditEntry, options?: { readonly dedupeKey?: string }): Promise<{ readonly id: string; readonly appended: boolean }>;
  /** Newest first. */
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Oldest first, after `afterId` when given. */
  entries(options?: { readonly afterId?: string }): AsyncGenerator<AuditRecord>;
  /** One JSON object per line, oldest first; returns how many and the last id (for the next export). */
  exportJsonl(sink: JsonlSink, options?: { readonly afterId?: string }): Promise<{ readonly count: number; readonly lastId: string | undefined }>;
}

const PAGE = 200;
const OPTIONAL = ['opId', 'approvalId', 'app', 'env', 'cluster', 'traceId'] as const;

const SECRET_KEY = /pass(word|phrase)?$|secret|token|authori[sz]ation|cookie|api[-_]?key|private[-_]?key|credential|signing/i;
const SECRET_VALUE = /^(xox[abpr]-|xapp-|Bearer\s|Basic\s|-----BEGIN [A-Z ]*PRIVATE KEY)/;

/** A copy of `value` with secret-looking keys and values replaced; the log must never hold one. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? '[redacted]' : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v)]));
  }
  return value;
}

function toFields(entry: AuditEntry): string[] {
  const fields = ['at', entry.at.toISOString(), 'kind', entry.kind, 'actor', entry.actor, 'summary', entry.summary];
  for (const name of OPTIONAL) {
    const v = entry[name];
    if (v !== undefined) fields.push(name, v);
  }
  fields.push('detail', JSON.stringify(redact(entry.detail) ?? {}));
  return fields;
}

function fromFields(id: string, flat: readonly string[]): AuditRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i] as string, flat[i + 1] as string);
  const record: Record<string, unknown> = {
    id,
    at: new Date(f.get('at') ?? 0),
    kind: f.get('kind'),
    actor: f.get('actor') ?? '',
    summary: f.get('summary') ?? '',
    detail: JSON.parse(f.get('detail') ?? '{}') as unknown,
  };
  for (const name of OPTIONAL) {
    const v = f.get(name);
    if (v !== undefined) record[name] = v;
  }
  return record as unknown as AuditRecord;
}

function matches(r: AuditRecord, q: AuditQuery): boolean {
  return (
    (q.app === undefined || r.app === q.app) &&
    (q.env === undefined || r.env === q.env) &&
    (q.by === undefined || r.actor === q.by) &&
    (q.opId === undefined || r.opId === q.opId) &&
    (q.approvalId === undefined || r.approvalId === q.approvalId) &&
    (q.kind === undefined || r.kind === q.kind)
  );
}

// KEYS: stream, dedupe key. ARGV: ttl seconds, then the fields.
const APPEND_ONCE = `
local seen = redis.call('GET', KEYS[2])
if seen then return {0, seen} end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'EX', ARGV[1])
return {1, id}`;

export function toJsonLine(r: AuditRecord): string {
  return `${JSON.stringify(r)}\n`;
}

export function createAuditLog(redis: Redis, prefix: string, options: { readonly dedupeTtlSeconds?: number } = {}): AuditLog {
  const stream = `${prefix}audit`;
  const dedupeTtl = options.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS;

  const log: AuditLog = {
    async append(entry, opts = {}) {
      const fields = toFields(entry);
      if (opts.dedupeKey === undefined) {
        const id = await redis.xadd(stream, '*', ...fields);
        if (id === null) throw new Error('XADD returned no id');
        return { id, appended: true };
      }
      const [appended, id] = (await redis.eval(APPEND_ONCE, 2, stream, `${prefix}audit:dedupe:${opts.dedupeKey}`, dedupeTtl, ...fields)) as [number, string];
      return { id, appended: appended === 1 };
    },

    async query(q) {
      const out: AuditRecord[] = [];
      if (q.limit <= 0) return out;
      let end = q.before === undefined ? '+' : `(${q.before}`;
      // Page backwards through the stream until enough entries match or it is exhausted.
      for (;;) {
        const page = await redis.xrevrange(stream, end, '-', 'COUNT', PAGE);
        for (const [id, flat] of page) {
          const r = fromFields(id, flat);
          if (!matches(r, q)) continue;
          out.push(r);
          if (out.length >= q.limit) return out;
        }
        const last = page.at(-1);
        if (page.length < PAGE || last === undefined) return out;
        end = `(${last[0]}`;
      }
    },

    async *entries(opts = {}) {
      let start = opts.afterId === undefined ? '-' : `(${opts.afterId}`;
      for (;;) {
        const page = await redis.xrange(stream, start, '+', 'COUNT', PAGE);
        for (const [id, flat] of page) yield fromFields(id, flat);
        const last = page.at(-1);
        if (page.length < PAGE || last === undefined) return;
        start = `(${last[0]}`;
      }
    },

    async exportJsonl(sink, opts = {}) {
      let count = 0;
      let lastId: string | undefined;
      for await (const r of log.entries(opts)) {
        const line = toJsonLine(r);
        if (typeof sink === 'function') await sink(line);
        else if (!sink.write(line)) await once(sink, 'drain');
        count++;
        lastId = r.id;
      }
      return { count, lastId };
    },
  };
  return log;
}
