import type { Config } from '../config/schema.ts';
import { clientsFor, clientsForConfig, type ClusterAccess, type KubeClients } from './clients.ts';
import { diagnose, type DiagnoseOptions, type Diagnosis } from './diagnose.ts';
import { history, revisionsWithStatus } from './history.ts';
import { applyHpa, readHpa, removeHpa, type ApplyHpaInput, type ApplyHpaResult, type HpaState, type RemoveHpaInput, type RemoveHpaResult } from './hpa.ts';
import {
  setImageWithPartition,
  setPartition,
  type PartitionOptions,
  type PartitionedImageInput,
  type PartitionedImageResult,
  type SetPartitionInput,
  type SetPartitionResult,
} from './partition.ts';
import { runningPods, type PodRun } from './pod-images.ts';
import { scalingPods, type PodResources } from './pod-resources.ts';
import type { RevisionInfo } from './revisions.ts';
import { restart, type RestartInput, type RestartOptions, type RestartResult } from './restart.ts';
import { rollback, type RollbackInput, type RollbackOptions, type RollbackResult } from './rollback.ts';
import { followRollout, type FollowOptions, type RolloutResult } from './rollout.ts';
import { scale, type ScaleInput, type ScaleOptions, type ScaleResult } from './scale.ts';
import { setImage, type SetImageInput, type SetImageOptions, type SetImageResult } from './set-image.ts';
import { workloadStatus, type WorkloadStatus } from './status.ts';
import { readDrifts, type WriteOptions } from './write-preview.ts';
import { preflightFacts, type PreflightFacts } from './preflight-facts.ts';
import { readWorkload, type Workload, type WorkloadRef } from './workload.ts';
import type { FieldChange } from '../core/field-diff.ts';
import type { Drift } from '../core/field-owner.ts';

/** The process's shared rollout watches, for the worker's upkeep (lazy-gateway.ts reaches them through here). */
export { processWatches } from './watch-hub.ts';

/**
 * Everything the jobs do to one cluster, behind one object. Every method throws KubeError
 * (kind + retryable + a chat-safe sentence) and nothing else the caller needs to know about.
 */
export interface ClusterGateway {
  readonly cluster: string;
  readonly region: string;
  setImage(input: SetImageInput, options?: SetImageOptions): Promise<SetImageResult>;
  followRollout(ref: WorkloadRef, options: FollowOptions): Promise<RolloutResult>;
  scale(input: ScaleInput, options?: ScaleOptions): Promise<ScaleResult>;
  rollback(input: RollbackInput, options?: RollbackOptions): Promise<RollbackResult>;
  restart(input: RestartInput, options?: RestartOptions): Promise<RestartResult>;
  setImageWithPartition(input: PartitionedImageInput, options?: PartitionOptions): Promise<PartitionedImageResult>;
  setPartition(input: SetPartitionInput, options?: PartitionOptions): Promise<SetPartitionResult>;
  status(ref: WorkloadRef): Promise<WorkloadStatus>;
  diagnose(ref: WorkloadRef, options?: DiagnoseOptions): Promise<Diagnosis>;
  /** The workload's revisions; with `seen` (a state already in hand, such as a rollout result's) the workload is not read again. */
  history(ref: WorkloadRef, seen?: WorkloadStatus): Promise<RevisionInfo[]>;
  /** The fields of `expect` that no longer hold their "from" (a fresh read), each with who changed it. */
  drifts(ref: WorkloadRef, expect: readonly FieldChange[]): Promise<Drift[]>;
  /** The workload object as it is now. */
  read(ref: WorkloadRef): Promise<Workload>;
  /** PDBs, quotas and HPAs of a namespace, for preflight. */
  preflightFacts(namespace: string): Promise<PreflightFacts>;
  /** Status and revisions from one read of the workload and one list of its revisions. */
  revisions(ref: WorkloadRef): Promise<{ status: WorkloadStatus; revisions: RevisionInfo[] }>;
  /** The pods it runs now, with the image digests their kubelets reported. */
  pods(ref: WorkloadRef): Promise<PodRun[]>;
  /** The workload's HorizontalPodAutoscaler, or undefined when none scales it. */
  hpa(ref: WorkloadRef): Promise<HpaState | undefined>;
  applyHpa(input: ApplyHpaInput, options?: WriteOptions): Promise<ApplyHpaResult>;
  removeHpa(input: RemoveHpaInput, options?: WriteOptions): Promise<RemoveHpaResult>;
  /** The pods that count for scaling, with their containers' requests. */
  scalingPods(ref: WorkloadRef): Promise<PodResources[]>;
}

export function gatewayForClients(c: KubeClients): ClusterGateway {
  return {
    cluster: c.cluster,
    region: c.region,
    setImage: (input, options) => setImage(c, input, options),
    followRollout: (ref, options) => followRollout(c, ref, options),
    scale: (input, options) => scale(c, input, options),
    rollback: (input, options) => rollback(c, input, options),
    restart: (input, options) => restart(c, input, options),
    setImageWithPartition: (input, options) => setImageWithPartition(c, input, options),
    setPartition: (input, options) => setPartition(c, input, options),
    status: (ref) => workloadStatus(c, ref),
    diagnose: (ref, options) => diagnose(c, ref, options),
    history: (ref, seen) => history(c, ref, seen),
    drifts: (ref, expect) => readDrifts(c, ref, expect),
    read: (ref) => readWorkload(c, ref),
    preflightFacts: (namespace) => preflightFacts(c, namespace),
    revisions: (ref) => revisionsWithStatus(c, ref),
    pods: (ref) => runningPods(c, ref),
    hpa: (ref) => readHpa(c, ref),
    applyHpa: (input, options) => applyHpa(c, input, options),
    removeHpa: (input, options) => removeHpa(c, input, options),
    scalingPods: (ref) => scalingPods(c, ref),
  };
}

/** The gateway to a cluster named in the config (clients are built once and cached). */
export function gatewayFor(config: Config, cluster: string): ClusterGateway {
  return gatewayForClients(clientsForConfig(config, cluster));
}

/** The gateway to a cluster given directly (kubeconfig + context, or in-cluster). */
export function gatewayForAccess(cluster: string, region: string, access: ClusterAccess): ClusterGateway {
  return gatewayForClients(clientsFor(cluster, region, access));
}
