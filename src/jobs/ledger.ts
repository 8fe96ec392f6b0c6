import type { Redis } from 'ioredis';
import { jobPayload, upgradeDecision, type JobPayload, type UpgradeDecision } from './spec.ts';
import {
  BATCH_FROM,
  BATCH_STEPS,
  DECISION_FROM,
  GATE_STATES,
  WORKLOAD_FROM,
  WORKLOAD_STEPS,
  rollbackCandidate,
  type BatchStep,
  type GateState,
  type WorkloadStep,
} from './upgrade-steps.ts';
import { leaseKey, type WorkloadRef } from './leases.ts';

/**
 * The step ledger of a batch upgrade: one Redis hash per operation, holding where every batch
 * and every workload stands and the state of the gate between batches. The processor runs
 * from it (a job killed mid-batch is resumed by another worker, which skips what is finished
 * and re-checks what was written), and decisions from chat move the gate.
 *
 * Every move is one Lua step that compares the current value with the states it may come
 * from (upgrade-steps.ts) before it sets the new one, so a move made twice is a no-op and a
 * move from the wrong state is refused and reported. Fields:
 *
 *   payload        the job payload of the first run (decisions re-enqueue it)
 *   state, batch   the gate: state, and the 1-based batch it refers to; reason: why it paused
 *   decisions      how many decisions were accepted; decision: the newest one (JSON)
 *   b:<i>          batch i (0-based): pending | running | healthy | failed
 *   w:<key>        workload (lease key): pending | written | done | failed | rolled_back
 *   m:<key>        the last word on that workload, for chat
 */
export interface Gate {
  readonly state: GateState;
  /** waiting_decision: the batches done so far (0 = before the first); paused_failed: the failed batch. */
  readonly batch: number;
  readonly reason: string | undefined;
}

export interface WorkloadEntry {
  readonly step: WorkloadStep;
  readonly message: string | undefined;
}

export interface LedgerSnapshot {
  readonly payload: JobPayload;
  readonly gate: Gate;
  readonly decisions: number;
  readonly decision: UpgradeDecision | undefined;
  readonly batches: readonly BatchStep[];
  /** By workload key; a workload never moved is pending. */
  readonly workloads: ReadonlyMap<string, WorkloadEntry>;
}

export type Move<S extends string> = { readonly moved: true; readonly from: S } | { readonly moved: false; readonly from: S };

export type DecideResult =
  | { readonly accepted: true; readonly n: number; readonly payload: JobPayload }
  | { readonly accepted: false; readonly gate: Gate }
  | { readonly accepted: false; readonly gate: undefined };

export interface Ledger {
  /** Creates the ledger of an operation unless it exists; true when this call created it. */
  init(opId: string, payload: JobPayload, batches: number): Promise<boolean>;
  read(opId: string): Promise<LedgerSnapshot | undefined>;
  moveWorkload(opId: string, key: string, to: WorkloadStep, message?: string): Promise<Move<WorkloadStep>>;
  moveBatch(opId: string, index: number, to: BatchStep): Promise<Move<BatchStep>>;
  /** Moves a running gate, only for the job of decision `n` (0: the first job). */
  setGate(opId: string, n: number, state: GateState, batch: number, reason?: string): Promise<{ moved: boolean; gate: Gate | undefined }>;
  /** Accepts a decision if the gate is in a state it is valid in: the gate runs again under decision n. */
  decide(opId: string, decision: Omit<UpgradeDecision, 'n'>): Promise<DecideResult>;
}

/** 30 days, like the operation records. */
const RETENTION_SECONDS = 30 * 24 * 3600;

const INIT = `
if redis.call('HEXISTS', KEYS[1], 'payload') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'payload', ARGV[1], 'state', 'running', 'batch', '0', 'decisions', '0', 'total', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

/** field, to, default, message field ('' for none), message, then the states it may come from. */
const MOVE = `
if redis.call('HEXISTS', KEYS[1], 'payload') == 0 then return {-1, ''} end
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ARGV[3]
for i = 6, #ARGV do
  if ARGV[i] == cur then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
    return {1, cur}
  end
end
return {0, cur}`;

/** n, state, batch, reason: moves the gate only while it runs under decision n. */
const SET_GATE = `
local st = redis.call('HMGET', KEYS[1], 'state', 'decisions', 'batch', 'reason')
if not st[1] then return {-1} end
if st[1] ~= 'running' or st[2] ~= ARGV[1] then return {0, st[1], st[3], st[4] or ''} end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'batch', ARGV[3], 'reason', ARGV[4])
return {1, ARGV[2], ARGV[3], ARGV[4]}`;

/** decision JSON (without n), then the states it is valid in. */
const DECIDE = `
local st = redis.call('HMGET', KEYS[1], 'state', 'batch', 'reason', 'payload')
if not st[1] then return {-1} end
for i = 2, #ARGV do
  if ARGV[i] == st[1] then
    local n = redis.call('HINCRBY', KEYS[1], 'decisions', 1)
    local d = cjson.decode(ARGV[1])
    d['n'] = n
    redis.call('HSET', KEYS[1], 'state', 'running', 'reason', '', 'decision', cjson.encode(d))
    return {1, n, st[4]}
  end
