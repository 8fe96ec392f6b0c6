import type { UpgradeDecision } from './spec.ts';

/**
 * The states of a batch upgrade and the moves between them, as data and small pure functions.
 * The ledger (ledger.ts) stores them in Redis and makes every move a compare-and-set against
 * these tables; the processor asks them what to do next. Nothing here does I/O.
 *
 *   workload: pending → written → done | failed;  failed → written | done (retry);
 *             written | done | failed → rolled_back (abort --rollback)
 *   batch:    pending → running → healthy | failed;  failed → running (retry)
 *   gate:     running → waiting_decision (after batch N) | paused_failed (batch N) | done
 *             | aborted | rolled_back;  a decision moves a paused gate back to running
 */
export const WORKLOAD_STEPS = ['pending', 'written', 'done', 'failed', 'rolled_back'] as const;
export type WorkloadStep = (typeof WORKLOAD_STEPS)[number];

export const BATCH_STEPS = ['pending', 'running', 'healthy', 'failed'] as const;
export type BatchStep = (typeof BATCH_STEPS)[number];

export const GATE_STATES = ['running', 'waiting_decision', 'paused_failed', 'aborted', 'rolled_back', 'done'] as const;
export type GateState = (typeof GATE_STATES)[number];

export type DecisionKind = UpgradeDecision['kind'];

/** Where a workload may come from to reach a step. Staying put is always allowed (idempotent). */
export const WORKLOAD_FROM: Readonly<Record<WorkloadStep, readonly WorkloadStep[]>> = {
  pending: ['pending'],
  // failed → written: a retry that had to write (the earlier try never did, e.g. it was stale).
  written: ['pending', 'written', 'failed'],
  done: ['written', 'done', 'failed'],
  // done → failed: the batch's probe failed after the rollout finished.
  failed: ['pending', 'written', 'done', 'failed'],
  rolled_back: ['written', 'done', 'failed', 'rolled_back'],
};

export const BATCH_FROM: Readonly<Record<BatchStep, readonly BatchStep[]>> = {
  pending: ['pending'],
  running: ['pending', 'running', 'failed'],
  healthy: ['running', 'healthy'],
  failed: ['running', 'failed'],
};

/** The gate states a decision is valid in; the decision moves the gate back to running. */
export const DECISION_FROM: Readonly<Record<DecisionKind, readonly GateState[]>> = {
  continue: ['waiting_decision'],
  retry: ['paused_failed'],
  abort: ['waiting_decision', 'paused_failed'],
};

export const FINAL_GATES: ReadonlySet<GateState> = new Set(['done', 'aborted', 'rolled_back']);

export function canMoveWorkload(from: WorkloadStep, to: WorkloadStep): boolean {
  return WORKLOAD_FROM[to].includes(from);
}

export function canMoveBatch(from: BatchStep, to: BatchStep): boolean {
  return BATCH_FROM[to].includes(from);
}

export function decisionValid(gate: GateState, kind: DecisionKind): boolean {
  return DECISION_FROM[kind].includes(gate);
}

/** Why a decision can't be taken now, for chat. */
export function decisionRefusal(gate: GateState, kind: DecisionKind, batch: number): string {
  const now: Record<GateState, string> = {
    running: 'it is running (not paused)',
    waiting_decision: `it is waiting for a decision after batch ${batch}`,
    paused_failed: `batch ${batch} failed and it is paused`,
    aborted: 'it was aborted',
    rolled_back: 'it was aborted and rolled back',
    done: 'it has finished',
  };
  const valid: Record<DecisionKind, string> = {
    continue: '/continue is only valid while it waits for a decision between batches',
    retry: '/retry is only valid after a batch failed',
    abort: '/abort is only valid while it is paused',
  };
  return `${valid[kind]}; ${now[gate]}.`;
}

/** What a workload of the batch to run needs, by its step in the ledger. */
export type WorkloadAction = 'skip' | 'write' | 'recheck';

export function workloadAction(step: WorkloadStep): WorkloadAction {
  switch (step) {
    case 'done':
    case 'rolled_back':
      return 'skip'; // finished: never touched again
    case 'written':
      return 'recheck'; // our write happened: check the live image, follow the rollout, no second write
    case 'pending':
    case 'failed':
      return 'write'; // a conditional write; a no-op when the live image already is the target
  }
}

/** The first batch (0-based) not yet healthy, or undefined when every batch is. */
export function nextBatch(batches: readonly BatchStep[]): number | undefined {
  const i = batches.findIndex((b) => b !== 'healthy');
  return i === -1 ? undefined : i;
}

/** After batch `index` (0-based) of `total` turned healthy: go on, wait for a decision, or finish. */
export function afterHealthy(gate: 'manual' | 'first' | 'auto', index: number, total: number): 'next' | 'wait' | 'done' {
  if (index >= total - 1) return 'done';
  if (gate === 'first') return index === 0 ? 'wait' : 'next';
  return gate === 'manual' ? 'wait' : 'next';
}

/**
 * Where a policy block before batch `index` leaves the gate: a batch that never started waits
 * for /continue (after the batches already healthy); a batch being retried is paused as failed.
 */
export function blockedGate(index: number, step: BatchStep): { state: 'waiting_decision' | 'paused_failed'; batch: number } {
  return step === 'pending' ? { state: 'waiting_decision', batch: index } : { state: 'paused_failed', batch: index + 1 };
}

/**
 * Whether the job carrying decision number `n` (0 for the first job) may act: only the job of
 * the newest decision, and only while the gate is running. Any other job is a replay or was
 * overtaken, and changes nothing.
 */
export function mayAct(gate: GateState, decisions: number, n: number): boolean {
  return gate === 'running' && decisions === n;
}

/** Workloads an abort --rollback writes back: those this operation may have written. */
export function rollbackCandidate(step: WorkloadStep): boolean {
  return step === 'written' || step === 'done' || step === 'failed';
}

/** Runs `fn` over `items`, at most `limit` at once; waits for all, then throws the first error. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    // After an error no new item starts; the ones under way finish.
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (errors.length > 0) throw errors[0];
  return results;
}
