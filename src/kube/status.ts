import { REVISION_ANNOTATION } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import type { ContainerImage } from './images.ts';
import { containersOf, generationOf, readWorkload, selectorString, type Workload, type WorkloadRef } from './workload.ts';

/** A workload's state as shown in chat and followed during a rollout. */
export interface WorkloadCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string | undefined;
  readonly message: string | undefined;
}

export interface ReplicaCounts {
  /** spec.replicas */
  readonly desired: number;
  /** Pods that exist, old and new (status.replicas). */
  readonly current: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly unavailable: number;
}

export interface WorkloadStatus {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  readonly containers: readonly ContainerImage[];
  readonly generation: number;
  readonly observedGeneration: number;
  readonly replicas: ReplicaCounts;
  readonly conditions: readonly WorkloadCondition[];
  /**
   * Deployments: when the Progressing condition last said ProgressDeadlineExceeded. A rollout
   * started after that time is not failed by it: the controller may not have replaced the old
   * condition yet when it first reports the new generation.
   */
  readonly deadlineExceededAt?: Date | undefined;
  /** Deployments: the `deployment.kubernetes.io/revision` annotation. */
  readonly revision: number | undefined;
  /** StatefulSets: the ControllerRevisions the pods run and are being moved to. */
  readonly currentRevision: string | undefined;
  readonly updateRevision: string | undefined;
  readonly partition: number | undefined;
  /** StatefulSets: OrderedReady or Parallel, and the rolling update's maxUnavailable (how many pods of a batch move at once). */
  readonly podManagementPolicy?: string | undefined;
  readonly maxUnavailable?: number | string | undefined;
  /** "RollingUpdate", "Recreate" (Deployment) or "OnDelete" (StatefulSet). */
  readonly strategy: string;
  readonly paused: boolean;
  /**
   * What names the workload's revisions (the ReplicaSets or ControllerRevisions it owns): its
   * uid and label selector. With them, the revisions of the state a rollout was judged on can be
   * listed without reading the workload again (history.ts).
   */
  readonly uid?: string | undefined;
  readonly selector?: string | undefined;
}

/**
 * Replica counts of a Deployment or StatefulSet (their status fields share names). Only
 * Deployments report unavailable replicas; otherwise it is what desired lacks of available.
 */
function replicaCounts(
  specReplicas: number | undefined,
  s: { replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number } | undefined,
  reportedUnavailable: number | undefined,
): ReplicaCounts {
  const desired = specReplicas ?? 1;
  const available = s?.availableReplicas ?? 0;
  return {
    desired,
    current: s?.replicas ?? 0,
    updated: s?.updatedReplicas ?? 0,
    ready: s?.readyReplicas ?? 0,
    available,
    unavailable: reportedUnavailable ?? Math.max(0, desired - available),
  };
}

/** Reads the status out of a workload object. Pure. */
export function statusFromWorkload(cluster: string, w: Workload): WorkloadStatus {
  const meta = w.object.metadata;
  const ref: WorkloadRef = { namespace: meta?.namespace ?? '', kind: w.kind, name: meta?.name ?? '' };
  const conditions = (w.object.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }));
  const exceeded = (w.object.status?.conditions ?? []).find((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded') as
    | { lastUpdateTime?: Date; lastTransitionTime?: Date }
    | undefined;
  const deadlineExceededAt = exceeded?.lastUpdateTime ?? exceeded?.lastTransitionTime;
  const common = {
    cluster,
    ref,
    containers: containersOf(w),
    generation: generationOf(w),
    observedGeneration: w.object.status?.observedGeneration ?? 0,
    conditions,
    deadlineExceededAt,
    uid: meta?.uid,
    selector: selectorString(w.object.spec?.selector),
  };
  if (w.kind === 'Deployment') {
    const rev = Number(meta?.annotations?.[REVISION_ANNOTATION]);
    return {
      ...common,
      replicas: replicaCounts(w.object.spec?.replicas, w.object.status, w.object.status?.unavailableReplicas),
      revision: Number.isInteger(rev) && rev > 0 ? rev : undefined,
      currentRevision: undefined,
      updateRevision: undefined,
      partition: undefined,
      strategy: w.object.spec?.strategy?.type ?? 'RollingUpdate',
      paused: w.object.spec?.paused ?? false,
    };
  }
  const s = w.object.status;
  return {
    ...common,
    replicas: replicaCounts(w.object.spec?.replicas, s, undefined),
    revision: undefined,
    currentRevision: s?.currentRevision,
    updateRevision: s?.updateRevision,
    partition: w.object.spec?.updateStrategy?.rollingUpdate?.partition,
    podManagementPolicy: w.object.spec?.podManagementPolicy ?? 'OrderedReady',
    maxUnavailable: w.object.spec?.updateStrategy?.rollingUpdate?.maxUnavailable,
    strategy: w.object.spec?.updateStrategy?.type ?? 'RollingUpdate',
    paused: false,
  };
}

export async function workloadStatus(c: KubeClients, ref: WorkloadRef): Promise<WorkloadStatus> {
  return statusFromWorkload(c.cluster, await readWorkload(c, ref));
}
