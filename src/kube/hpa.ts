import type { CoreV1Event, V2HorizontalPodAutoscaler, V2MetricSpec, V2MetricStatus } from '@kubernetes/client-node';
import { describeMetric, sameHpaSettings, type HpaMetricTarget, type HpaSettings } from '../core/autoscale.ts';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, StaleRequest, retryOnConflict } from './retry.ts';
import { readScale } from './scale.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './rbac.ts';
import { DEFAULT_FIELD_MANAGER, describeWorkload, dryRunParam, type WorkloadRef } from './workload.ts';
import { previewOf, type WritePreview, type WriteOptions } from './write-preview.ts';

/**
 * The HorizontalPodAutoscaler (autoscaling/v2) that scales a workload: found by its
 * scaleTargetRef whatever its name, created under the workload's name when there is none.
 * Every write is conditional: on the settings the caller saw when the request was made (a
 * different HPA now makes the request stale) and on the resourceVersion read just before.
 * With dryRun the same create, update or delete goes out with dryRun=All (admission policies on
 * HPAs answer it) and the result carries the preview: the HPA before and as it would be.
 */
export interface HpaMetricState {
  /** "cpu", "memory", a custom metric's name. */
  readonly name: string;
  /** "80%", "400m", or undefined before the controller has measured. */
  readonly current: string | undefined;
  readonly target: string;
}

export interface HpaState {
  readonly name: string;
  readonly settings: HpaSettings;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly lastScaleTime: Date | undefined;
  readonly metrics: readonly HpaMetricState[];
  readonly conditions: readonly { readonly type: string; readonly status: string; readonly reason: string | undefined; readonly message: string | undefined }[];
  /** The controller's newest event about a resize (SuccessfulRescale) or a failure to get metrics. */
  readonly lastEvent: { readonly reason: string; readonly message: string; readonly at: Date | undefined } | undefined;
  readonly resourceVersion: string;
}

const ctxOf = (c: KubeClients, verb: string, namespace: string, name?: string) => ({ cluster: c.cluster, verb, resource: 'horizontalpodautoscalers', namespace, name });

/** The bot's settings as the v2 API spells them. Pure. */
export function metricSpecs(settings: HpaSettings): V2MetricSpec[] {
  return settings.metrics.flatMap((m): V2MetricSpec[] => {
    switch (m.kind) {
      case 'utilization':
        return [{ type: 'Resource', resource: { name: m.resource, target: { type: 'Utilization', averageUtilization: m.percent } } }];
      case 'average':
        return [{ type: 'Resource', resource: { name: m.resource, target: { type: 'AverageValue', averageValue: m.value } } }];
      case 'pods':
        return [{ type: 'Pods', pods: { metric: { name: m.metric }, target: { type: 'AverageValue', averageValue: m.value } } }];
      case 'other':
        return [];
    }
  });
}

/** Settings read back from an HPA, whoever made it. Pure. */
export function settingsOf(hpa: V2HorizontalPodAutoscaler): HpaSettings {
  const metrics = (hpa.spec?.metrics ?? []).map((m): HpaMetricTarget => {
    const r = m.resource;
    if (m.type === 'Resource' && r !== undefined && (r.name === 'cpu' || r.name === 'memory')) {
      if (r.target.type === 'Utilization' && r.target.averageUtilization !== undefined) return { kind: 'utilization', resource: r.name, percent: r.target.averageUtilization };
      if (r.target.type === 'AverageValue' && r.target.averageValue !== undefined) return { kind: 'average', resource: r.name, value: String(r.target.averageValue) };
    }
    if (m.type === 'Pods' && m.pods?.target.averageValue !== undefined) return { kind: 'pods', metric: m.pods.metric.name, value: String(m.pods.target.averageValue) };
    return { kind: 'other', text: `${m.type} metric` };
  });
  const window = hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds;
  return { min: hpa.spec?.minReplicas ?? 1, max: hpa.spec?.maxReplicas ?? 0, metrics, ...(window === undefined ? {} : { scaleDownSeconds: window }) };
}

function metricStates(hpa: V2HorizontalPodAutoscaler): HpaMetricState[] {
  const current = hpa.status?.currentMetrics ?? [];
  const settings = settingsOf(hpa);
  return settings.metrics.map((m) => {
    const name = m.kind === 'pods' ? m.metric : m.kind === 'other' ? m.text : m.resource;
    const status = current.find((s) => statusName(s) === name);
    const value = m.kind === 'utilization' ? status?.resource?.current.averageUtilization : (status?.resource?.current.averageValue ?? status?.pods?.current.averageValue);
    return { name, current: value === undefined ? undefined : m.kind === 'utilization' ? `${value}%` : String(value), target: describeMetric(m).slice(name.length + 1) };
  });
}

