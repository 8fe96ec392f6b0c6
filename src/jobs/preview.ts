import type { FieldChange } from '../core/field-diff.ts';
import { describeDrift } from '../core/field-owner.ts';
import { KubeError } from '../kube/errors.ts';
import type { WritePreview } from '../kube/write-preview.ts';
import type { GatewayFor } from './bind.ts';
import type { JobSpec, TargetPreview, Workload } from './spec.ts';
import { autoscaleWrite, deployWrite, podBatchWrite, restartWrite, rollbackWrite, scaleWrite, upgradeWrite, type WriteActor } from './writes.ts';

/**
 * The request-time dry run: every write the job would make, sent with dryRun=All to its
 * cluster before an approval is asked for. The apiserver runs admission (policies, quotas of
 * objects, LimitRanges), validation and RBAC on the very patch the job will send, and answers
 * with the object it would store; what differs from the live object is the operation's diff.
 * A refusal is the request's answer and nothing is created.
 */

/** A dry run the apiserver (or the bot's access to it) refused: the answer to the request. */
export class DryRunRefused extends Error {
  override readonly name = 'DryRunRefused';
  readonly cluster: string;
  constructor(cluster: string, cause: KubeError) {
    super(cause.message, { cause });
    this.cluster = cluster;
  }
}

type StoredChange = TargetPreview['changes'][number];

function stored(c: FieldChange): StoredChange {
  return { path: [...c.path], ...(c.from === undefined ? {} : { from: c.from }), ...(c.to === undefined ? {} : { to: c.to }) };
}

/** One workload's changes as the diff code reads them. */
export function changesOf(p: TargetPreview): FieldChange[] {
  return p.changes.map((c) => ({ path: c.path, ...(c.from === undefined ? {} : { from: c.from }), ...(c.to === undefined ? {} : { to: c.to }) }));
}

/** One workload's dry run: the diff kept with the operation, and the object the apiserver answered (for preflight). */
export interface Previewed {
  readonly workload: Workload;
  readonly preview: TargetPreview;
  /** The object as it would be stored (the Scale object for a scale); undefined when nothing was sent. */
  readonly after?: unknown;
}

function entry(w: Workload, preview: WritePreview | undefined): Previewed {
  return { workload: w, preview: { cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, changes: (preview?.changes ?? []).map(stored) }, ...(preview === undefined ? {} : { after: preview.after }) };
}

/** An autoscaler's dry run: its changes, kept apart from the workload's (no `after`: preflight checks workloads). */
function autoscalerEntry(w: Workload, r: { name: string | undefined; preview?: WritePreview }): Previewed {
  const changes = (r.preview?.changes ?? []).map(stored);
  return { workload: w, preview: { cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, autoscaler: r.name ?? w.name, changes } };
}

async function dryRun<R extends { preview?: WritePreview }>(w: Workload, write: () => Promise<R>, toEntry: (w: Workload, r: R) => Previewed = (x, r) => entry(x, r.preview)): Promise<Previewed> {
  try {
    return toEntry(w, await write());
  } catch (e) {
    if (e instanceof KubeError) throw new DryRunRefused(w.cluster, e);
    throw e;
  }
}

/** The diff of every workload the job writes, from dry runs on each cluster at once. */
export async function previewSpec(spec: JobSpec, gatewayFor: GatewayFor, actor: WriteActor): Promise<Previewed[]> {
  const opts = { dryRun: true } as const;
  switch (spec.kind) {
    case 'deploy':
      return Promise.all(spec.targets.map((t) => dryRun(t.workload, () => gatewayFor(t.workload.cluster).setImage(deployWrite(spec, t, actor), opts))));
    case 'scale':
      return Promise.all(spec.targets.map((t) => dryRun(t.workload, () => gatewayFor(t.workload.cluster).scale(scaleWrite(spec, t), opts))));
    case 'rollback':
      return Promise.all(
        spec.targets.map((t) => (t.fromRevision === t.toRevision ? Promise.resolve(entry(t.workload, undefined)) : dryRun(t.workload, () => gatewayFor(t.workload.cluster).rollback(rollbackWrite(t, actor), opts)))),
      );
    case 'restart':
      return Promise.all(spec.targets.map((t) => dryRun(t.workload, () => gatewayFor(t.workload.cluster).restart(restartWrite(spec, t), opts))));
    case 'upgrade':
      return Promise.all(
        spec.batches.flatMap((batch, i) =>
          batch.flatMap((t) => {
            const gw = gatewayFor(t.workload.cluster);
            if (t.pods === undefined) return [dryRun(t.workload, () => gw.setImage(upgradeWrite(spec, t, i, actor), opts))];
            // A pod-batch release: only each StatefulSet's first write (image and partition) can be
            // tried now; every later one starts from the partition the batch before leaves.
            const write = podBatchWrite(spec, t, t.pods);
            return write.kind === 'image+partition' ? [dryRun(t.workload, () => gw.setImageWithPartition(write.input, opts))] : [];
          }),
        ),
      );
    case 'autoscale':
      // It writes the workload's HPA: the same create, update or delete, dry run.
      return Promise.all(
        spec.targets.map((t) => {
          const gw = gatewayFor(t.workload.cluster);
          const write = autoscaleWrite(spec, t);
          return write.kind === 'remove' ? dryRun(t.workload, () => gw.removeHpa(write.input, opts), autoscalerEntry) : dryRun(t.workload, () => gw.applyHpa(write.input, opts), autoscalerEntry);
        }),
      );
  }
}

/** The approved changes of one workload: what the job expects each written field to hold before it writes. */
export function expectedChanges(previews: readonly TargetPreview[] | undefined, w: Workload): FieldChange[] {
  const p = previews?.find((x) => x.autoscaler === undefined && keyOf(x) === keyOf(w));
  return p === undefined ? [] : changesOf(p);
}

/**
 * The part of an approved diff to read again when Approve is clicked: what runs as soon as the
 * approval completes. For an upgrade that is its first batch; later batches start minutes or
 * hours later, when the job checks each workload's fields before writing it anyway (and pauses
 * on one that moved), so reading a whole fleet at the click (a GET per workload) would vouch for
 * nothing more.
 */
export function checkedAtApproval(spec: JobSpec, previews: readonly TargetPreview[]): TargetPreview[] {
  if (spec.kind !== 'upgrade') return [...previews];
  const first = new Set((spec.batches[0] ?? []).map((t) => keyOf(t.workload)));
  return previews.filter((p) => first.has(keyOf(p)));
}

const keyOf = (w: { cluster: string; namespace: string; kind: string; name: string }) => `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;

/**
 * Whether the diff an approval shows still holds: each workload's changed fields, read fresh,
 * must still have their "from". One line per moved field, naming who moved it; empty: current.
 */
export async function staleDiff(previews: readonly TargetPreview[], gatewayFor: GatewayFor): Promise<string[]> {
  const moved = await Promise.all(
    previews
      // An autoscaler's job checks it against the settings seen at request time itself.
      .filter((p) => p.changes.length > 0 && p.autoscaler === undefined)
      .map(async (p) => (await gatewayFor(p.cluster).drifts({ namespace: p.namespace, kind: p.kind, name: p.name }, changesOf(p))).map((d) => `${p.kind} ${p.namespace}/${p.name} on ${p.cluster}: ${describeDrift(d)}`)),
  );
  return moved.flat();
}
