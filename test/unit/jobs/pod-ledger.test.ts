import { describe, expect, it } from 'vitest';
import { leaseKey } from '../../../src/jobs/leases.ts';
import { parseSnapshot, queuedWorkloads, targetKey } from '../../../src/jobs/ledger.ts';
import type { JobPayload, SpecOf, UpgradeTarget, Workload } from '../../../src/jobs/spec.ts';

/**
 * A pod-batch release in the ledger: each StatefulSet is in every batch, so each of its batch
 * steps is a field of its own, and the operation queue holds a StatefulSet while any of its
 * steps is unfinished (to change) or was written (to roll back), once.
 */
const db = (cluster: string): Workload => ({ cluster, region: cluster, namespace: 'ns', kind: 'StatefulSet', name: 'db', app: 'db', env: 'prod' });
const step = (cluster: string, partition: number, fromPartition: number, hi: number, first: boolean): UpgradeTarget => ({
  workload: db(cluster),
  fromImage: 'r.example.com/db:1',
  pods: { partition, fromPartition, hi, lo: partition, setsImage: first },
});
const batches = [
  [step('gz', 9, 0, 9, true), step('nj', 9, 0, 9, true)],
  [step('gz', 0, 9, 8, false), step('nj', 0, 9, 8, false)],
];
const spec: SpecOf<'upgrade'> = {
  kind: 'upgrade',
  env: 'prod',
  app: 'db',
  apps: ['db'],
  image: 'r.example.com/db:2',
  gate: 'manual',
  concurrency: 2,
  batches,
  pods: { asked: ['1', '100%'], sets: ['gz', 'nj'].map((c) => ({ workload: db(c), replicas: 10, podManagementPolicy: 'OrderedReady', fromRevision: 'db-1' })) },
};
const payload: JobPayload = { opId: 'op-1', spec, requestedBy: 'alice', approvedBy: [], traceId: 't', requestedAt: '2026-01-01T00:00:00Z' };
const snap = (fields: Record<string, string>) => parseSnapshot({ payload: JSON.stringify(payload), state: 'running', batch: '0', decisions: '0', total: '2', ...fields });

describe('a pod-batch release in the ledger', () => {
  it('keys each StatefulSet batch step by the partition it lowers to; a workload batch by the workload alone', () => {
    const k = (c: string) => leaseKey(db(c));
    expect(batches.flat().map(targetKey)).toEqual([`${k('gz')}#p9`, `${k('nj')}#p9`, `${k('gz')}#p0`, `${k('nj')}#p0`]);
    expect(targetKey({ workload: db('gz') })).toBe(k('gz'));
  });

  it.each<[string, Record<string, string>, 'change' | 'rollback', string[]]>([
    ['nothing done: both held to change, once each', {}, 'change', ['gz', 'nj']],
    ['batch 1 done: still held (batch 2 to go)', { 'w:K-gz#p9': 'done', 'w:K-nj#p9': 'done' }, 'change', ['gz', 'nj']],
    ['all done on gz: only nj held', { 'w:K-gz#p9': 'done', 'w:K-gz#p0': 'done', 'w:K-nj#p9': 'done' }, 'change', ['nj']],
    ['rolling back: those written', { 'w:K-gz#p9': 'done' }, 'rollback', ['gz']],
    ['rolling back: nothing written', {}, 'rollback', []],
  ])('%s', (_, fields, purpose, held) => {
    const real = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.replace(/K-(\w+)/, (__, c: string) => leaseKey(db(c))), v]));
    expect(queuedWorkloads(spec.batches.flat(), snap(real), purpose)).toEqual(held.map((c) => leaseKey(db(c))));
  });
});
