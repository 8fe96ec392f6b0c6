import { AutoscalingV2Api, PolicyV1Api, type V1PodDisruptionBudget, type V1ResourceQuota, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';

/**
 * What preflight reads besides the workload, in the workload's namespace: its
 * PodDisruptionBudgets, ResourceQuotas (with what they have used) and HorizontalPodAutoscalers.
 * Read-only (list). A list the bot may not read (an RBAC not yet re-applied after an upgrade)
 * leaves that check out and says so, rather than failing the request.
 */
export interface PreflightFacts {
  readonly pdbs?: readonly V1PodDisruptionBudget[];
  readonly quotas?: readonly V1ResourceQuota[];
  readonly hpas?: readonly V2HorizontalPodAutoscaler[];
  /** Lists that could not be read, each with why. */
  readonly unread: readonly string[];
}

const extra = new WeakMap<KubeClients, { policy: PolicyV1Api; autoscaling: AutoscalingV2Api }>();

function apisOf(c: KubeClients): { policy: PolicyV1Api; autoscaling: AutoscalingV2Api } {
  let a = extra.get(c);
  if (a === undefined) {
    a = { policy: c.kubeConfig.makeApiClient(PolicyV1Api), autoscaling: c.kubeConfig.makeApiClient(AutoscalingV2Api) };
    extra.set(c, a);
  }
  return a;
}

async function listed<T>(c: KubeClients, namespace: string, resource: string, fn: () => Promise<{ items: T[] }>): Promise<{ items: T[] } | { unread: string }> {
  try {
    return await kubeCall({ cluster: c.cluster, verb: 'list', resource, namespace }, fn);
  } catch (e) {
    if (e instanceof KubeError && (e.kind === 'forbidden' || e.kind === 'not_found')) return { unread: e.message };
    throw e;
  }
}

export async function preflightFacts(c: KubeClients, namespace: string): Promise<PreflightFacts> {
  const { policy, autoscaling } = apisOf(c);
  const [pdbs, quotas, hpas] = await Promise.all([
    listed(c, namespace, 'poddisruptionbudgets', () => policy.listNamespacedPodDisruptionBudget({ namespace })),
    listed(c, namespace, 'resourcequotas', () => c.core.listNamespacedResourceQuota({ namespace })),
    listed(c, namespace, 'horizontalpodautoscalers', () => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })),
  ]);
  const unread = [pdbs, quotas, hpas].flatMap((r) => ('unread' in r ? [r.unread] : []));
  return {
    ...('items' in pdbs ? { pdbs: pdbs.items } : {}),
    ...('items' in quotas ? { quotas: quotas.items } : {}),
    ...('items' in hpas ? { hpas: hpas.items } : {}),
    unread,
  };
}
