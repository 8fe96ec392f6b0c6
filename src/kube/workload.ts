import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Deployment, V1LabelSelector, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';
import type { ContainerImage } from './images.ts';

/** Deployments and StatefulSets, read and patched the same way. */
export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface WorkloadRef {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
}

export type Workload = { readonly kind: 'Deployment'; readonly object: V1Deployment } | { readonly kind: 'StatefulSet'; readonly object: V1StatefulSet };

export function resourceOf(kind: WorkloadKind): 'deployments' | 'statefulsets' {
  return kind === 'Deployment' ? 'deployments' : 'statefulsets';
}

/** "Deployment web in namespace web-prod on cluster gz", for messages. */
export function describeWorkload(c: KubeClients, ref: WorkloadRef): string {
  return `${ref.kind} ${ref.name} in namespace ${ref.namespace} on cluster ${c.cluster}`;
}

export async function readWorkload(c: KubeClients, ref: WorkloadRef): Promise<Workload> {
  const ctx = { cluster: c.cluster, verb: 'get', resource: resourceOf(ref.kind), namespace: ref.namespace, name: ref.name };
  const args = { name: ref.name, namespace: ref.namespace };
  if (ref.kind === 'Deployment') return { kind: 'Deployment', object: await kubeCall(ctx, () => c.apps.readNamespacedDeployment(args)) };
  return { kind: 'StatefulSet', object: await kubeCall(ctx, () => c.apps.readNamespacedStatefulSet(args)) };
}

export type PatchType = 'json' | 'merge' | 'strategic';

const CONTENT_TYPES: Record<PatchType, string> = {
  json: PatchStrategy.JsonPatch,
  merge: PatchStrategy.MergePatch,
  strategic: PatchStrategy.StrategicMergePatch,
};

export interface PatchOptions {
  /** Recorded in managedFields; lets an operator see that the bot made the change. */
  readonly fieldManager?: string | undefined;
  /** dryRun=All: admission and validation run, nothing is stored; the answer is the object as it would be. */
  readonly dryRun?: boolean | undefined;
}

export const DEFAULT_FIELD_MANAGER = 'chatops-bot';

/**
 * Patches a workload. Callers make every write conditional by putting the resourceVersion
 * they read into the patch (metadata.resourceVersion for merge patches, a replace of
 * /metadata/resourceVersion for JSON patches): the apiserver answers 409 when it is stale.
 */
export async function patchWorkload(c: KubeClients, ref: WorkloadRef, type: PatchType, body: unknown, options: PatchOptions = {}): Promise<Workload> {
  const ctx = { cluster: c.cluster, verb: 'patch', resource: resourceOf(ref.kind), namespace: ref.namespace, name: ref.name };
  const args = { name: ref.name, namespace: ref.namespace, body, fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER, ...dryRunParam(options.dryRun) };
  const headers = setHeaderOptions('Content-Type', CONTENT_TYPES[type]);
  if (ref.kind === 'Deployment') return { kind: 'Deployment', object: await kubeCall(ctx, () => c.apps.patchNamespacedDeployment(args, headers)) };
  return { kind: 'StatefulSet', object: await kubeCall(ctx, () => c.apps.patchNamespacedStatefulSet(args, headers)) };
}

/** The query parameter of a dry run, or nothing. */
export function dryRunParam(dryRun: boolean | undefined): { dryRun?: string } {
  return dryRun === true ? { dryRun: 'All' } : {};
}

export function templateOf(w: Workload): V1PodTemplateSpec {
  return w.object.spec?.template ?? {};
}

export function containersOf(w: Workload): ContainerImage[] {
  return (templateOf(w).spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));
}

export function resourceVersionOf(w: Workload): string {
  const rv = w.object.metadata?.resourceVersion;
  if (rv === undefined) throw new KubeError('invalid', `${w.kind} ${w.object.metadata?.name ?? '?'} came back without a resourceVersion`);
  return rv;
}

export function generationOf(w: Workload): number {
  return w.object.metadata?.generation ?? 0;
}

/** A label selector as the `labelSelector` query parameter. */
export function selectorString(sel: V1LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

/** The workload's selector; a workload without one would select every pod, so refuse. */
export function workloadSelector(c: KubeClients, ref: WorkloadRef, w: Workload): string {
  const s = selectorString(w.object.spec?.selector);
  if (s === '') throw new KubeError('invalid', `${describeWorkload(c, ref)} has an empty selector`);
  return s;
}

/** Escapes a key for a JSON pointer (RFC 6901): "kubectl.kubernetes.io/x" → "kubectl.kubernetes.io~1x". */
export function pointerKey(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
