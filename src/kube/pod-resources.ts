import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { workloadPods } from './diagnose.ts';
import { readWorkload, type WorkloadRef } from './workload.ts';

/**
 * The workload's pods that count for scaling, with what each container requests: the pods
 * the HPA counts too (not being deleted, not finished). Quantities stay as the pod spec has
 * them; core/replica-formula.ts does the arithmetic.
 */
export interface PodResources {
  readonly name: string;
  readonly ready: boolean;
  readonly containers: readonly { readonly name: string; readonly cpu: string | undefined; readonly memory: string | undefined }[];
}

/** Whether the pod is one the HPA would count. Pure. */
export function countsForScaling(p: V1Pod): boolean {
  const phase = p.status?.phase;
  return p.metadata?.deletionTimestamp === undefined && phase !== 'Failed' && phase !== 'Succeeded';
}

export function podResources(p: V1Pod): PodResources {
  return {
    name: p.metadata?.name ?? '',
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    containers: (p.spec?.containers ?? []).map((c) => ({ name: c.name, cpu: c.resources?.requests?.['cpu'], memory: c.resources?.requests?.['memory'] })),
  };
}

export async function scalingPods(c: KubeClients, ref: WorkloadRef): Promise<PodResources[]> {
  const { pods } = await workloadPods(c, ref, await readWorkload(c, ref));
  return pods.filter(countsForScaling).map(podResources);
}
