import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../../src/jobs/ledger.ts';
import { resultFromLedger } from '../../../src/jobs/processors/upgrade-run.ts';
import type { JobPayload, SpecOf, Workload } from '../../../src/jobs/spec.ts';

/** The ledger hash read back (pure), and what each gate state reports to chat. */
const w = (cluster: string, name: string): Workload => ({ cluster, region: cluster, namespace: 'ns', kind: 'Deployment', name, app: name, env: 'prod' });
const spec: SpecOf<'upgrade'> = {
  kind: 'upgrade',
  env: 'prod',
  app: 'web,api',
  apps: ['web', 'api'],
  image: 'r.example.com/base:2',
  gate: 'manual',
  concurrency: 2,
  batches: [
    [
      { workload: w('gz', 'web'), fromImage: 'r.example.com/base:1' },
      { workload: w('gz', 'api'), fromImage: 'r.example.com/base:1' },
    ],
    [{ workload: w('nj', 'web'), fromImage: 'r.example.com/base:1' }],
  ],
};
const payload: JobPayload = { opId: 'op-1', spec, requestedBy: 'alice', approvedBy: ['bob'], traceId: 't', requestedAt: '2026-01-01T00:00:00Z' };

function hash(extra: Record<string, string>): Record<string, string> {
  return { payload: JSON.stringify(payload), state: 'running', batch: '0', decisions: '0', total: '2', ...extra };
}

describe('upgrade ledger snapshot', () => {
  it('reads a fresh ledger: every batch pending, no workload moved', () => {
    const s = parseSnapshot(hash({}));
    expect(s?.batches).toEqual(['pending', 'pending']);
    expect(s?.workloads.size).toBe(0);
    expect(s?.gate).toEqual({ state: 'running', batch: 0, reason: undefined });
    expect(s?.payload.spec).toEqual(spec);
  });

  it('is undefined without a payload (no ledger)', () => {
    expect(parseSnapshot({})).toBeUndefined();
  });

  it('reads workloads, messages and the newest decision', () => {
    const s = parseSnapshot(
      hash({ 'b:0': 'healthy', 'w:gz/ns/Deployment/web': 'done', 'm:gz/ns/Deployment/web': 'live', decisions: '1', decision: JSON.stringify({ n: 1, kind: 'continue', rollback: false, by: 'carol' }) }),
    );
    expect(s?.batches).toEqual(['healthy', 'pending']);
    expect(s?.workloads.get('gz/ns/Deployment/web')).toEqual({ step: 'done', message: 'live' });
    expect(s?.decision).toEqual({ n: 1, kind: 'continue', rollback: false, by: 'carol' });
  });
});

describe('what a gate state reports', () => {
  const report = (extra: Record<string, string>) => resultFromLedger(spec, parseSnapshot(hash(extra)) as NonNullable<ReturnType<typeof parseSnapshot>>, 'op-1');

  it.each<[string, Record<string, string>, string, string]>([
    ['waiting after batch 1', { state: 'waiting_decision', batch: '1' }, 'paused', 'batch 1 of 2 is healthy; waiting for a decision: /continue op-1 for batch 2, or /abort op-1 [--rollback]'],
    ['blocked before batch 1', { state: 'waiting_decision', batch: '0', reason: 'blocked: prod is frozen.' }, 'paused', 'paused before batch 1 of 2: blocked: prod is frozen. Say /continue op-1 once it is allowed again, or /abort op-1 [--rollback].'],
    ['batch 2 failed', { state: 'paused_failed', batch: '2', reason: 'web on nj: answered 500' }, 'paused', 'batch 2 of 2 failed: web on nj: answered 500. Fix it and /retry op-1, or /abort op-1 --rollback.'],
    ['done', { state: 'done', batch: '2' }, 'succeeded', 'upgrade to r.example.com/base:2 finished on 3 workload(s) in 2 batch(es)'],
    [
      'rolled back',
      { state: 'rolled_back', batch: '2', 'w:gz/ns/Deployment/web': 'rolled_back', decision: JSON.stringify({ n: 2, kind: 'abort', rollback: true, by: 'carol' }) },
      'cancelled',
      'upgrade to r.example.com/base:2 aborted by carol; 1 workload(s) rolled back to their old image',
    ],
  ])('%s', (_name, extra, outcome, summary) => {
    const r = report(extra);
    expect(r.outcome).toBe(outcome);
    expect(r.summary).toBe(summary);
  });

  it('a job that finds the gate running under a newer decision is superseded and records nothing', () => {
    expect(report({ state: 'running', decisions: '2' }).superseded).toBe(true);
  });
});
