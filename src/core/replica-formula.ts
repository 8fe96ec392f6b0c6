import { describeHpaSettings, type HpaSettings, type UsageTarget } from './autoscale.ts';
import { message, type Button, type Message } from './message.ts';
import { formatBytes, formatCores, parseQuantity, round } from './quantity.ts';

/**
 * The replica formula of `/scale … suggest`, with its numbers: per cluster,
 *   replicas = ceil(sum over the pods of the metric / target)
 * within the app's limits. For cpu=50% the metric is each pod's CPU use as a percentage of its
 * request, which makes it the HPA's own formula (desired = ceil(current × average / target)).
 * Pure: the service reads the pods and Prometheus and hands the numbers in.
 */
export type SuggestBasis =
  | { readonly kind: 'resource'; readonly resource: 'cpu' | 'memory'; readonly target: UsageTarget }
  | { readonly kind: 'metric'; readonly query: string; readonly target: string };

/** How the request was typed, for messages and the reason of an applied suggestion: "cpu=50%". */
export function basisText(b: SuggestBasis): string {
  return b.kind === 'resource' ? `${b.resource}=${b.target.kind === 'utilization' ? `${b.target.percent}%` : b.target.value}` : `metric="${b.query}" target=${b.target}`;
}

/** The unit a basis is summed in. */
type Unit = 'percent' | 'cores' | 'bytes' | 'plain';

function unitOf(b: SuggestBasis): Unit {
  if (b.kind === 'metric') return 'plain';
  if (b.target.kind === 'utilization') return 'percent';
  return b.resource === 'cpu' ? 'cores' : 'bytes';
}

export function formatIn(unit: Unit, v: number): string {
  switch (unit) {
    case 'percent':
      return `${round(v, 1)}%`;
    case 'cores':
      return formatCores(v);
    case 'bytes':
      return formatBytes(v);
    case 'plain':
      return String(round(v, 3));
  }
}

/** The target as a number in the unit the pods' values are summed in. */
export function targetNumber(b: SuggestBasis): number | undefined {
  if (b.kind === 'metric') return parseQuantity(b.target);
  return b.target.kind === 'utilization' ? b.target.percent : parseQuantity(b.target.value);
}

/** A pod and what its containers request (quantities as the pod spec has them). */
export interface PodRequests {
  readonly name: string;
  readonly containers: readonly { readonly name: string; readonly cpu?: string | undefined; readonly memory?: string | undefined }[];
}

export interface PodValue {
  readonly pod: string;
  /** In the basis' unit; undefined when Prometheus has no sample for the pod yet. */
  readonly value: number | undefined;
  /** How chat shows it: "80% (400m of 500m)". */
  readonly shown: string;
}

/** The pod's total request of a resource, or undefined when a container requests none. */
export function podRequest(p: PodRequests, resource: 'cpu' | 'memory'): number | undefined {
  let sum = 0;
  for (const c of p.containers) {
    const q = c[resource];
    const v = q === undefined ? undefined : parseQuantity(q);
    if (v === undefined || v <= 0) return undefined;
    sum += v;
  }
  return p.containers.length === 0 ? undefined : sum;
}

/**
 * Each pod's value from its measured usage (cores or bytes for cpu/memory, the query's value
 * for metric=). A percentage needs every container's request, as the HPA does; a pod without
 * one makes the whole cluster's answer a problem, not a guess.
 */
export function podValues(b: SuggestBasis, pods: readonly PodRequests[], usage: ReadonlyMap<string, number>): { values: PodValue[]; problem?: string } {
  const unit = unitOf(b);
  const values: PodValue[] = [];
  for (const p of pods) {
    const used = usage.get(p.name);
    if (b.kind === 'resource' && b.target.kind === 'utilization') {
      const req = podRequest(p, b.resource);
      if (req === undefined) return { values, problem: `pod ${p.name} has no ${b.resource} request on every container, so its ${b.resource} use can't be a share of it (the HPA refuses too)` };
      const raw = b.resource === 'cpu' ? formatCores : formatBytes;
      values.push(used === undefined ? { pod: p.name, value: undefined, shown: 'no sample yet' } : { pod: p.name, value: (100 * used) / req, shown: `${formatIn('percent', (100 * used) / req)} (${raw(used)} of ${raw(req)})` });
    } else {
      values.push({ pod: p.name, value: used, shown: used === undefined ? 'no sample yet' : formatIn(unit, used) });
    }
  }
  return { values };
}

export interface Limits {
  readonly min: number;
  readonly max: number;
}

export interface FormulaResult {
  readonly sum: number;
  readonly target: number;
  /** sum / target, before rounding up. */
  readonly ratio: number;
  readonly ceil: number;
  /** ceil, kept within the limits. */
  readonly replicas: number;
  readonly limitedBy?: 'min' | 'max';
  /** Pods without a sample: left out of the sum. */
  readonly missing: readonly string[];
}

