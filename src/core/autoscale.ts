import { isPositiveQuantity } from './quantity.ts';

/**
 * What an HPA is asked to do, in the bot's own terms (no Kubernetes types): replica bounds,
 * the metric targets and the scale-down stabilization window. Pure. src/kube/hpa.ts turns it
 * into an autoscaling/v2 HorizontalPodAutoscaler and reads it back from one.
 */
export type UsageTarget = { readonly kind: 'utilization'; readonly percent: number } | { readonly kind: 'average'; readonly value: string };

export type HpaMetricTarget =
  | { readonly kind: 'utilization'; readonly resource: 'cpu' | 'memory'; readonly percent: number }
  | { readonly kind: 'average'; readonly resource: 'cpu' | 'memory'; readonly value: string }
  /** A per-pod custom metric (custom.metrics.k8s.io, served by an adapter). */
  | { readonly kind: 'pods'; readonly metric: string; readonly value: string }
  /** Anything else an HPA made elsewhere uses (Object, External, ContainerResource metrics). */
  | { readonly kind: 'other'; readonly text: string };

export interface HpaSettings {
  readonly min: number;
  readonly max: number;
  readonly metrics: readonly HpaMetricTarget[];
  /** behavior.scaleDown.stabilizationWindowSeconds; undefined means Kubernetes' default. */
  readonly scaleDownSeconds?: number | undefined;
}

/** Kubernetes' scale-down stabilization window when the HPA sets none. */
export const DEFAULT_SCALE_DOWN_SECONDS = 300;
/** The largest window the API accepts. */
export const MAX_STABILIZATION_SECONDS = 3600;

/** "50%" (1–1000 %) or a positive quantity ("250m", "512Mi"). */
export function parseUsageTarget(s: string): UsageTarget | undefined {
  const pct = /^(\d{1,4})%$/.exec(s.trim());
  if (pct !== null) {
    const percent = Number(pct[1]);
    return percent >= 1 && percent <= 1000 ? { kind: 'utilization', percent } : undefined;
  }
  return isPositiveQuantity(s) ? { kind: 'average', value: s.trim() } : undefined;
}

export function metricTarget(resource: 'cpu' | 'memory', t: UsageTarget): HpaMetricTarget {
  return t.kind === 'utilization' ? { kind: 'utilization', resource, percent: t.percent } : { kind: 'average', resource, value: t.value };
}

/** "cpu 50%", "memory 512Mi per pod", "requests_per_second 100 per pod". */
export function describeMetric(m: HpaMetricTarget): string {
  switch (m.kind) {
    case 'utilization':
      return `${m.resource} ${m.percent}%`;
    case 'average':
      return `${m.resource} ${m.value} per pod`;
    case 'pods':
      return `${m.metric} ${m.value} per pod`;
    case 'other':
      return m.text;
  }
}

/** "min 2, max 10, cpu 50%, scale-down window 30s". */
export function describeHpaSettings(s: HpaSettings): string {
  const window = s.scaleDownSeconds === undefined ? '' : `, scale-down window ${s.scaleDownSeconds}s`;
  return `min ${s.min}, max ${s.max}, ${s.metrics.map(describeMetric).join(', ')}${window}`;
}

/** The same HPA in effect (an unset window is the default one; metric order does not matter). */
export function sameHpaSettings(a: HpaSettings, b: HpaSettings): boolean {
  const key = (m: HpaMetricTarget) => JSON.stringify(m);
  const metrics = (s: HpaSettings) => s.metrics.map(key).sort().join('|');
  return (
    a.min === b.min &&
    a.max === b.max &&
    (a.scaleDownSeconds ?? DEFAULT_SCALE_DOWN_SECONDS) === (b.scaleDownSeconds ?? DEFAULT_SCALE_DOWN_SECONDS) &&
    metrics(a) === metrics(b)
  );
}

/** The /autoscale line that asks for these settings, for messages that offer it. */
export function autoscaleLine(app: string, env: string, s: HpaSettings): string {
  const parts = [`/autoscale ${app} in ${env} min=${s.min} max=${s.max}`];
  for (const m of s.metrics) {
    if (m.kind === 'utilization') parts.push(`${m.resource}=${m.percent}%`);
    else if (m.kind === 'average') parts.push(`${m.resource}=${m.value}`);
    else if (m.kind === 'pods') parts.push(`metric=${m.metric} target=${m.value}`);
  }
  if (s.scaleDownSeconds !== undefined) parts.push(`scaledown=${s.scaleDownSeconds}s`);
  return parts.join(' ');
}
