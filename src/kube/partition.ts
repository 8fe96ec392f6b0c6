import type { V1StatefulSet } from '@kubernetes/client-node';
import { mergeChanges, type FieldChange } from '../core/field-diff.ts';
import { parseImageRef } from '../core/image-ref.ts';
import type { KubeClients } from './clients.ts';
import { KubeError } from './errors.ts';
import { selectContainers } from './images.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, StaleRequest, retryOnConflict } from './retry.ts';
import { imageExpectations, type ImageChange } from './set-image.ts';
import { containersOf, describeWorkload, generationOf, patchWorkload, readWorkload, resourceVersionOf, type Workload, type WorkloadRef } from './workload.ts';
import { previewOf, refuseMoved, unchangedPreview, type WriteOptions, type WritePreview } from './write-preview.ts';

/**
 * Batch updates of a StatefulSet through `spec.updateStrategy.rollingUpdate.partition`: the
 * controller moves only pods with ordinal >= partition to the new revision. A batch upgrade
 * sets the image together with a high partition, waits, then lowers the partition step by step
 * (to 0 for the last batch).
 */
export interface StatefulSetRef {
  readonly namespace: string;
  readonly name: string;
}

export interface PartitionedImageInput extends StatefulSetRef {
  readonly image: string;
  readonly container?: string | undefined;
  /** Only pods with ordinal >= partition get the new image. */
  readonly partition: number;
  readonly expectedFrom?: string | undefined;
  /** The partition the caller saw; a write finding another one is stale (the image alone is not enough to tell). */
  readonly expectedPartition?: number | undefined;
  /** The approved preview's changes: each field must still hold its "from". */
  readonly expect?: readonly FieldChange[] | undefined;
}

export type PartitionOptions = WriteOptions;

export interface PartitionedImageResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  readonly changed: boolean;
  readonly containers: readonly ImageChange[];
  readonly partition: { readonly from: number; readonly to: number };
  readonly generation: number;
  readonly resourceVersion: string;
  /** Only with dryRun: what the write would change. */
  readonly preview?: WritePreview;
}

export interface SetPartitionInput extends StatefulSetRef {
  /**
   * The new partition; undefined: remove the rollingUpdate block, as a StatefulSet created
   * without one had it (any rollingUpdate block gets its partition defaulted, so only removing
   * it restores such a StatefulSet exactly; the controller then treats the partition as 0).
   */
  readonly partition: number | undefined;
  /** The partition the caller saw; a different one makes the request stale. */
  readonly expectedFrom?: number | undefined;
  readonly expect?: readonly FieldChange[] | undefined;
}

export interface SetPartitionResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  readonly changed: boolean;
  readonly from: number;
  readonly to: number;
  readonly generation: number;
  readonly resourceVersion: string;
  readonly preview?: WritePreview;
}

function stsRef(r: StatefulSetRef): WorkloadRef {
  return { namespace: r.namespace, kind: 'StatefulSet', name: r.name };
}

function rollingStatefulSet(c: KubeClients, ref: WorkloadRef, w: Workload): V1StatefulSet {
  if (w.kind !== 'StatefulSet') throw new KubeError('invalid', `${describeWorkload(c, ref)} is not a StatefulSet`);
  const type = w.object.spec?.updateStrategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') throw new KubeError('invalid', `${describeWorkload(c, ref)} uses the ${type} update strategy; batches need RollingUpdate`);
  return w.object;
}

function checkPartition(c: KubeClients, ref: WorkloadRef, partition: number, replicas: number): void {
  if (!Number.isInteger(partition) || partition < 0) throw new KubeError('invalid', `${partition} is not a partition (a whole number, 0 or more)`);
  if (partition > replicas) throw new KubeError('invalid', `Partition ${partition} is above the ${replicas} replicas of ${describeWorkload(c, ref)}`);
}

