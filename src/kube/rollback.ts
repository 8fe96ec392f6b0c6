import type { FieldChange } from '../core/field-diff.ts';
import { CHANGE_CAUSE } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import { KubeError } from './errors.ts';
import type { ContainerImage } from './images.ts';
import { listRevisions } from './history.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, StaleRequest, retryOnConflict } from './retry.ts';
import { selectRevision, type RevisionTarget } from './revisions.ts';
import { describeWorkload, generationOf, patchWorkload, pointerKey, resourceVersionOf, type WorkloadRef } from './workload.ts';
import { previewOf, refuseMoved, unchangedPreview, type WriteOptions, type WritePreview } from './write-preview.ts';

/**
 * `kubectl rollout undo`, conditional: re-applies the pod template of an earlier revision
 * (the one before the current, a numbered one, or the newest that ran a given tag). The
 * controller then makes it the newest revision (its number goes up). Rolling back to the
 * revision already running writes nothing and says so.
 */
export interface RollbackInput extends WorkloadRef {
  readonly target?: RevisionTarget | undefined;
  /** The revision the caller saw as current; a different one makes the request stale. */
  readonly expectedRevision?: number | undefined;
  /** Defaults to "rollback to revision N". */
  readonly changeCause?: string | undefined;
  /** The approved preview's changes: each field must still hold its "from". */
  readonly expect?: readonly FieldChange[] | undefined;
}

export type RollbackOptions = WriteOptions;

export interface RevisionSummary {
  readonly revision: number;
  readonly images: readonly ContainerImage[];
}

export interface RollbackResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  /** False when the target is the revision already running: nothing was written. */
  readonly changed: boolean;
  readonly from: RevisionSummary;
  /** The revision whose template was re-applied (it comes back under a new, higher number). */
  readonly to: RevisionSummary;
  readonly generation: number;
  readonly resourceVersion: string;
  /** Only with dryRun: what the write would change. */
  readonly preview?: WritePreview;
}

export async function rollback(c: KubeClients, input: RollbackInput, options: RollbackOptions = {}): Promise<RollbackResult> {
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };
  const target = input.target ?? { kind: 'previous' };
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const { workload, revisions } = await listRevisions(c, ref);
    const choice = selectRevision(revisions, target);
    if (!choice.ok) throw new KubeError('invalid', `Cannot roll back ${describeWorkload(c, ref)}: ${choice.problem}`);
    if (input.expectedRevision !== undefined && choice.from.revision !== input.expectedRevision) {
      throw new StaleRequest(
        `${describeWorkload(c, ref)} is at revision ${choice.from.revision}, not ${input.expectedRevision} as when the rollback was requested; nothing was changed (conflict)`,
      );
    }
    const summary = (r: { revision: number; images: readonly ContainerImage[] }): RevisionSummary => ({ revision: r.revision, images: r.images });
    if (choice.noop) {
      return {
        cluster: c.cluster,
        ref,
        changed: false,
        from: summary(choice.from),
        to: summary(choice.to),
        generation: generationOf(workload),
        resourceVersion: resourceVersionOf(workload),
        ...(options.dryRun === true ? { preview: unchangedPreview(workload) } : {}),
      };
    }
    refuseMoved(c, ref, workload, input.expect ?? []);
    const record = revisions.find((r) => r.revision === choice.to.revision);
    if (record === undefined) throw new KubeError('invalid', `Cannot roll back ${describeWorkload(c, ref)}: revision ${choice.to.revision} vanished`);
    const cause = input.changeCause ?? `rollback to revision ${choice.to.revision}`;
    const hasAnnotations = workload.object.metadata?.annotations !== undefined;
    const patch = [
      // Replacing resourceVersion with the one we read makes the apiserver refuse (409) a stale write.
      { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersionOf(workload) },
      { op: 'replace', path: '/spec/template', value: record.template },
      hasAnnotations
        ? { op: 'add', path: `/metadata/annotations/${pointerKey(CHANGE_CAUSE)}`, value: cause }
        : { op: 'add', path: '/metadata/annotations', value: { [CHANGE_CAUSE]: cause } },
    ];
    const after = await patchWorkload(c, ref, 'json', patch, { fieldManager: options.fieldManager, dryRun: options.dryRun });
    return {
      cluster: c.cluster,
      ref,
      changed: true,
      from: summary(choice.from),
      to: summary(choice.to),
      generation: generationOf(after),
      resourceVersion: resourceVersionOf(after),
      ...(options.dryRun === true ? { preview: previewOf(workload.object, after.object) } : {}),
    };
  });
}