function statusName(s: V2MetricStatus): string | undefined {
  return s.resource?.name ?? s.pods?.metric.name ?? s.containerResource?.name;
}

const SCALE_EVENTS = new Set(['SuccessfulRescale', 'FailedRescale', 'FailedGetResourceMetric', 'FailedGetPodsMetric', 'FailedComputeMetricsReplicas']);

function eventTime(e: CoreV1Event): Date | undefined {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return t === undefined ? undefined : new Date(t);
}

/** The HPA's state for chat. Pure. */
export function hpaState(hpa: V2HorizontalPodAutoscaler, events: readonly CoreV1Event[]): HpaState {
  const newest = [...events].filter((e) => SCALE_EVENTS.has(e.reason ?? '')).sort((a, b) => (eventTime(b)?.getTime() ?? 0) - (eventTime(a)?.getTime() ?? 0))[0];
  return {
    name: hpa.metadata?.name ?? '',
    settings: settingsOf(hpa),
    currentReplicas: hpa.status?.currentReplicas ?? 0,
    desiredReplicas: hpa.status?.desiredReplicas ?? 0,
    lastScaleTime: hpa.status?.lastScaleTime === undefined ? undefined : new Date(hpa.status.lastScaleTime),
    metrics: metricStates(hpa),
    conditions: (hpa.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
    lastEvent: newest === undefined ? undefined : { reason: newest.reason ?? '', message: newest.message ?? '', at: eventTime(newest) },
    resourceVersion: hpa.metadata?.resourceVersion ?? '',
  };
}

/** The HPA whose scaleTargetRef is the workload, if any (the oldest, should there be several). */
export async function findHpa(c: KubeClients, ref: WorkloadRef): Promise<V2HorizontalPodAutoscaler | undefined> {
  const list = await kubeCall(ctxOf(c, 'list', ref.namespace), () => c.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace }));
  return list.items
    .filter((h) => h.spec?.scaleTargetRef.kind === ref.kind && h.spec.scaleTargetRef.name === ref.name)
    .sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0))[0];
}

/** The workload's HPA with its newest scaling event, or undefined when it has none. */
export async function readHpa(c: KubeClients, ref: WorkloadRef): Promise<HpaState | undefined> {
  const hpa = await findHpa(c, ref);
  const name = hpa?.metadata?.name;
  if (hpa === undefined || name === undefined) return undefined;
  const events = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'events', namespace: ref.namespace }, () =>
    c.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector: `involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=${name}` }),
  );
  return hpaState(hpa, events.items);
}

/**
 * An HPA's dry-run preview. One that is created or deleted is compared with an empty one, so the
 * diff lists its fields one by one ("spec.maxReplicas: (none) → 8"), not the whole spec as a
 * single value.
 */
function hpaPreview(before: V2HorizontalPodAutoscaler | undefined, after: V2HorizontalPodAutoscaler | undefined): WritePreview {
  const none = { spec: {} };
  return previewOf(before ?? none, after ?? none);
}

/** With dryRun, a result's preview of the HPA as found and as it would be; nothing otherwise. */
function previewer(options: WriteOptions, current: V2HorizontalPodAutoscaler | undefined) {
  return (after: V2HorizontalPodAutoscaler | undefined): { preview?: WritePreview } => (options.dryRun === true ? { preview: hpaPreview(current, after) } : {});
}

export interface ApplyHpaInput extends WorkloadRef {
  readonly settings: HpaSettings;
  /** The HPA's settings when the request was made (null: there was none). */
  readonly expected: HpaSettings | null;
}

export interface ApplyHpaResult {
  readonly cluster: string;
  readonly name: string;
  readonly changed: boolean;
  readonly created: boolean;
  readonly from: HpaSettings | null;
  /** Only with dryRun: what the write would change on the HPA. */
  readonly preview?: WritePreview;
}

function staleHpa(c: KubeClients, ref: WorkloadRef, now: HpaSettings | null): StaleRequest {
  return new StaleRequest(`the autoscaler of ${describeWorkload(c, ref)} changed since the request was made (${now === null ? 'it is gone' : 'someone else edited it'}); nothing was changed (conflict)`);
}

