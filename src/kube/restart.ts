import type { FieldChange } from '../core/field-diff.ts';
import { RESTARTED_AT } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import { KubeError } from './errors.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, retryOnConflict } from './retry.ts';
import { generationOf, patchWorkload, readWorkload, resourceVersionOf, templateOf, type WorkloadRef } from './workload.ts';
import { previewOf, refuseMoved, unchangedPreview, type WriteOptions, type WritePreview } from './write-preview.ts';

/**
 * `kubectl rollout restart`: a new value of the restartedAt pod-template annotation rolls
 * every pod. The value is given by the caller (the job layer passes a token fixed when the
 * job was created), so replaying the same restart finds it already there and writes nothing.
 */
export interface RestartInput extends WorkloadRef {
  readonly token: string;
  /** The approved preview's changes: each field must still hold its "from". */
  readonly expect?: readonly FieldChange[] | undefined;
}

export type RestartOptions = WriteOptions;

export interface RestartResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  /** False when the annotation already had this token (a replay). */
  readonly changed: boolean;
  readonly previous: string | undefined;
  readonly token: string;
  readonly generation: number;
  readonly resourceVersion: string;
  /** Only with dryRun: what the write would change. */
  readonly preview?: WritePreview;
}

export async function restart(c: KubeClients, input: RestartInput, options: RestartOptions = {}): Promise<RestartResult> {
  if (input.token.trim() === '') throw new KubeError('invalid', 'A restart needs a non-empty token');
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const w = await readWorkload(c, ref);
    const previous = templateOf(w).metadata?.annotations?.[RESTARTED_AT];
    const base = { cluster: c.cluster, ref, previous, token: input.token };
    if (previous === input.token) return { ...base, changed: false, generation: generationOf(w), resourceVersion: resourceVersionOf(w), ...(options.dryRun === true ? { preview: unchangedPreview(w) } : {}) };
    refuseMoved(c, ref, w, input.expect ?? []);
    const after = await patchWorkload(
      c,
      ref,
      'strategic',
      { metadata: { resourceVersion: resourceVersionOf(w) }, spec: { template: { metadata: { annotations: { [RESTARTED_AT]: input.token } } } } },
      { fieldManager: options.fieldManager, dryRun: options.dryRun },
    );
    return { ...base, changed: true, generation: generationOf(after), resourceVersion: resourceVersionOf(after), ...(options.dryRun === true ? { preview: previewOf(w.object, after.object) } : {}) };
  });
}
