import type { Redis } from 'ioredis';
import { imageLabel, type HealthFact, type HealthState, type RevisionHealth } from '../kube/revision-health.ts';
import type { RevisionInfo } from '../kube/revisions.ts';
import { leaseKey, type WorkloadRef } from './leases.ts';
import type { Workload } from './spec.ts';

/**
 * The health of each revision the bot saw, per cluster and workload, keyed by the revision's
 * key (pod-template-hash or ControllerRevision name; see kube/revision-health.ts). One Redis
 * hash per workload, `<prefix>rev-health:<cluster>/<namespace>/<kind>/<name>`, with a field per
 * key and kind of fact, `<key>|complete` → {"at","opId","seen"}: the newest fact of each kind.
 * A rollback reads it to go back, never forward. Each fact written also goes to the audit log
 * as a `revision` entry (once per operation, workload, revision and kind), so `/audit web in
 * staging` answers which revisions of web were good and when.
 *
 * Writes are one Lua step each and keep the newer fact, so a replayed job records nothing new.
 */
export interface RevisionHealthStore {
  read(w: WorkloadRef): Promise<Map<string, RevisionHealth>>;
  /** Keeps the fact about revision `rev` unless a newer one of the same kind is there (then nothing is audited either). */
  note(w: Workload, state: HealthState, rev: RevisionRef, by: { at: Date; opId: string; actor: string }): Promise<boolean>;
  /** A revision live and complete when a request was bound: recorded only if nothing is known of it. */
  seen(w: Workload, rev: RevisionRef, by: { at: Date; opId: string; actor: string }): Promise<boolean>;
}

/** The revision a fact is about; number and images when known, for the audit entry. */
export interface RevisionRef {
  readonly key: string;
  readonly revision?: number | undefined;
  readonly images?: RevisionInfo['images'] | undefined;
}

export interface RevisionAudit {
  readonly kind: 'revision';
  readonly at: Date;
  readonly actor: string;
  readonly opId: string;
  readonly app: string;
  readonly env: string;
  readonly cluster: string;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
  readonly dedupeKey: string;
}

/** Kept for 180 days after the last fact about the workload. */
const RETENTION_SECONDS = 180 * 24 * 3600;
const STATES: readonly HealthState[] = ['complete', 'failed', 'undone'];

/** field, fact JSON, fact time (ms), ttl: writes unless the field holds a newer fact. */
const RECORD = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, old = pcall(cjson.decode, cur)
  if ok and type(old) == 'table' and tonumber(old['ms'] or 0) > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1`;

/** key, fact JSON, ttl, then the key's three fields: writes <key>|complete only if none exists. */
const SEEN = `
for i = 4, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1] .. '|complete', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

interface Stored {
  readonly at: string;
  readonly ms: number;
  readonly opId?: string;
  readonly seen?: boolean;
}

function encode(fact: HealthFact): string {
  const s: Stored = { at: fact.at.toISOString(), ms: fact.at.getTime(), ...(fact.opId === undefined ? {} : { opId: fact.opId }), ...(fact.seen === true ? { seen: true } : {}) };
  return JSON.stringify(s);
}

function decode(state: HealthState, raw: string): HealthFact | undefined {
  try {
    const s = JSON.parse(raw) as Partial<Stored>;
    if (typeof s.at !== 'string') return undefined;
    return { state, at: new Date(s.at), ...(typeof s.opId === 'string' ? { opId: s.opId } : {}), ...(s.seen === true ? { seen: true } : {}) };
  } catch {
    return undefined;
  }
}

export function healthKey(prefix: string, w: WorkloadRef): string {
  return `${prefix}rev-health:${leaseKey(w)}`;
}

/** The hash's fields as facts by revision key. Pure. */
export function parseHealth(h: Readonly<Record<string, string>>): Map<string, RevisionHealth> {
  const out = new Map<string, { complete?: HealthFact; failed?: HealthFact; undone?: HealthFact }>();
  for (const [field, raw] of Object.entries(h)) {
    const bar = field.lastIndexOf('|');
    const state = field.slice(bar + 1) as HealthState;
    if (bar <= 0 || !STATES.includes(state)) continue;
    const fact = decode(state, raw);
    if (fact === undefined) continue;
    const key = field.slice(0, bar);
    out.set(key, { ...(out.get(key) ?? {}), [state]: fact });
  }
  return out;
}

const WORDS: Readonly<Record<HealthState, string>> = { complete: 'complete', failed: 'failed', undone: 'rolled back from' };

export function createRevisionHealth(redis: Redis, prefix: string, audit: (entry: RevisionAudit) => Promise<void>): RevisionHealthStore {
  const told = (w: Workload, state: HealthState, rev: RevisionRef, by: { at: Date; opId: string; actor: string }, seen: boolean) => {
    const which = `${rev.revision === undefined ? 'revision' : `revision ${rev.revision}`} ${rev.key}${rev.images === undefined ? '' : ` (${imageLabel(rev.images, w.container)})`}`;
    return audit({
      kind: 'revision',
      at: by.at,
      actor: by.actor,
      opId: by.opId,
      app: w.app,
      env: w.env,
      cluster: w.cluster,
      summary: `${w.app} on ${w.cluster}: ${which} ${seen ? 'seen live and complete' : WORDS[state]}`,
      detail: { workload: leaseKey(w), key: rev.key, state, ...(seen ? { seen: true } : {}), ...(rev.revision === undefined ? {} : { revision: rev.revision }), ...(rev.images === undefined ? {} : { images: rev.images.map((c) => c.image) }) },
      dedupeKey: `${by.opId}:revision:${leaseKey(w)}:${rev.key}:${state}`,
    });
  };
  return {
    async read(w) {
      return parseHealth(await redis.hgetall(healthKey(prefix, w)));
    },
    async note(w, state, rev, by) {
      const fact: HealthFact = { state, at: by.at, opId: by.opId };
      const wrote = (await redis.eval(RECORD, 1, healthKey(prefix, w), `${rev.key}|${state}`, encode(fact), String(by.at.getTime()), String(RETENTION_SECONDS))) === 1;
      if (wrote) await told(w, state, rev, by, false);
      return wrote;
    },
    async seen(w, rev, by) {
      const fact = encode({ state: 'complete', at: by.at, opId: by.opId, seen: true });
      const wrote = (await redis.eval(SEEN, 1, healthKey(prefix, w), rev.key, fact, String(RETENTION_SECONDS), ...STATES.map((st) => `${rev.key}|${st}`))) === 1;
      if (wrote) await told(w, 'complete', rev, by, true);
      return wrote;
    },
  };
}