/** ceil(sum / target) within the limits; undefined when no pod has a value to sum. */
export function replicaFormula(values: readonly PodValue[], target: number, limits: Limits): FormulaResult | undefined {
  const counted = values.filter((v): v is PodValue & { value: number } => v.value !== undefined);
  if (counted.length === 0 || !(target > 0)) return undefined;
  const sum = counted.reduce((a, v) => a + v.value, 0);
  const ratio = sum / target;
  // Rounded first, so 250.0000001 / 50 (floating point from rates) is 5, not 6.
  const ceil = Math.ceil(round(ratio, 6));
  const replicas = Math.min(limits.max, Math.max(limits.min, ceil));
  const limitedBy = replicas > ceil ? 'min' : replicas < ceil ? 'max' : undefined;
  return { sum, target, ratio, ceil, replicas, ...(limitedBy === undefined ? {} : { limitedBy }), missing: values.filter((v) => v.value === undefined).map((v) => v.pod) };
}

export interface ClusterSuggestion {
  readonly cluster: string;
  /** The workload's replica count now. */
  readonly now: number;
  readonly values: readonly PodValue[];
  readonly formula?: FormulaResult | undefined;
  /** Why there is no number for this cluster. */
  readonly problem?: string | undefined;
  /** An HPA owns the replicas here. */
  readonly hpa?: { readonly name: string; readonly settings: HpaSettings } | undefined;
}

export interface SuggestionView {
  readonly app: string;
  readonly env: string;
  readonly basis: SuggestBasis;
  readonly clusters: readonly ClusterSuggestion[];
  readonly limits: Limits;
  /** The stored suggestion an Apply click refers to; undefined: nothing to apply. */
  readonly id?: string | undefined;
  readonly requester: string;
  /** "rate over 1m, Prometheus scrapes every 15 s", the data's fine print. */
  readonly source: string;
  readonly expiresIn: string;
}

/** What would change if applied: cluster → replicas, only where the formula gave a number different from now. */
export function changes(clusters: readonly ClusterSuggestion[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of clusters) if (c.formula !== undefined && c.hpa === undefined && c.formula.replicas !== c.now) out.set(c.cluster, c.formula.replicas);
  return out;
}

export const APPLY_SUGGESTION = 'apply_suggestion';

export function suggestionMessage(v: SuggestionView): Message {
  const unit = unitOf(v.basis);
  const sections = v.clusters.map((c) => {
    const lines = c.values.map((p) => `${p.pod}: ${p.shown}`);
    if (c.formula !== undefined) {
      const f = c.formula;
      lines.push(`sum ${formatIn(unit, f.sum)} ÷ target ${formatIn(unit, f.target)} = ${round(f.ratio, 2)} → rounded up: ${f.ceil}`);
      if (f.limitedBy !== undefined) lines.push(`kept within the app's limits (${v.limits.min} to ${v.limits.max}): ${f.replicas}`);
      if (f.missing.length > 0) lines.push(`left out (no sample yet): ${f.missing.join(', ')}`);
    }
    if (c.problem !== undefined) lines.push(c.problem);
    if (c.hpa !== undefined) lines.push(`HPA ${c.hpa.name} owns the replicas here (${describeHpaSettings(c.hpa.settings)}); change it with /autoscale instead`);
    const result = c.formula === undefined ? 'no suggestion' : c.formula.replicas === c.now ? `${c.now} replicas, no change` : `${c.now} → ${c.formula.replicas} replicas`;
    return { heading: `${c.cluster}: ${result}`, lines };
  });
  const numbers = [...new Set(v.clusters.flatMap((c) => (c.formula === undefined ? [] : [c.formula.replicas])))];
  const title =
    numbers.length === 0
      ? `No suggestion for ${v.app} in ${v.env}`
      : numbers.length === 1
        ? `Suggested: ${numbers[0]} replicas of ${v.app} in ${v.env}`
        : `Suggested for ${v.app} in ${v.env}: ${v.clusters.map((c) => `${c.cluster} ${c.formula?.replicas ?? '–'}`).join(', ')}`;
  const todo = changes(v.clusters);
  const buttons: Button[] =
    v.id === undefined || todo.size === 0
      ? []
      : [{ label: `Apply: ${[...todo].map(([c, n]) => `${c} → ${n}`).join(', ')}`, action: APPLY_SUGGESTION, value: v.id, style: 'primary' }];
  const per = v.basis.kind === 'metric' ? 'the query’s value for each pod' : unit === 'percent' ? `each pod's ${v.basis.resource} use as a share of its request` : `each pod's ${v.basis.resource} use`;
  return message(title, numbers.length === 0 ? 'error' : 'info', {
    text: `${basisText(v.basis)}: replicas = ceil(sum of ${per} ÷ target), rounded up as the HPA does.${buttons.length > 0 ? ' Apply scales through the same approval rules as a typed /scale.' : ''}`,
    sections,
    buttons,
    context: [`asked by ${v.requester}`, v.source, ...(buttons.length > 0 ? [`Apply works for ${v.expiresIn}`] : [])],
  });
}
