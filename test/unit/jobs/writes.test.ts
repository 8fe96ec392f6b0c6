import { describe, expect, it } from 'vitest';
import type { ClusterGateway } from '../../../src/kube/gateway.ts';
import type { PartitionedImageInput } from '../../../src/kube/partition.ts';
import { previewOf } from '../../../src/kube/write-preview.ts';
import { checkedAtApproval, previewSpec } from '../../../src/jobs/preview.ts';
import type { SpecOf, UpgradeTarget, Workload } from '../../../src/jobs/spec.ts';
import { podBatchWrite, upgradeWrite, type PodBatchWrite } from '../../../src/jobs/writes.ts';

/**
 * A pod-batch release (`/deploy … pods=`) is dry run with the write its job sends first on each
 * StatefulSet (image and partition together), not with a plain image patch: the diff an
 * approver sees holds the partition, and the preview the job checks before that write is of
 * the same patch.
 */
const OLD = 'r.example.com/db:1';
const NEW = 'r.example.com/db:2';
const db = (cluster: string): Workload => ({ cluster, region: cluster, namespace: 'ns', kind: 'StatefulSet', name: 'db', app: 'db', env: 'prod', container: 'db' });
const step = (cluster: string, partition: number, fromPartition: number, hi: number, first: boolean): UpgradeTarget => ({
  workload: db(cluster),
  fromImage: OLD,
  pods: { partition, fromPartition, hi, lo: partition, setsImage: first },
});
const podSpec: SpecOf<'upgrade'> = {
  kind: 'upgrade',
  env: 'prod',
  app: 'db',
  apps: ['db'],
  image: NEW,
  gate: 'manual',
  concurrency: 2,
  batches: [
    [step('gz', 9, 0, 9, true), step('nj', 9, 0, 9, true)],
    [step('gz', 5, 9, 8, false), step('nj', 5, 9, 8, false)],
    [step('gz', 0, 5, 4, false), step('nj', 0, 5, 4, false)],
  ],
  pods: { asked: ['1', '50%', '100%'], sets: ['gz', 'nj'].map((c) => ({ workload: db(c), replicas: 10, podManagementPolicy: 'OrderedReady', fromRevision: 'db-1' })) },
};
const actor = { opId: 'op-1', requestedBy: 'alice' };

describe('podBatchWrite', () => {
  it.each<[string, UpgradeTarget, PodBatchWrite]>([
    [
      'the first batch sets the image and the partition in one write, conditional on both',
      step('gz', 9, 0, 9, true),
      { kind: 'image+partition', input: { namespace: 'ns', name: 'db', image: NEW, container: 'db', partition: 9, expectedFrom: OLD, expectedPartition: 0 } },
    ],
    ['a later batch only lowers the partition, from the one the batch before left', step('gz', 5, 9, 8, false), { kind: 'partition', input: { namespace: 'ns', name: 'db', partition: 5, expectedFrom: 9 } }],
    ['the last batch lowers it to 0', step('nj', 0, 5, 4, false), { kind: 'partition', input: { namespace: 'ns', name: 'db', partition: 0, expectedFrom: 5 } }],
  ])('%s', (_, t, want) => {
    expect(t.pods).toBeDefined();
    if (t.pods !== undefined) expect(podBatchWrite(podSpec, t, t.pods)).toEqual(want);
  });
});

