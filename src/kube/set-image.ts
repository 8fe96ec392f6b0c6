import { containerImagePath, mergeChanges, type FieldChange } from '../core/field-diff.ts';
import { parseImageRef } from '../core/image-ref.ts';
import { CHANGE_CAUSE } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import { KubeError } from './errors.ts';
import { selectContainers, type ContainerImage } from './images.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, retryOnConflict } from './retry.ts';
import { containersOf, describeWorkload, generationOf, patchWorkload, readWorkload, resourceVersionOf, type Workload, type WorkloadRef } from './workload.ts';
import { previewOf, refuseMoved, unchangedPreview, type WritePreview, type WriteOptions } from './write-preview.ts';

/**
 * Sets the image of one named container, or of every container running an image from the same
 * repository, on a Deployment or StatefulSet. The write is conditional twice over: on the
 * resourceVersion read (a concurrent write is a 409, re-read and re-checked), and, when the
 * caller says what it expects to replace, on that image and on every field of the approved
 * preview (a stale request is refused, naming who changed what, never applied a second time).
 * With dryRun the same patch goes out with dryRun=All and the result carries the preview.
 */
export interface SetImageInput extends WorkloadRef {
  /** The full new image reference (repository with :tag and/or @digest). */
  readonly image: string;
  /** The container to change; undefined means every container of the image's repository. */
  readonly container?: string | undefined;
  /** The image the selected containers must run now; anything else makes the request stale. */
  readonly expectedFrom?: string | undefined;
  /** Written to the `kubernetes.io/change-cause` annotation (shown in history). */
  readonly changeCause?: string | undefined;
  /** The approved preview's changes: each field must still hold its "from". */
  readonly expect?: readonly FieldChange[] | undefined;
}

export interface SetImageOptions extends WriteOptions {
  /**
   * A read of the workload already under way (the worker starts it when it picks up an approved
   * deploy, beside its own Redis bookkeeping): the first attempt computes its write from it
   * instead of reading again. Safe however old it is: the write is conditional on the read's
   * resourceVersion, so a workload changed since is a 409, read afresh and checked again. A read
   * that failed is made again.
   */
  readonly firstRead?: Promise<Workload> | undefined;
}

export interface ImageChange {
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

export interface SetImageResult {
  readonly cluster: string;
  readonly ref: WorkloadRef;
  /** False when every selected container already ran the image (a replay): nothing was written. */
  readonly changed: boolean;
  readonly containers: readonly ImageChange[];
  /** metadata.generation after the write: wait for status.observedGeneration to reach it. */
  readonly generation: number;
  readonly resourceVersion: string;
  /** Only with dryRun: what the write would change. */
  readonly preview?: WritePreview;
}

/** Each selected container's image as an expectation: it must still run `from`. */
export function imageExpectations(containers: readonly { readonly name: string }[], from: string | undefined): FieldChange[] {
  return from === undefined ? [] : containers.map((c) => ({ path: containerImagePath(c.name), from }));
}

export async function setImage(c: KubeClients, input: SetImageInput, options: SetImageOptions = {}): Promise<SetImageResult> {
  const parsed = parseImageRef(input.image);
  if (!parsed.ok) throw new KubeError('invalid', `"${input.image}" is not a valid image reference: ${parsed.problem}`);
  const ref: WorkloadRef = { namespace: input.namespace, kind: input.kind, name: input.name };

  let early = options.firstRead;
  return retryOnConflict(options.maxAttempts ?? DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const first = early;
    early = undefined;
    const w = first === undefined ? await readWorkload(c, ref) : await first.then((x) => (isOf(x, ref) ? x : readWorkload(c, ref)), () => readWorkload(c, ref));
    const selected = selectOrFail(c, ref, w, input);
    const toChange = selected.filter((s) => s.image !== input.image);
    const result = (after: Workload, changed: boolean, preview?: WritePreview): SetImageResult => ({
      cluster: c.cluster,
      ref,
      changed,
      containers: selected.map((s) => ({ container: s.name, from: s.image, to: input.image })),
      generation: generationOf(after),
      resourceVersion: resourceVersionOf(after),
      ...(preview === undefined ? {} : { preview }),
    });
    if (toChange.length === 0) return result(w, false, options.dryRun === true ? unchangedPreview(w) : undefined);
    refuseMoved(c, ref, w, mergeChanges(imageExpectations(toChange, input.expectedFrom), input.expect ?? []));
    const metadata: Record<string, unknown> = { resourceVersion: resourceVersionOf(w) };
    if (input.changeCause !== undefined) metadata['annotations'] = { [CHANGE_CAUSE]: input.changeCause };
    const after = await patchWorkload(
      c,
      ref,
      'strategic',
      { metadata, spec: { template: { spec: { containers: toChange.map((s) => ({ name: s.name, image: input.image })) } } } },
      { fieldManager: options.fieldManager, dryRun: options.dryRun },
    );
    return result(after, true, options.dryRun === true ? previewOf(w.object, after.object) : undefined);
  });
}

/** Whether a workload read elsewhere is the one being written (a read of another is never used). */
function isOf(w: Workload, ref: WorkloadRef): boolean {
  return w.kind === ref.kind && w.object.metadata?.name === ref.name && w.object.metadata.namespace === ref.namespace;
}

function selectOrFail(c: KubeClients, ref: WorkloadRef, w: Workload, input: SetImageInput): readonly ContainerImage[] {
  const s = selectContainers(containersOf(w), input.image, input.container);
  if (!s.ok) throw new KubeError('invalid', `${describeWorkload(c, ref)}: ${s.problem}`);
  return s.containers;
}
