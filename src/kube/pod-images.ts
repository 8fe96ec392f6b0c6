import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { workloadPods } from './diagnose.ts';
import { podReady } from './pod-reason.ts';
import { readWorkload, type WorkloadRef } from './workload.ts';

/**
 * What a workload's pods really run: each container's image as written in the pod and the
 * imageID its kubelet reported after pulling it (`<repository>@sha256:…`), whose digest names
 * the exact build whatever tag pointed to it. Promotion reads the digests from here; the local
 * sample probe reads the images and since when the pods are ready.
 */
export interface ContainerRun {
  readonly name: string;
  readonly image: string;
  /** As the kubelet reported it; undefined until the container's image was pulled. */
  readonly imageID: string | undefined;
  /** "sha256:…" out of imageID, or undefined. */
  readonly digest: string | undefined;
  readonly ready: boolean;
}

export interface PodRun {
  readonly name: string;
  readonly ready: boolean;
  /** When the pod last became Ready (its Ready condition's transition time). */
  readonly readySince: Date | undefined;
  /** When the kubelet took the pod on (status.startTime). */
  readonly startedAt: Date | undefined;
  readonly containers: readonly ContainerRun[];
}

/**
 * The digest in an imageID. Runtimes write it as `<repo>@sha256:…` (containerd, CRI-O) or with
 * a scheme in front (`docker-pullable://<repo>@sha256:…`); a bare `sha256:…` is an image's
 * local config id, not a registry digest, and counts as none. Pure.
 */
export function digestOf(imageID: string | undefined): string | undefined {
  if (imageID === undefined) return undefined;
  const m = /@(sha256:[a-f0-9]{64})$/.exec(imageID);
  return m?.[1];
}

function asDate(v: Date | string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** One pod as a PodRun. Pure. */
export function podRun(pod: V1Pod): PodRun {
  const statuses = new Map<string, V1ContainerStatus>((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: pod.metadata?.name ?? '',
    ready: podReady(pod),
    readySince: asDate(ready?.lastTransitionTime),
    startedAt: asDate(pod.status?.startTime),
    containers: (pod.spec?.containers ?? []).map((c) => {
      const s = statuses.get(c.name);
      const imageID = s?.imageID === undefined || s.imageID === '' ? undefined : s.imageID;
      return { name: c.name, image: c.image ?? '', imageID, digest: digestOf(imageID), ready: s?.ready ?? false };
    }),
  };
}

/** The workload's pods that are not being deleted, by name. */
export async function runningPods(c: KubeClients, ref: WorkloadRef): Promise<PodRun[]> {
  const w = await readWorkload(c, ref);
  const { pods } = await workloadPods(c, ref, w);
  return pods.filter((p) => p.metadata?.deletionTimestamp === undefined).map(podRun);
}