/** A gateway that records the writes it is asked for and answers a dry run with a partition change. */
function recorder() {
  const calls: { cluster: string; method: string; input: unknown; dryRun: boolean | undefined }[] = [];
  const before = { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, template: { spec: { containers: [{ name: 'db', image: OLD }] } } } };
  const gatewayFor = (cluster: string): ClusterGateway => {
    const gw: Pick<ClusterGateway, 'setImage' | 'setImageWithPartition' | 'setPartition'> = {
      setImage: (input, options) => {
        calls.push({ cluster, method: 'setImage', input, dryRun: options?.dryRun });
        const after = { spec: { ...before.spec, template: { spec: { containers: [{ name: 'db', image: input.image }] } } } };
        return Promise.resolve({ cluster, ref: input, changed: true, containers: [], generation: 2, resourceVersion: '2', preview: previewOf(before, after) });
      },
      setImageWithPartition: (input: PartitionedImageInput, options) => {
        calls.push({ cluster, method: 'setImageWithPartition', input, dryRun: options?.dryRun });
        const after = { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: input.partition } }, template: { spec: { containers: [{ name: 'db', image: input.image }] } } } };
        const ref = { namespace: input.namespace, kind: 'StatefulSet' as const, name: input.name };
        return Promise.resolve({ cluster, ref, changed: true, containers: [], partition: { from: 0, to: input.partition }, generation: 2, resourceVersion: '2', preview: previewOf(before, after) });
      },
      setPartition: (input, options) => {
        calls.push({ cluster, method: 'setPartition', input, dryRun: options?.dryRun });
        return Promise.reject(new Error('a later batch can not be dry run before the one before it has landed'));
      },
    };
    // Only the three writes are reached by previewSpec for an upgrade.
    return gw as unknown as ClusterGateway;
  };
  return { calls, gatewayFor };
}

describe('previewSpec of an upgrade', () => {
  it("a pod-batch release dry runs each StatefulSet's first write (image + partition), the one its job sends first", async () => {
    const r = recorder();
    const previewed = await previewSpec(podSpec, r.gatewayFor, actor);
    expect(r.calls).toEqual(
      ['gz', 'nj'].map((cluster) => ({ cluster, method: 'setImageWithPartition', input: podBatchWrite(podSpec, step(cluster, 9, 0, 9, true), { partition: 9, fromPartition: 0, hi: 9, lo: 9, setsImage: true }).input, dryRun: true })),
    );
    // One diff per StatefulSet, holding the partition as well as the image.
    expect(previewed.map((p) => p.workload.cluster)).toEqual(['gz', 'nj']);
    for (const p of previewed) {
      expect(p.preview.changes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: ['spec', 'updateStrategy', 'rollingUpdate', 'partition'], from: 0, to: 9 }),
          expect.objectContaining({ from: OLD, to: NEW }),
        ]),
      );
    }
  });

  it('a workload batch upgrade dry runs the image patch of every workload', async () => {
    const t = (cluster: string): UpgradeTarget => ({ workload: { ...db(cluster), kind: 'Deployment', name: 'web' }, fromImage: OLD });
    const spec: SpecOf<'upgrade'> = { ...podSpec, pods: undefined, batches: [[t('gz')], [t('nj')]] };
    const r = recorder();
    await previewSpec(spec, r.gatewayFor, actor);
    expect(r.calls).toEqual([
      { cluster: 'gz', method: 'setImage', input: upgradeWrite(spec, t('gz'), 0, actor), dryRun: true },
      { cluster: 'nj', method: 'setImage', input: upgradeWrite(spec, t('nj'), 1, actor), dryRun: true },
    ]);
  });
});

describe('checkedAtApproval', () => {
  const preview = (cluster: string, name = 'db') => ({ cluster, namespace: 'ns', kind: 'StatefulSet' as const, name, changes: [{ path: ['spec', 'x'], from: 1, to: 2 }] });
  const twoBatches: SpecOf<'upgrade'> = { ...podSpec, pods: undefined, batches: [[step('gz', 0, 0, 9, true)], [step('nj', 0, 0, 9, true)]] };
  it.each<[string, Parameters<typeof checkedAtApproval>[0], string[]]>([
    ['an upgrade: only its first batch is read again at the click (later ones are checked by the job when it gets there)', twoBatches, ['gz']],
    ['a pod-batch release: its first batch holds every StatefulSet', podSpec, ['gz', 'nj']],
    ['anything else: all of it', { kind: 'scale', env: 'prod', app: 'db', replicas: 3, targets: [] }, ['gz', 'nj']],
  ])('%s', (_, spec, clusters) => {
    expect(checkedAtApproval(spec, [preview('gz'), preview('nj')]).map((p) => p.cluster)).toEqual(clusters);
  });
});
