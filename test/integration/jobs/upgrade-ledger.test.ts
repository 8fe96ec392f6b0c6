import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLedger, type Ledger } from '../../../src/jobs/ledger.ts';
import type { JobPayload } from '../../../src/jobs/spec.ts';

/** The ledger's compare-and-set steps on the real Redis: repeated moves, wrong moves, racing decisions. */
function ledger(): Ledger {
  const url = process.env['REDIS_URL'];
  if (url === undefined) throw new Error('REDIS_URL is not set');
  const redis = new Redis(url);
  onTestFinished(() => void redis.disconnect());
  return createLedger(redis, `t-${randomBytes(4).toString('hex')}:`);
}

const wl = { cluster: 'gz', region: 'gz', namespace: 'ns', kind: 'Deployment' as const, name: 'web', app: 'web', env: 'prod' };
const payload: JobPayload = {
  opId: 'op-1',
  spec: { kind: 'upgrade', env: 'prod', app: 'web', apps: ['web'], image: 'r.example.com/web:2', gate: 'manual', concurrency: 1, batches: [[{ workload: wl, fromImage: 'r.example.com/web:1' }], [{ workload: { ...wl, cluster: 'nj', region: 'nj' }, fromImage: 'r.example.com/web:1' }]] },
  requestedBy: 'alice',
  approvedBy: [],
  traceId: 't',
  requestedAt: '2026-01-01T00:00:00Z',
};

describe('upgrade ledger', () => {
  it('is created once; a second init (a replayed first job) keeps what is there', async () => {
    const l = ledger();
    expect(await l.init('op-1', payload, 2)).toBe(true);
    await l.moveBatch('op-1', 0, 'running');
    expect(await l.init('op-1', { ...payload, requestedBy: 'mallory' }, 2)).toBe(false);
    const s = await l.read('op-1');
    expect(s?.payload.requestedBy).toBe('alice');
    expect(s?.batches).toEqual(['running', 'pending']);
  });

  it('moves a workload idempotently and refuses moves the table forbids', async () => {
    const l = ledger();
    await l.init('op-1', payload, 2);
    const key = 'gz/ns/Deployment/web';
    expect(await l.moveWorkload('op-1', key, 'written', 'set')).toEqual({ moved: true, from: 'pending' });
    expect(await l.moveWorkload('op-1', key, 'written', 'set')).toEqual({ moved: true, from: 'written' });
    expect(await l.moveWorkload('op-1', key, 'done', 'live')).toEqual({ moved: true, from: 'written' });
    expect(await l.moveWorkload('op-1', key, 'written', 'again?')).toEqual({ moved: false, from: 'done' });
    expect(await l.moveWorkload('op-1', key, 'rolled_back', 'back')).toEqual({ moved: true, from: 'done' });
    expect(await l.moveWorkload('op-1', key, 'done')).toEqual({ moved: false, from: 'rolled_back' });
    expect((await l.read('op-1'))?.workloads.get(key)).toEqual({ step: 'rolled_back', message: 'back' });
  });

  it('takes one of many racing decisions, and only in a state it is valid in', async () => {
    const l = ledger();
    await l.init('op-1', payload, 2);
    expect(await l.decide('op-1', { kind: 'continue', rollback: false, by: 'bob' })).toMatchObject({ accepted: false, gate: { state: 'running' } });
    expect(await l.setGate('op-1', 0, 'waiting_decision', 1)).toMatchObject({ moved: true });
    const votes = await Promise.all(['bob', 'carol', 'erin', 'bob', 'carol', 'erin', 'bob', 'carol'].map((by) => l.decide('op-1', { kind: 'continue', rollback: false, by })));
    expect(votes.filter((v) => v.accepted)).toHaveLength(1);
    const s = await l.read('op-1');
    expect(s?.decisions).toBe(1);
    expect(s?.gate.state).toBe('running');
    // /retry is for a failed batch only; the stale first job can no longer move the gate.
    expect(await l.setGate('op-1', 0, 'done', 2)).toMatchObject({ moved: false });
    expect(await l.setGate('op-1', 1, 'paused_failed', 2, 'probe failed')).toMatchObject({ moved: true, gate: { state: 'paused_failed', batch: 2, reason: 'probe failed' } });
    expect(await l.decide('op-1', { kind: 'continue', rollback: false, by: 'bob' })).toMatchObject({ accepted: false, gate: { state: 'paused_failed' } });
    const abort = await l.decide('op-1', { kind: 'abort', rollback: true, by: 'carol', reason: 'errors' });
    expect(abort).toMatchObject({ accepted: true, n: 2 });
    expect((await l.read('op-1'))?.decision).toEqual({ n: 2, kind: 'abort', rollback: true, by: 'carol', reason: 'errors' });
  });

  it('knows no operation it was never given', async () => {
    const l = ledger();
    expect(await l.read('op-x')).toBeUndefined();
    expect(await l.decide('op-x', { kind: 'abort', rollback: false, by: 'bob' })).toEqual({ accepted: false, gate: undefined });
    await expect(l.moveWorkload('op-x', 'k', 'written')).rejects.toThrow('no upgrade ledger');
  });
});
