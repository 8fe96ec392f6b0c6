import { z } from 'zod';
import { changes, podValues, replicaFormula, suggestionMessage, targetNumber, type ClusterSuggestion, type SuggestBasis } from '../core/replica-formula.ts';
import type { Message } from '../core/message.ts';
import type { Plan } from '../core/resolve.ts';
import type { Target } from '../core/targets.ts';
import { idFrom } from '../jobs/spec.ts';
import { KubeError } from '../kube/errors.ts';
import type { PodResources } from '../kube/pod-resources.ts';
import { instantQuery, labelMatchers, MetricsError, type Sample } from '../metrics/prometheus.ts';
import type { Services } from '../service/services.ts';

/**
 * `/scale <app> in <env> suggest …`: per cluster, the workload's pods and their requests from
 * Kubernetes, their usage from that cluster's Prometheus, and the replica formula over them
 * (core/replica-formula.ts). Nothing is changed. A suggestion that would change something is
 * stored for `scaling.suggestionExpires`, so its Apply button carries only an id.
 */
export const storedSuggestion = z.object({
  id: z.string(),
  app: z.string(),
  env: z.string(),
  /** cluster → replicas, only where the count would change. */
  replicas: z.record(z.string(), z.number().int().nonnegative()),
  /** Whether the suggestion covered every cluster of the environment (no cluster= given). */
  wholeEnv: z.boolean(),
  basis: z.string(),
  reason: z.string().optional(),
  askedBy: z.string(),
});
export type StoredSuggestion = z.infer<typeof storedSuggestion>;

export function suggestionKey(s: Services, id: string): string {
  return `${s.prefix}suggestion:${id}`;
}

/** The PromQL for a cpu= or memory= basis: per pod, summed over its containers. */
export function usageQuery(resource: 'cpu' | 'memory', namespace: string, labels: Readonly<Record<string, string>>, rateWindow: string): string {
  const sel = [`namespace=${JSON.stringify(namespace)}`, 'container!=""', ...labelMatchers(labels)].join(',');
  return resource === 'cpu' ? `sum by (pod) (rate(container_cpu_usage_seconds_total{${sel}}[${rateWindow}]))` : `sum by (pod) (container_memory_working_set_bytes{${sel}})`;
}

/**
 * Per-pod values from query results: series of the workload's pods only (a `pod` label naming
 * one of them; a `namespace` label, when present, naming theirs), summed per pod.
 */
export function perPod(samples: readonly Sample[], namespace: string, pods: readonly string[]): Map<string, number> {
  const names = new Set(pods);
  const out = new Map<string, number>();
  for (const s of samples) {
    const pod = s.labels['pod'];
    if (pod === undefined || !names.has(pod)) continue;
    if (s.labels['namespace'] !== undefined && s.labels['namespace'] !== namespace) continue;
    out.set(pod, (out.get(pod) ?? 0) + s.value);
  }
  return out;
}

async function forCluster(s: Services, t: Target, basis: SuggestBasis, limits: { min: number; max: number }): Promise<ClusterSuggestion> {
  const ref = { namespace: t.namespace, name: t.workload, kind: t.kind };
  const gw = s.gatewayFor(t.cluster);
  let now = 0;
  try {
    const [status, pods, hpa] = await Promise.all([gw.status(ref), gw.scalingPods(ref), gw.hpa(ref)]);
    now = status.replicas.desired;
    const base = { cluster: t.cluster, now, ...(hpa === undefined ? {} : { hpa: { name: hpa.name, settings: hpa.settings } }) };
    const prom = s.config.clusters[t.cluster]?.prometheus;
    if (prom === undefined) return { ...base, values: [], problem: `cluster ${t.cluster} has no prometheus.url in the bot's config` };
    if (pods.length === 0) return { ...base, values: [], problem: `${t.kind} ${t.namespace}/${t.workload} has no running pods to measure` };
    const query = basis.kind === 'metric' ? basis.query : usageQuery(basis.resource, t.namespace, prom.labels, s.config.scaling.rateWindow.toString());
    const samples = await instantQuery(prom, query, { timeoutMs: s.config.scaling.queryTimeout.seconds * 1000 });
    const usage = perPod(
      samples.filter((x) => Object.entries(prom.labels).every(([k, v]) => x.labels[k] === undefined || x.labels[k] === v)),
      t.namespace,
      pods.map((p: PodResources) => p.name),
    );
    const { values, problem } = podValues(basis, pods, usage);
    if (problem !== undefined) return { ...base, values, problem };
    const target = targetNumber(basis);
    const formula = target === undefined ? undefined : replicaFormula(values, target, limits);
    if (formula === undefined) {
      return { ...base, values, problem: basis.kind === 'metric' ? 'the query gave no value for any of these pods (it needs a pod label)' : 'Prometheus has no sample for these pods yet; ask again after its next scrape' };
    }
    return { ...base, values, formula };
  } catch (e) {
    if (e instanceof KubeError || e instanceof MetricsError) return { cluster: t.cluster, now, values: [], problem: e.message };
    throw e;
  }
}

/** Computes and answers a suggestion; `key` (the request's delivery id) names it, so a repeated delivery reuses it. */
export async function suggestReplicas(s: Services, plan: Plan, actor: string, key: string): Promise<Message> {
  const basis = plan.suggest;
  const app = plan.apps[0] ?? '';
  const env = plan.env ?? '';
  if (basis === undefined) throw new Error('suggestReplicas needs a plan with suggest');
  const limits = { min: 1, max: s.config.apps[app]?.maxReplicas ?? 0 };
  const clusters = await Promise.all(plan.targets.map((t) => forCluster(s, t, basis, limits)));
  const todo = changes(clusters);
  const id = idFrom('sug', key);
  if (todo.size > 0) {
    const stored: StoredSuggestion = {
      id,
      app,
      env,
      replicas: Object.fromEntries(todo),
      wholeEnv: plan.targets.length === (s.config.environments[env]?.clusters.length ?? 0),
      basis: basis.kind === 'metric' ? 'metric' : `${basis.resource}`,
      ...(plan.reason === undefined ? {} : { reason: plan.reason }),
      askedBy: actor,
    };
    await s.redis.set(suggestionKey(s, id), JSON.stringify(stored), 'EX', s.config.scaling.suggestionExpires.seconds);
  }
  const at = s.clock().toISOString().slice(11, 19);
  const source = basis.kind === 'metric' ? `Prometheus, at ${at} UTC` : `Prometheus, ${basis.resource === 'cpu' ? `rate over ${s.config.scaling.rateWindow.toString()}, ` : ''}at ${at} UTC`;
  return suggestionMessage({ app, env, basis, clusters, limits, id: todo.size > 0 ? id : undefined, requester: actor, source, expiresIn: s.config.scaling.suggestionExpires.toString() });
}