export async function applyHpa(c: KubeClients, input: ApplyHpaInput, options: WriteOptions = {}): Promise<ApplyHpaResult> {
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };
  if (input.settings.min < 1 || input.settings.max < input.settings.min) throw new KubeError('invalid', `min ${input.settings.min} / max ${input.settings.max} are not replica bounds`);
  const fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const dry = dryRunParam(options.dryRun);
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const current = await findHpa(c, ref);
    const preview = previewer(options, current);
    const now = current === undefined ? null : settingsOf(current);
    if (now !== null && sameHpaSettings(now, input.settings)) return { cluster: c.cluster, name: current?.metadata?.name ?? ref.name, changed: false, created: false, from: now, ...preview(current) };
    const expectedMatches = now === null ? input.expected === null : input.expected !== null && sameHpaSettings(now, input.expected);
    if (!expectedMatches) throw staleHpa(c, ref, now);
    const spec = {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: ref.kind, name: ref.name },
      minReplicas: input.settings.min,
      maxReplicas: input.settings.max,
      metrics: metricSpecs(input.settings),
    };
    if (current === undefined) {
      const body: V2HorizontalPodAutoscaler = {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: ref.name, namespace: ref.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
        spec: { ...spec, ...(input.settings.scaleDownSeconds === undefined ? {} : { behavior: { scaleDown: { stabilizationWindowSeconds: input.settings.scaleDownSeconds } } }) },
      };
      const made = await kubeCall(ctxOf(c, 'create', ref.namespace, ref.name), () => c.autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace, body, fieldManager, ...dry }));
      return { cluster: c.cluster, name: ref.name, changed: true, created: true, from: null, ...preview(made) };
    }
    const name = current.metadata?.name ?? ref.name;
    if (current.metadata?.resourceVersion === undefined) throw new KubeError('invalid', `HPA ${name} of ${describeWorkload(c, ref)} came back without a resourceVersion`);
    // Other behavior (scale-up policies someone set) is kept; only the window we manage changes.
    // An unset window drops ours, so Kubernetes' default applies again.
    const behavior = current.spec?.behavior;
    const window = input.settings.scaleDownSeconds;
    const { stabilizationWindowSeconds: _old, ...scaleDown } = behavior?.scaleDown ?? {};
    const body: V2HorizontalPodAutoscaler = {
      ...current,
      spec: {
        ...spec,
        ...(behavior === undefined && window === undefined ? {} : { behavior: { ...behavior, scaleDown: { ...scaleDown, ...(window === undefined ? {} : { stabilizationWindowSeconds: window }) } } }),
      },
    };
    const stored = await kubeCall(ctxOf(c, 'update', ref.namespace, name), () => c.autoscaling.replaceNamespacedHorizontalPodAutoscaler({ name, namespace: ref.namespace, body, fieldManager, ...dry }));
    return { cluster: c.cluster, name, changed: true, created: false, from: now, ...preview(stored) };
  });
}

export interface RemoveHpaInput extends WorkloadRef {
  readonly expected: HpaSettings | null;
}

export interface RemoveHpaResult {
  readonly cluster: string;
  /** The removed HPA's name; undefined when there was none. */
  readonly name: string | undefined;
  readonly removed: boolean;
  /** The replica count that stays (the one the HPA last set). */
  readonly replicas: number;
  /** Only with dryRun: the HPA's fields that would go. */
  readonly preview?: WritePreview;
}

export async function removeHpa(c: KubeClients, input: RemoveHpaInput, options: WriteOptions = {}): Promise<RemoveHpaResult> {
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const current = await findHpa(c, ref);
    const replicas = async () => (await readScale(c, ref)).spec?.replicas ?? 0;
    const preview = previewer(options, current);
    if (current === undefined) return { cluster: c.cluster, name: undefined, removed: false, replicas: await replicas(), ...preview(undefined) };
    const now = settingsOf(current);
    if (input.expected === null || !sameHpaSettings(now, input.expected)) throw staleHpa(c, ref, now);
    const name = current.metadata?.name ?? ref.name;
    const resourceVersion = current.metadata?.resourceVersion;
    try {
      // With a body (DeleteOptions, for the precondition), the apiserver reads the options from
      // the body and not from the query: the dry run must be said there too, or it deletes.
      const body = { ...(resourceVersion === undefined ? {} : { preconditions: { resourceVersion } }), ...(options.dryRun === true ? { dryRun: ['All'] } : {}) };
      await kubeCall(ctxOf(c, 'delete', ref.namespace, name), () =>
        c.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace: ref.namespace, ...dryRunParam(options.dryRun), body }),
      );
    } catch (e) {
      // Gone in between (a repeat of this job, or someone else): the same end state.
      if (!(e instanceof KubeError && e.kind === 'not_found')) throw e;
    }
    return { cluster: c.cluster, name, removed: true, replicas: await replicas(), ...preview(undefined) };
  });
}
