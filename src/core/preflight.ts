import { parseImageRef } from './image-ref.ts';
import type { PreflightCheck } from './preflight-checks.ts';
import { parseQuantity } from './quantity.ts';

/**
 * Preflight: what about a workload makes a change to it risky, found before anyone approves
 * it, each with one line of why it matters. The object checked is the workload as the
 * apiserver says it will be after the write (the dry run's answer), so a deploy that adds a
 * readinessProbe is not warned about one it lacks today. Pure: the caller reads the workload's
 * PodDisruptionBudgets, ResourceQuotas and HorizontalPodAutoscalers and passes them in.
 *
 * The types are the few fields each check reads, so client-node's objects fit them as they are.
 */

export interface PreflightWarning {
  readonly check: PreflightCheck;
  /** What was found: "container web has no readinessProbe". */
  readonly text: string;
  /** Why it matters, in one line. */
  readonly why: string;
}

type IntOrString = number | string;
type Labels = { readonly [key: string]: string };

interface LabelSelectorLike {
  readonly matchLabels?: Labels | undefined;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] | undefined }[] | undefined;
}

interface ContainerLike {
  readonly name: string;
  readonly readinessProbe?: unknown;
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command?: readonly string[] | undefined } | undefined; readonly sleep?: { readonly seconds: number } | undefined } | undefined } | undefined;
  readonly resources?: { readonly requests?: Labels | undefined; readonly limits?: Labels | undefined } | undefined;
}

export interface WorkloadLike {
  readonly spec?:
    | {
        readonly replicas?: number | undefined;
        readonly strategy?: { readonly type?: string | undefined; readonly rollingUpdate?: { readonly maxUnavailable?: IntOrString | undefined; readonly maxSurge?: IntOrString | undefined } | undefined } | undefined;
        readonly updateStrategy?: { readonly type?: string | undefined; readonly rollingUpdate?: { readonly maxUnavailable?: IntOrString | undefined } | undefined } | undefined;
        readonly template: {
          readonly metadata?: { readonly labels?: Labels | undefined } | undefined;
          readonly spec?: { readonly containers: readonly ContainerLike[]; readonly initContainers?: readonly ContainerLike[] | undefined; readonly terminationGracePeriodSeconds?: number | undefined } | undefined;
        };
      }
    | undefined;
}

export interface PdbLike {
  readonly metadata?: { readonly name?: string | undefined } | undefined;
  readonly spec?: { readonly selector?: LabelSelectorLike | undefined } | undefined;
}

export interface QuotaLike {
  readonly metadata?: { readonly name?: string | undefined } | undefined;
  readonly spec?: { readonly scopes?: readonly string[] | undefined; readonly scopeSelector?: unknown } | undefined;
  readonly status?: { readonly hard?: Labels | undefined; readonly used?: Labels | undefined } | undefined;
}

export interface HpaLike {
  readonly metadata?: { readonly name?: string | undefined } | undefined;
  readonly spec?: { readonly scaleTargetRef: { readonly kind: string; readonly name: string }; readonly minReplicas?: number | undefined; readonly maxReplicas: number } | undefined;
}

export interface PreflightInput {
  readonly verb: 'deploy' | 'scale' | 'rollback' | 'restart' | 'upgrade';
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  /** The workload as it will be after the write. */
  readonly after: WorkloadLike;
  readonly fromReplicas: number;
  /** Whether the write changes the pod template, i.e. starts a rollout. */
  readonly rolls: boolean;
  /** Containers the write changes; undefined: every container (a scale or a restart makes new pods of all). */
  readonly changedContainers?: readonly string[] | undefined;
  /** Images the write puts in place. */
  readonly images: readonly string[];
  /** Undefined: not read (the check is skipped). */
  readonly pdbs?: readonly PdbLike[] | undefined;
  readonly quotas?: readonly QuotaLike[] | undefined;
  readonly hpas?: readonly HpaLike[] | undefined;
  readonly skip?: ReadonlySet<PreflightCheck> | undefined;
}

/** Tags that by convention move to new code: deploying one says nothing about what will run. */
const MUTABLE_TAGS: ReadonlySet<string> = new Set(['latest', 'stable', 'main', 'master', 'dev', 'develop', 'edge', 'nightly', 'canary', 'snapshot', 'staging', 'prod', 'production', 'release', 'current', 'next', 'beta', 'alpha', 'test']);

/** Default termination grace period of a pod (seconds). */
const DEFAULT_GRACE = 30;