export async function setImageWithPartition(c: KubeClients, input: PartitionedImageInput, options: PartitionOptions = {}): Promise<PartitionedImageResult> {
  const parsed = parseImageRef(input.image);
  if (!parsed.ok) throw new KubeError('invalid', `"${input.image}" is not a valid image reference: ${parsed.problem}`);
  const ref = stsRef(input);
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const w = await readWorkload(c, ref);
    const sts = rollingStatefulSet(c, ref, w);
    checkPartition(c, ref, input.partition, sts.spec?.replicas ?? 1);
    const sel = selectContainers(containersOf(w), input.image, input.container);
    if (!sel.ok) throw new KubeError('invalid', `${describeWorkload(c, ref)}: ${sel.problem}`);
    const toChange = sel.containers.filter((s) => s.image !== input.image);
    const fromPartition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const containers = sel.containers.map((s) => ({ container: s.name, from: s.image, to: input.image }));
    const base = { cluster: c.cluster, ref, containers, partition: { from: fromPartition, to: input.partition } };
    if (toChange.length === 0 && fromPartition === input.partition) {
      return { ...base, changed: false, generation: generationOf(w), resourceVersion: resourceVersionOf(w), ...(options.dryRun === true ? { preview: unchangedPreview(w) } : {}) };
    }
    refuseMoved(c, ref, w, mergeChanges(imageExpectations(toChange, input.expectedFrom), input.expect ?? []));
    if (input.expectedPartition !== undefined && fromPartition !== input.expectedPartition && fromPartition !== input.partition) {
      throw new StaleRequest(`${describeWorkload(c, ref)} has partition ${fromPartition}, not ${input.expectedPartition} as when the request was made; nothing was changed (conflict)`);
    }
    const spec: Record<string, unknown> = { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: input.partition } } };
    if (toChange.length > 0) spec['template'] = { spec: { containers: toChange.map((s) => ({ name: s.name, image: input.image })) } };
    const after = await patchWorkload(c, ref, 'strategic', { metadata: { resourceVersion: resourceVersionOf(w) }, spec }, { fieldManager: options.fieldManager, dryRun: options.dryRun });
    return { ...base, changed: true, generation: generationOf(after), resourceVersion: resourceVersionOf(after), ...(options.dryRun === true ? { preview: previewOf(w.object, after.object) } : {}) };
  });
}

export async function setPartition(c: KubeClients, input: SetPartitionInput, options: PartitionOptions = {}): Promise<SetPartitionResult> {
  const ref = stsRef(input);
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const w = await readWorkload(c, ref);
    const sts = rollingStatefulSet(c, ref, w);
    const to = input.partition ?? 0;
    checkPartition(c, ref, to, sts.spec?.replicas ?? 1);
    const rolling = sts.spec?.updateStrategy?.rollingUpdate;
    const from = rolling?.partition ?? 0;
    const base = { cluster: c.cluster, ref, from, to };
    const inPlace = input.partition === undefined ? rolling === undefined : from === input.partition;
    if (inPlace) return { ...base, changed: false, generation: generationOf(w), resourceVersion: resourceVersionOf(w), ...(options.dryRun === true ? { preview: unchangedPreview(w) } : {}) };
    if (input.expectedFrom !== undefined && from !== input.expectedFrom) {
      throw new StaleRequest(`${describeWorkload(c, ref)} has partition ${from}, not ${input.expectedFrom} as when the request was made; nothing was changed (conflict)`);
    }
    refuseMoved(c, ref, w, input.expect ?? []);
    // null removes the block in a strategic merge patch.
    const rollingUpdate = input.partition === undefined ? null : { partition: input.partition };
    const after = await patchWorkload(
      c,
      ref,
      'strategic',
      { metadata: { resourceVersion: resourceVersionOf(w) }, spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate } } },
      { fieldManager: options.fieldManager, dryRun: options.dryRun },
    );
    return { ...base, changed: true, generation: generationOf(after), resourceVersion: resourceVersionOf(after), ...(options.dryRun === true ? { preview: previewOf(w.object, after.object) } : {}) };
  });
}
