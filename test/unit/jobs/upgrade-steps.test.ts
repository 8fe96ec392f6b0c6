import { describe, expect, it } from 'vitest';
import {
  BATCH_STEPS,
  GATE_STATES,
  WORKLOAD_STEPS,
  afterHealthy,
  blockedGate,
  canMoveBatch,
  canMoveWorkload,
  decisionRefusal,
  decisionValid,
  mapLimit,
  mayAct,
  nextBatch,
  rollbackCandidate,
  workloadAction,
  type BatchStep,
  type DecisionKind,
  type GateState,
  type WorkloadStep,
} from '../../../src/jobs/upgrade-steps.ts';

describe('workload steps', () => {
  // [from, to, allowed]
  it.each<[WorkloadStep, WorkloadStep, boolean]>([
    ['pending', 'written', true],
    ['pending', 'failed', true],
    ['pending', 'done', false], // a workload is never done without being written (or found written)
    ['pending', 'rolled_back', false], // nothing to roll back
    ['written', 'done', true],
    ['written', 'failed', true],
    ['written', 'pending', false],
    ['done', 'failed', true], // the batch's probe failed after the rollout
    ['done', 'written', false], // finished workloads are never written again
    ['failed', 'written', true], // retry
    ['failed', 'done', true], // retry found it healthy
    ['done', 'rolled_back', true],
    ['rolled_back', 'written', false],
    ['rolled_back', 'done', false],
  ])('%s → %s: %s', (from, to, allowed) => {
    expect(canMoveWorkload(from, to)).toBe(allowed);
  });

  it.each(WORKLOAD_STEPS.filter((s) => s !== 'pending'))('moving to %s twice is a no-op, not an error', (s) => {
    expect(canMoveWorkload(s, s)).toBe(true);
  });

  it.each<[WorkloadStep, string]>([
    ['pending', 'write'],
    ['failed', 'write'],
    ['written', 'recheck'],
    ['done', 'skip'],
    ['rolled_back', 'skip'],
  ])('a %s workload: %s', (step, action) => {
    expect(workloadAction(step)).toBe(action);
  });

  it.each<[WorkloadStep, boolean]>([
    ['pending', false],
    ['written', true],
    ['done', true],
    ['failed', true],
    ['rolled_back', false],
  ])('rollback candidate when %s: %s', (step, yes) => {
    expect(rollbackCandidate(step)).toBe(yes);
  });
});

describe('batch steps', () => {
  it.each<[BatchStep, BatchStep, boolean]>([
    ['pending', 'running', true],
    ['running', 'healthy', true],
    ['running', 'failed', true],
    ['failed', 'running', true], // retry
    ['healthy', 'running', false], // a healthy batch never runs again
    ['pending', 'healthy', false],
    ['healthy', 'failed', false],
  ])('%s → %s: %s', (from, to, allowed) => {
    expect(canMoveBatch(from, to)).toBe(allowed);
  });

  it('every batch step is reachable from itself except pending', () => {
    expect(BATCH_STEPS.filter((s) => s !== 'pending').every((s) => canMoveBatch(s, s))).toBe(true);
  });

  it.each<[BatchStep[], number | undefined]>([
    [['pending', 'pending'], 0],
    [['healthy', 'pending'], 1],
    [['healthy', 'failed', 'pending'], 1],
    [['healthy', 'running'], 1],
    [['healthy', 'healthy'], undefined],
  ])('next batch of %j is %s', (batches, next) => {
    expect(nextBatch(batches)).toBe(next);
  });
});

describe('gates and decisions', () => {
  it.each<['manual' | 'first' | 'auto', number, number, string]>([
    ['manual', 0, 2, 'wait'],
    ['first', 0, 4, 'wait'],
    ['first', 1, 4, 'next'],
    ['first', 2, 4, 'next'],
    ['first', 3, 4, 'done'],
    ['first', 0, 1, 'done'],
    ['manual', 1, 3, 'wait'],
    ['manual', 1, 2, 'done'],
    ['auto', 0, 3, 'next'],
    ['auto', 2, 3, 'done'],
    ['auto', 0, 1, 'done'],
    ['manual', 0, 1, 'done'],
  ])('gate=%s after batch %i of %i: %s', (gate, index, total, expected) => {
    expect(afterHealthy(gate, index, total)).toBe(expected);
  });

  const table: [GateState, DecisionKind, boolean][] = GATE_STATES.flatMap((g) =>
    (['continue', 'retry', 'abort'] as const).map((k): [GateState, DecisionKind, boolean] => [
      g,
      k,
      (k === 'continue' && g === 'waiting_decision') || (k === 'retry' && g === 'paused_failed') || (k === 'abort' && (g === 'waiting_decision' || g === 'paused_failed')),
    ]),
  );
  it.each(table)('in %s, %s is valid: %s', (gate, kind, valid) => {
    expect(decisionValid(gate, kind)).toBe(valid);
  });

  it('says why a decision is refused', () => {
    expect(decisionRefusal('paused_failed', 'continue', 2)).toBe('/continue is only valid while it waits for a decision between batches; batch 2 failed and it is paused.');
    expect(decisionRefusal('running', 'retry', 0)).toBe('/retry is only valid after a batch failed; it is running (not paused).');
  });

  it.each<[number, BatchStep, string, number]>([
    [0, 'pending', 'waiting_decision', 0], // blocked before the first batch: /continue starts it
    [1, 'pending', 'waiting_decision', 1], // after batch 1
    [1, 'failed', 'paused_failed', 2], // blocked while retrying batch 2
    [1, 'running', 'paused_failed', 2], // resumed after a crash mid-batch
  ])('blocked before batch index %i (%s): %s after %i', (index, step, state, batch) => {
    expect(blockedGate(index, step)).toEqual({ state, batch });
  });

  it.each<[GateState, number, number, boolean]>([
    ['running', 0, 0, true], // the first job
    ['running', 1, 1, true], // the job of decision 1
    ['running', 1, 0, false], // the first job, replayed after decision 1 was taken
    ['running', 2, 1, false], // overtaken by a newer decision
    ['waiting_decision', 0, 0, false], // the first job, replayed after it paused
    ['done', 1, 1, false],
  ])('gate %s with %i decisions: job %i may act: %s', (gate, decisions, n, yes) => {
    expect(mayAct(gate, decisions, n)).toBe(yes);
  });
});

describe('mapLimit', () => {
  it('keeps at most `limit` running, in order of results', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return x * 10;
    });
    expect(out).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
  });

  it('lets the started ones finish, starts no more after an error, then throws it', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4, 5], 2, async (x) => {
        started.push(x);
        await new Promise((r) => setImmediate(r));
        if (x === 1) throw new Error('boom');
        finished.push(x);
        return x;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});