export const WHY: Readonly<Record<PreflightCheck, string>> = {
  readiness: 'without it, new pods get traffic as soon as they start, before they can serve it',
  prestop: 'a pod being replaced still gets requests for a moment after it is told to stop; a short preStop sleep lets them finish instead of failing',
  rollout: 'during the rollout no pod may be ready to serve; keep maxUnavailable below the replica count',
  pdb: 'a node drain may then evict every pod at once; a PodDisruptionBudget guards drains and other evictions, not rollouts (maxUnavailable does that)',
  quota: "quota is charged when pods are created, so the dry run of the workload can't catch it: the extra pods would be refused and the change would stall",
  hpa: 'the autoscaler sets the replicas itself and will move them back',
  'mutable-tag': 'the tag may point at other code tomorrow or on another node; deploy a version tag or a digest',
};

function selects(sel: LabelSelectorLike | undefined, labels: Labels): boolean {
  if (sel === undefined) return false; // a PDB without a selector selects no pods
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** An int-or-percent against a replica count, rounded as the controllers round it. */
function scaled(v: IntOrString, replicas: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v.trim());
  if (m === null) return Number.isInteger(Number(v)) ? Number(v) : 0;
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** How many pods a rollout may take down and add at once (the Deployment controller's fenceposts). */
function fenceposts(w: WorkloadLike, kind: PreflightInput['kind'], replicas: number): { strategy: string; maxUnavailable: number; maxSurge: number; raw: string } {
  const spec = w.spec;
  if (kind === 'StatefulSet') {
    const strategy = spec?.updateStrategy?.type ?? 'RollingUpdate';
    const raw = spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
    return { strategy, maxUnavailable: Math.max(1, scaled(raw, replicas, true)), maxSurge: 0, raw: String(raw) };
  }
  const strategy = spec?.strategy?.type ?? 'RollingUpdate';
  const ru = spec?.strategy?.rollingUpdate;
  const rawUnavailable = ru?.maxUnavailable ?? '25%';
  let maxUnavailable = scaled(rawUnavailable, replicas, false);
  const maxSurge = scaled(ru?.maxSurge ?? '25%', replicas, true);
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { strategy, maxUnavailable, maxSurge, raw: String(rawUnavailable) };
}

/** Seconds a preStop hook sleeps (the sleep action, or a `sleep N` command), if it says. */
export function preStopSeconds(h: NonNullable<NonNullable<ContainerLike['lifecycle']>['preStop']>): number | undefined {
  if (h.sleep !== undefined) return h.sleep.seconds;
  const m = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec((h.exec?.command ?? []).join(' '));
  return m === null ? undefined : Number(m[1]);
}

/** What one pod of the template asks for, per quota resource name (requests.cpu, limits.memory, pods…). */
function perPod(template: NonNullable<WorkloadLike['spec']>['template'], resource: string): number | undefined {
  if (resource === 'pods' || resource === 'count/pods') return 1;
  // requests.cpu, limits.memory, requests.nvidia.com/gpu…; bare cpu, memory and ephemeral-storage mean requests.
  const prefixed = /^(requests|limits)\.(.+)$/.exec(resource);
  if (prefixed === null && !['cpu', 'memory', 'ephemeral-storage'].includes(resource)) return undefined;
  const kind = prefixed?.[1] ?? 'requests';
  const name = prefixed?.[2] ?? resource;
  const amount = (c: ContainerLike) => {
    const q = (kind === 'requests' ? c.resources?.requests : c.resources?.limits)?.[name];
    return q === undefined ? 0 : (parseQuantity(q) ?? 0);
  };
  const containers = template.spec?.containers ?? [];
  const init = template.spec?.initContainers ?? [];
  const sum = containers.reduce((n, c) => n + amount(c), 0);
  return Math.max(sum, ...init.map(amount));
}

function formatAmount(n: number, resource: string): string {
  if (/memory|storage/.test(resource)) {
    for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (n >= size) return `${Math.round((n / size) * 100) / 100}${unit}`;
    return String(n);
  }
  if (/cpu/.test(resource) && n < 1 && n > 0) return `${Math.round(n * 1000)}m`;
  return String(Math.round(n * 1000) / 1000);
}

function quotaWarnings(i: PreflightInput, replicas: number, surge: number, out: PreflightWarning[]): void {
  const template = i.after.spec?.template;
  const extra = Math.max(0, replicas - i.fromReplicas) + (i.rolls ? surge : 0);
  if (template === undefined || extra === 0) return;
  for (const q of i.quotas ?? []) {
    // A scoped quota charges only some pods (BestEffort, a priority class…): not guessed at.
    if ((q.spec?.scopes ?? []).length > 0 || q.spec?.scopeSelector !== undefined) continue;
    const hard = q.status?.hard ?? {};
    const used = q.status?.used;
    if (used === undefined) continue;
    for (const [resource, hardText] of Object.entries(hard)) {
      const each = perPod(template, resource);
      const limit = parseQuantity(hardText);
      const now = parseQuantity(used[resource] ?? '0');
      if (each === undefined || each === 0 || limit === undefined || now === undefined) continue;
      const need = extra * each;
      if (now + need <= limit) continue;
      const name = q.metadata?.name ?? '?';
      out.push({
        check: 'quota',
        text: `ResourceQuota ${name}: ${resource} would be ${formatAmount(now + need, resource)} of ${hardText} (${used[resource] ?? '0'} used, ${extra} more pod${extra === 1 ? '' : 's'}${i.rolls && surge > 0 ? ' counting the rollout surge' : ''})`,
        why: WHY.quota,
      });
    }
  }
}

export function preflight(i: PreflightInput): PreflightWarning[] {
  const out: PreflightWarning[] = [];
  const on = (c: PreflightCheck) => i.skip?.has(c) !== true;
  const spec = i.after.spec;
  const template = spec?.template;
  const replicas = spec?.replicas ?? 1;
  const containers = (template?.spec?.containers ?? []).filter((c) => i.changedContainers === undefined || i.changedContainers.includes(c.name));
  const startsPods = i.rolls || replicas > i.fromReplicas;
  const stopsPods = i.rolls || replicas < i.fromReplicas;

  if (on('readiness') && startsPods) {
    for (const c of containers) if (c.readinessProbe === undefined || c.readinessProbe === null) out.push({ check: 'readiness', text: `container ${c.name} has no readinessProbe`, why: WHY.readiness });
  }
  if (on('prestop') && stopsPods) {
    const grace = template?.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
    for (const c of containers) {
      const hook = c.lifecycle?.preStop;
      if (hook === undefined) {
        out.push({ check: 'prestop', text: `container ${c.name} has no preStop hook`, why: WHY.prestop });
        continue;
      }
      const needs = preStopSeconds(hook);
      if (needs !== undefined && grace <= needs) {
        out.push({
          check: 'prestop',
          text: `container ${c.name}: terminationGracePeriodSeconds ${grace} is not longer than its preStop sleep of ${needs} s`,
          why: 'the kubelet kills the container when the grace period ends, so the app never gets to shut down cleanly',
        });
      }
    }
  }
  const f = fenceposts(i.after, i.kind, replicas);
  if (on('rollout') && i.rolls && replicas >= 1) {
    if (f.strategy === 'Recreate') out.push({ check: 'rollout', text: `strategy Recreate stops all ${replicas} pods before the new ones start`, why: WHY.rollout });
    else if (f.strategy === 'RollingUpdate' && replicas - f.maxUnavailable < 1) {
      out.push({ check: 'rollout', text: `a rolling update may take all ${replicas} ready pod${replicas === 1 ? '' : 's'} down at once (maxUnavailable ${f.raw})`, why: WHY.rollout });
    }
  }
  if (on('pdb') && i.pdbs !== undefined && replicas > 1) {
    const labels = template?.metadata?.labels ?? {};
    if (!i.pdbs.some((p) => selects(p.spec?.selector, labels))) out.push({ check: 'pdb', text: `no PodDisruptionBudget covers its ${replicas} pods`, why: WHY.pdb });
  }
  if (on('quota')) quotaWarnings(i, replicas, f.strategy === 'RollingUpdate' ? f.maxSurge : 0, out);
  if (on('hpa') && i.verb === 'scale') {
    for (const h of i.hpas ?? []) {
      const ref = h.spec?.scaleTargetRef;
      if (ref?.kind !== i.kind || ref.name !== i.name) continue;
      out.push({ check: 'hpa', text: `HorizontalPodAutoscaler ${h.metadata?.name ?? '?'} owns its replicas (min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas ?? '?'})`, why: WHY.hpa });
    }
  }
  if (on('mutable-tag')) {
    for (const image of new Set(i.images)) {
      const r = parseImageRef(image);
      if (!r.ok || r.value.digest !== undefined) continue;
      const tag = r.value.tag;
      if (tag === undefined) out.push({ check: 'mutable-tag', text: `image ${image} has no tag (it means latest)`, why: WHY['mutable-tag'] });
      else if (MUTABLE_TAGS.has(tag.toLowerCase())) out.push({ check: 'mutable-tag', text: `image ${image} uses the mutable tag "${tag}"`, why: WHY['mutable-tag'] });
    }
  }
  return out;
}