end
return {0, st[1], st[2], st[3] or ''}`;

function oneOf<T extends string>(values: readonly T[], v: string | undefined, fallback: T): T {
  return values.includes(v as T) ? (v as T) : fallback;
}

function gateOf(state: string | undefined, batch: string | undefined, reason: string | undefined): Gate {
  return { state: oneOf(GATE_STATES, state, 'running'), batch: Number(batch ?? 0), reason: reason === undefined || reason === '' ? undefined : reason };
}

export function parseSnapshot(h: Record<string, string>): LedgerSnapshot | undefined {
  const raw = h['payload'];
  if (raw === undefined) return undefined;
  const total = Number(h['total'] ?? 0);
  const workloads = new Map<string, WorkloadEntry>();
  for (const [k, v] of Object.entries(h)) {
    if (!k.startsWith('w:')) continue;
    const key = k.slice(2);
    workloads.set(key, { step: oneOf(WORKLOAD_STEPS, v, 'pending'), message: h[`m:${key}`] });
  }
  const decision = h['decision'] === undefined ? undefined : upgradeDecision.parse(JSON.parse(h['decision']));
  return {
    payload: jobPayload.parse(JSON.parse(raw)),
    gate: gateOf(h['state'], h['batch'], h['reason']),
    decisions: Number(h['decisions'] ?? 0),
    decision,
    batches: Array.from({ length: total }, (_, i) => oneOf(BATCH_STEPS, h[`b:${i}`], 'pending')),
    workloads,
  };
}

/**
 * The workloads an upgrade holds in the operation queue (op-queue.ts): while it pauses, those it
 * still has to change (not finished); to roll back, those it may have written.
 */
export function queuedWorkloads(targets: readonly LedgerTarget[], snap: LedgerSnapshot | undefined, purpose: 'change' | 'rollback'): string[] {
  const keys = targets
    .map((t) => ({ key: leaseKey(t.workload), step: snap?.workloads.get(targetKey(t))?.step ?? 'pending' }))
    .filter(({ step }) => (purpose === 'rollback' ? rollbackCandidate(step) : step !== 'done' && step !== 'rolled_back'))
    .map(({ key }) => key);
  return [...new Set(keys)];
}

export interface LedgerTarget {
  readonly workload: WorkloadRef;
  readonly pods?: { readonly partition: number } | undefined;
}

/**
 * A target's field in the ledger: its workload's lease key; in a pod-batch release, where one
 * StatefulSet is in every batch, with the partition its batch lowers it to.
 */
export function targetKey(t: LedgerTarget): string {
  return t.pods === undefined ? leaseKey(t.workload) : `${leaseKey(t.workload)}#p${t.pods.partition}`;
}

export function ledgerKey(prefix: string, opId: string): string {
  return `${prefix}upgrade:${opId}`;
}

export function createLedger(redis: Redis, prefix: string): Ledger {
  const k = (opId: string) => ledgerKey(prefix, opId);

  async function move<S extends string>(opId: string, field: string, to: S, from: readonly S[], message?: { field: string; text: string }): Promise<Move<S>> {
    const [code, cur] = (await redis.eval(MOVE, 1, k(opId), field, to, 'pending', message?.field ?? '', message?.text ?? '', ...from)) as [number, string];
    if (code === -1) throw new Error(`operation ${opId} has no upgrade ledger`);
    return { moved: code === 1, from: cur as S };
  }

  return {
    async init(opId, payload, batches) {
      const { decision: _ignored, ...first } = payload;
      return (await redis.eval(INIT, 1, k(opId), JSON.stringify(first), String(batches), String(RETENTION_SECONDS))) === 1;
    },

    async read(opId) {
      return parseSnapshot(await redis.hgetall(k(opId)));
    },

    moveWorkload(opId, key, to, message) {
      return move(opId, `w:${key}`, to, WORKLOAD_FROM[to], message === undefined ? undefined : { field: `m:${key}`, text: message });
    },

    moveBatch(opId, index, to) {
      return move(opId, `b:${index}`, to, BATCH_FROM[to]);
    },

    async setGate(opId, n, state, batch, reason) {
      const r = (await redis.eval(SET_GATE, 1, k(opId), String(n), state, String(batch), reason ?? '')) as [number, string?, string?, string?];
      if (r[0] === -1) return { moved: false, gate: undefined };
      return { moved: r[0] === 1, gate: gateOf(r[1], r[2], r[3]) };
    },

    async decide(opId, decision) {
      const d = upgradeDecision.omit({ n: true }).parse(decision);
      const r = (await redis.eval(DECIDE, 1, k(opId), JSON.stringify(d), ...DECISION_FROM[d.kind])) as [number, (string | number)?, string?, string?];
      if (r[0] === -1) return { accepted: false, gate: undefined };
      if (r[0] === 1) return { accepted: true, n: Number(r[1]), payload: jobPayload.parse(JSON.parse(String(r[2]))) };
      return { accepted: false, gate: gateOf(String(r[1]), r[2], r[3]) };
    },
  };
}
