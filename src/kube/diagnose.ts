import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { CONTROLLER_REVISION_HASH, POD_TEMPLATE_HASH } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import { kubeCall } from './errors.ts';
import { podReady, podReason, podRestarts } from './pod-reason.ts';
import { statusFromWorkload, type WorkloadStatus } from './status.ts';
import { readWorkload, workloadSelector, type Workload, type WorkloadRef } from './workload.ts';

/**
 * What is wrong with a workload: its status, each pod's phase, readiness, restarts and
 * reason, and the recent Warning events about the workload, its ReplicaSets and its pods
 * (newest first, one per reason).
 */
export interface PodDiagnosis {
  readonly name: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly reason: string | undefined;
  readonly message: string | undefined;
  readonly images: readonly string[];
  /** pod-template-hash (Deployment) or controller-revision-hash (StatefulSet). */
  readonly revisionHash: string | undefined;
  readonly node: string | undefined;
}

export interface WarningEvent {
  readonly reason: string;
  readonly message: string;
  /** Occurrences of this reason across the objects, as the apiserver counted them. */
  readonly count: number;
  readonly lastSeen: Date | undefined;
  /** "Pod/web-7d9c-abcde" of the newest occurrence. */
  readonly object: string;
}

export interface Diagnosis {
  readonly status: WorkloadStatus;
  readonly pods: readonly PodDiagnosis[];
  /** Distinct reasons of the pods that are not Ready, most frequent first. */
  readonly podReasons: readonly string[];
  readonly events: readonly WarningEvent[];
}

export interface DiagnoseOptions {
  readonly eventLimit?: number | undefined;
}

export function diagnosePod(pod: V1Pod): PodDiagnosis {
  const r = podReason(pod);
  const labels = pod.metadata?.labels ?? {};
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: podReady(pod),
    restarts: podRestarts(pod),
    reason: r?.reason,
    message: r?.message,
    images: (pod.spec?.containers ?? []).map((c) => c.image ?? ''),
    revisionHash: labels[POD_TEMPLATE_HASH] ?? labels[CONTROLLER_REVISION_HASH],
    node: pod.spec?.nodeName,
  };
}

/** Reasons by how many pods have them, then by name. Pure. */
export function summarizeReasons(pods: readonly PodDiagnosis[]): string[] {
  const counts = new Map<string, number>();
  for (const p of pods) if (p.reason !== undefined) counts.set(p.reason, (counts.get(p.reason) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r]) => r);
}

function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
}

/** Newest first, one entry per reason (counts summed). Pure. */
export function dedupeEvents(events: readonly CoreV1Event[], limit: number): WarningEvent[] {
  const sorted = [...events].sort((a, b) => eventTime(b) - eventTime(a));
  const byReason = new Map<string, { first: CoreV1Event; count: number }>();
  for (const e of sorted) {
    const reason = e.reason ?? 'Unknown';
    const seen = byReason.get(reason);
    if (seen === undefined) byReason.set(reason, { first: e, count: e.count ?? 1 });
    else seen.count += e.count ?? 1;
  }
  return [...byReason.entries()].slice(0, limit).map(([reason, { first, count }]) => ({
    reason,
    message: first.message ?? '',
    count,
    lastSeen: eventTime(first) === 0 ? undefined : new Date(eventTime(first)),
    object: `${first.involvedObject.kind ?? '?'}/${first.involvedObject.name ?? '?'}`,
  }));
}

/** The workload's pods (owned by it or by its ReplicaSets) and the names of those ReplicaSets. */
export async function workloadPods(c: KubeClients, ref: WorkloadRef, w: Workload): Promise<{ pods: V1Pod[]; replicaSets: string[] }> {
  const selector = workloadSelector(c, ref, w);
  const uid = w.object.metadata?.uid;
  let owners = new Set<string>(uid === undefined ? [] : [uid]);
  const replicaSets: string[] = [];
  if (w.kind === 'Deployment') {
    const rs = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'replicasets', namespace: ref.namespace }, () =>
      c.apps.listNamespacedReplicaSet({ namespace: ref.namespace, labelSelector: selector }),
    );
    owners = new Set();
    for (const r of rs.items) {
      if ((r.metadata?.ownerReferences ?? []).some((o) => o.uid === uid) && r.metadata?.uid !== undefined) {
        owners.add(r.metadata.uid);
        if (r.metadata.name !== undefined) replicaSets.push(r.metadata.name);
      }
    }
  }
  const list = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'pods', namespace: ref.namespace }, () =>
    c.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selector }),
  );
  const pods = list.items.filter((p) => (p.metadata?.ownerReferences ?? []).some((o) => owners.has(o.uid)));
  pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return { pods, replicaSets };
}

export async function diagnose(c: KubeClients, ref: WorkloadRef, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const w = await readWorkload(c, ref);
  const { pods, replicaSets } = await workloadPods(c, ref, w);
  const diagnosed = pods.map(diagnosePod);
  const events = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'events', namespace: ref.namespace }, () =>
    c.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector: 'type=Warning' }),
  );
  const podNames = new Set(diagnosed.map((p) => p.name));
  // Pods that are gone (replaced during the rollout) still explain what happened: match them
  // by the name prefix their controller gives them.
  const ordinal = /^(.*)-\d+$/;
  const wasOurs = (pod: string): boolean =>
    ref.kind === 'Deployment' ? replicaSets.some((rs) => pod.startsWith(`${rs}-`)) : ordinal.exec(pod)?.[1] === ref.name;
  const about = (e: CoreV1Event): boolean => {
    const o = e.involvedObject;
    if (o.kind === ref.kind) return o.name === ref.name;
    if (o.kind === 'ReplicaSet') return replicaSets.includes(o.name ?? '');
    if (o.kind === 'Pod') return podNames.has(o.name ?? '') || wasOurs(o.name ?? '');
    return false;
  };
  return {
    status: statusFromWorkload(c.cluster, w),
    pods: diagnosed,
    podReasons: summarizeReasons(diagnosed.filter((p) => !p.ready)),
    events: dedupeEvents(events.items.filter(about), options.eventLimit ?? 10),
  };
}
