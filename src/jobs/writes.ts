import type { ApplyHpaInput, RemoveHpaInput } from '../kube/hpa.ts';
import type { PartitionedImageInput, SetPartitionInput } from '../kube/partition.ts';
import type { RestartInput } from '../kube/restart.ts';
import type { RollbackInput } from '../kube/rollback.ts';
import type { ScaleInput } from '../kube/scale.ts';
import type { SetImageInput } from '../kube/set-image.ts';
import { refOf } from './context.ts';
import type { PodBatchStep, SpecOf, UpgradeTarget } from './spec.ts';

/**
 * The gateway input of each write a job makes, built in one place for the request-time dry run
 * and the job, so that the patch the apiserver checked when the request was made is the one
 * the job sends. Pure.
 */
type Target<K extends 'deploy' | 'scale' | 'rollback' | 'restart'> = SpecOf<K>['targets'][number];

export interface WriteActor {
  readonly opId: string;
  readonly requestedBy: string;
}

export function deployWrite(spec: SpecOf<'deploy'>, t: Target<'deploy'>, a: WriteActor): SetImageInput {
  const w = t.workload;
  return { ...refOf(w), image: spec.image, container: w.container, expectedFrom: t.fromImage, changeCause: `chatops ${a.opId}: ${spec.promotion === undefined ? 'deploy' : 'promotion'} ${spec.image} (by ${a.requestedBy})` };
}

export function scaleWrite(spec: SpecOf<'scale'>, t: Target<'scale'>): ScaleInput {
  return { ...refOf(t.workload), replicas: spec.replicas, expectedFrom: t.fromReplicas };
}

export function rollbackWrite(t: Target<'rollback'>, a: WriteActor): RollbackInput {
  return { ...refOf(t.workload), target: { kind: 'revision', revision: t.toRevision }, expectedRevision: t.fromRevision, changeCause: `chatops ${a.opId}: rollback to revision ${t.toRevision} (by ${a.requestedBy})` };
}

/** `/autoscale`: the HPA's settings to apply, or its removal (`off`), conditional on what it had when asked. */
export type AutoscaleWrite = { readonly kind: 'apply'; readonly input: ApplyHpaInput } | { readonly kind: 'remove'; readonly input: RemoveHpaInput };

export function autoscaleWrite(spec: SpecOf<'autoscale'>, t: SpecOf<'autoscale'>['targets'][number]): AutoscaleWrite {
  const base = { ...refOf(t.workload), expected: t.from };
  return spec.hpa === null ? { kind: 'remove', input: base } : { kind: 'apply', input: { ...base, settings: spec.hpa } };
}

export function restartWrite(spec: SpecOf<'restart'>, t: Target<'restart'>): RestartInput {
  return { ...refOf(t.workload), token: spec.token };
}

/** `batch` counts from 0. */
export function upgradeWrite(spec: SpecOf<'upgrade'>, t: UpgradeTarget, batch: number, a: WriteActor): SetImageInput {
  const w = t.workload;
  return {
    ...refOf(w),
    image: spec.image,
    container: w.container,
    expectedFrom: t.fromImage,
    changeCause: `chatops ${a.opId}: upgrade to ${spec.image}, batch ${batch + 1} of ${spec.batches.length} (by ${a.requestedBy})`,
  };
}

/**
 * One StatefulSet's write for a batch of a pod-batch release (`/deploy … pods=`): its first
 * batch sets the new image and the batch's partition in one write (conditional on the image and
 * the partition bound at request time); every later batch only lowers the partition, conditional
 * on the one the batch before left.
 */
export type PodBatchWrite =
  | { readonly kind: 'image+partition'; readonly input: PartitionedImageInput }
  | { readonly kind: 'partition'; readonly input: SetPartitionInput };

export function podBatchWrite(spec: SpecOf<'upgrade'>, t: UpgradeTarget, pods: PodBatchStep): PodBatchWrite {
  const w = t.workload;
  const ref = { namespace: w.namespace, name: w.name };
  if (pods.setsImage) {
    return { kind: 'image+partition', input: { ...ref, image: spec.image, container: w.container, partition: pods.partition, expectedFrom: t.fromImage, expectedPartition: pods.fromPartition } };
  }
  return { kind: 'partition', input: { ...ref, partition: pods.partition, expectedFrom: pods.fromPartition } };
}
