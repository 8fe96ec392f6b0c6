import { metricTarget, parseUsageTarget, type HpaMetricTarget, type HpaSettings, type UsageTarget } from './autoscale.ts';
import type { SuggestBasis } from './replica-formula.ts';

/**
 * The targets of `/scale … suggest` and `/autoscale` (resolve.ts): cpu=50%, memory=80%, or a
 * metric with its target value, as the replica suggestion or the HPA wants them. Pure.
 */

interface TargetArgs {
  cpu?: string | undefined;
  memory?: string | undefined;
  metric?: string | undefined;
  target?: string | undefined;
}

/** The cpu= and memory= targets given, in that order. */
function usageTargets(a: TargetArgs): { resource: 'cpu' | 'memory'; target: UsageTarget }[] {
  return (['cpu', 'memory'] as const).flatMap((resource) => {
    const t = a[resource] === undefined ? undefined : parseUsageTarget(a[resource]);
    return t === undefined ? [] : [{ resource, target: t }];
  });
}

export function suggestBasis(a: TargetArgs): SuggestBasis | undefined {
  const [usage] = usageTargets(a);
  if (usage !== undefined) return { kind: 'resource', ...usage };
  return a.metric !== undefined && a.target !== undefined ? { kind: 'metric', query: a.metric, target: a.target } : undefined;
}

export function hpaSettings(a: TargetArgs & { min?: number | undefined; max?: number | undefined; scaledown?: { seconds: number } | undefined }): HpaSettings | undefined {
  const metrics: HpaMetricTarget[] = usageTargets(a).map((u) => metricTarget(u.resource, u.target));
  if (a.metric !== undefined && a.target !== undefined) metrics.push({ kind: 'pods', metric: a.metric, value: a.target });
  if (a.min === undefined || a.max === undefined || metrics.length === 0) return undefined;
  return { min: a.min, max: a.max, metrics, ...(a.scaledown === undefined ? {} : { scaleDownSeconds: a.scaledown.seconds }) };
}
