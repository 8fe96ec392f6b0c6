import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/**
 * Why a pod is not serving, in the words `kubectl get pods` uses (CrashLoopBackOff,
 * ImagePullBackOff, OOMKilled, Unschedulable…), or undefined when it is Ready. Pure.
 * The most telling reason wins: a container crash-looping after an OOM kill is "OOMKilled".
 */
export interface PodReason {
  readonly reason: string;
  readonly message: string | undefined;
}

/** Waiting reasons that are problems (ContainerCreating and PodInitializing are just slow). */
const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
  'PostStartHookError',
]);

function allStatuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

export function podReason(pod: V1Pod): PodReason | undefined {
  const statuses = allStatuses(pod);
  if (pod.metadata?.deletionTimestamp !== undefined) return { reason: 'Terminating', message: undefined };
  if (pod.status?.phase === 'Failed') return { reason: pod.status.reason ?? 'Failed', message: pod.status.message };

  for (const s of statuses) {
    if (s.lastState?.terminated?.reason === 'OOMKilled' || s.state?.terminated?.reason === 'OOMKilled') {
      return { reason: 'OOMKilled', message: `container ${s.name} was killed for using too much memory (restarts: ${s.restartCount})` };
    }
  }
  for (const s of statuses) {
    const w = s.state?.waiting;
    if (w?.reason !== undefined && BAD_WAITING.has(w.reason)) return { reason: w.reason, message: w.message ?? `container ${s.name}` };
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return { reason: scheduled.reason ?? 'Unschedulable', message: scheduled.message };
  for (const s of statuses) {
    const t = s.state?.terminated;
    if (t !== undefined && t.exitCode !== 0) return { reason: t.reason ?? 'Error', message: t.message ?? `container ${s.name} exited with code ${t.exitCode}` };
  }
  if (pod.status?.phase === 'Pending' || pod.status?.phase === undefined) return { reason: 'Pending', message: pod.status?.message };
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  if (pod.status.phase === 'Succeeded') return undefined;
  return { reason: ready?.reason ?? 'NotReady', message: ready?.message };
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function podRestarts(pod: V1Pod): number {
  return allStatuses(pod).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}
