import type { V1Scale } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, StaleRequest, retryOnConflict } from './retry.ts';
import { DEFAULT_FIELD_MANAGER, describeWorkload, dryRunParam, resourceOf, type WorkloadRef } from './workload.ts';
import { previewOf, type WriteOptions, type WritePreview } from './write-preview.ts';

/**
 * Scaling through the scale subresource (what an HPA and `kubectl scale` use), so the bot
 * needs no write access to the rest of the spec for it. The update carries the resourceVersion
 * read, and an optional expected current count guards against stale requests.
 */
export interface ScaleInput extends WorkloadRef {
  readonly replicas: number;
  /** The replica count the caller saw; a different one makes the request stale. */
  readonly expectedFrom?: number | undefined;
}

export type ScaleOptions = WriteOptions;

export interface ScaleResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  /** False when the workload already had that many replicas. */
  readonly changed: boolean;
  readonly from: number;
  readonly to: number;
  readonly resourceVersion: string;
  /** Only with dryRun: what the write would change (on the Scale object: spec.replicas). */
  readonly preview?: WritePreview;
}

export async function readScale(c: KubeClients, ref: WorkloadRef): Promise<V1Scale> {
  const ctx = { cluster: c.cluster, verb: 'get', resource: `${resourceOf(ref.kind)}/scale`, namespace: ref.namespace, name: ref.name };
  const args = { name: ref.name, namespace: ref.namespace };
  return kubeCall(ctx, () => (ref.kind === 'Deployment' ? c.apps.readNamespacedDeploymentScale(args) : c.apps.readNamespacedStatefulSetScale(args)));
}

export async function scale(c: KubeClients, input: ScaleInput, options: ScaleOptions = {}): Promise<ScaleResult> {
  if (!Number.isInteger(input.replicas) || input.replicas < 0) throw new KubeError('invalid', `${input.replicas} is not a replica count (a whole number, 0 or more)`);
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const current = await readScale(c, ref);
    const from = current.spec?.replicas ?? 0;
    const rv = current.metadata?.resourceVersion ?? '';
    const preview = (after: V1Scale) => (options.dryRun === true ? { preview: previewOf(current, after) } : {});
    if (from === input.replicas) return { cluster: c.cluster, ref, changed: false, from, to: input.replicas, resourceVersion: rv, ...preview(current) };
    if (rv === '') throw new KubeError('invalid', `The scale of ${describeWorkload(c, ref)} came back without a resourceVersion`);
    if (input.expectedFrom !== undefined && from !== input.expectedFrom) {
      throw new StaleRequest(`${describeWorkload(c, ref)} has ${from} replicas, not ${input.expectedFrom} as when the request was made; nothing was changed (conflict)`);
    }
    const body: V1Scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: ref.name, namespace: ref.namespace, resourceVersion: rv },
      spec: { replicas: input.replicas },
    };
    const ctx = { cluster: c.cluster, verb: 'update', resource: `${resourceOf(ref.kind)}/scale`, namespace: ref.namespace, name: ref.name };
    const args = { name: ref.name, namespace: ref.namespace, body, fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER, ...dryRunParam(options.dryRun) };
    const after = await kubeCall(ctx, () =>
      ref.kind === 'Deployment' ? c.apps.replaceNamespacedDeploymentScale(args) : c.apps.replaceNamespacedStatefulSetScale(args),
    );
    return { cluster: c.cluster, ref, changed: true, from, to: after.spec?.replicas ?? input.replicas, resourceVersion: after.metadata?.resourceVersion ?? '', ...preview(after) };
  });
}
