import type { V1ControllerRevision, V1ObjectMeta, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { CHANGE_CAUSE, POD_TEMPLATE_HASH, REVISION_ANNOTATION } from './annotations.ts';
import type { KubeClients } from './clients.ts';
import { kubeCall } from './errors.ts';
import type { ContainerImage } from './images.ts';
import type { RevisionInfo } from './revisions.ts';
import { statusFromWorkload, type WorkloadStatus } from './status.ts';
import { readWorkload, workloadSelector, type Workload, type WorkloadRef } from './workload.ts';

/**
 * A workload's revisions, oldest first: for a Deployment its ReplicaSets (owned by its uid),
 * for a StatefulSet its ControllerRevisions. Each keeps the pod template it ran, which is what
 * a rollback re-applies.
 */
export interface RevisionRecord extends RevisionInfo {
  /** Plain JSON, ready to be sent back in a patch (pod-template-hash label removed). */
  readonly template: Record<string, unknown>;
}

export async function listRevisions(c: KubeClients, ref: WorkloadRef): Promise<{ workload: Workload; status: WorkloadStatus; revisions: RevisionRecord[] }> {
  const workload = await readWorkload(c, ref);
  const status = statusFromWorkload(c.cluster, workload);
  return { workload, status, revisions: await ownedRevisions(c, ref, { uid: status.uid, selector: workloadSelector(c, ref, workload), current: currentOf(status) }) };
}

/** Who owns the revisions and which one is current: the workload's uid, selector and revision (number or ControllerRevision name). */
interface RevisionOwner {
  readonly uid: string | undefined;
  readonly selector: string;
  readonly current: number | string | undefined;
}

function currentOf(s: WorkloadStatus): number | string | undefined {
  return s.ref.kind === 'Deployment' ? s.revision : s.updateRevision;
}

async function ownedRevisions(c: KubeClients, ref: WorkloadRef, owner: RevisionOwner): Promise<RevisionRecord[]> {
  const owned = (m: V1ObjectMeta | undefined) => (m?.ownerReferences ?? []).some((o) => o.uid === owner.uid);
  let revisions: RevisionRecord[];
  if (ref.kind === 'Deployment') {
    const list = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'replicasets', namespace: ref.namespace }, () =>
      c.apps.listNamespacedReplicaSet({ namespace: ref.namespace, labelSelector: owner.selector }),
    );
    revisions = list.items.filter((rs) => owned(rs.metadata)).flatMap((rs) => fromReplicaSet(rs, owner.current));
  } else {
    const list = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'controllerrevisions', namespace: ref.namespace }, () =>
      c.apps.listNamespacedControllerRevision({ namespace: ref.namespace, labelSelector: owner.selector }),
    );
    revisions = list.items.filter((cr) => owned(cr.metadata)).flatMap((cr) => fromControllerRevision(cr, owner.current));
  }
  return revisions.sort((a, b) => a.revision - b.revision);
}

/**
 * The workload's revisions. Given `seen`, a state of the workload already in hand (the one a
 * rollout was just judged on, from the shared watch), only its ReplicaSets or ControllerRevisions
 * are listed: "current" is then the revision of that state, which is the one a health fact is
 * about, even if the workload changed since. Without it the workload is read first.
 */
export async function history(c: KubeClients, ref: WorkloadRef, seen?: WorkloadStatus): Promise<RevisionInfo[]> {
  if (seen !== undefined && seen.uid !== undefined && seen.selector !== undefined && seen.selector !== '' && seen.ref.kind === ref.kind) {
    return strip(await ownedRevisions(c, ref, { uid: seen.uid, selector: seen.selector, current: currentOf(seen) }));
  }
  return (await revisionsWithStatus(c, ref)).revisions;
}

/** The workload's status and its revisions from one read of it (and one list): what binding a request needs. */
export async function revisionsWithStatus(c: KubeClients, ref: WorkloadRef): Promise<{ status: WorkloadStatus; revisions: RevisionInfo[] }> {
  const { status, revisions } = await listRevisions(c, ref);
  return { status, revisions: strip(revisions) };
}

function strip(revisions: readonly RevisionRecord[]): RevisionInfo[] {
  return revisions.map(({ template: _template, ...info }) => info);
}

/** Container images of a pod template given as plain JSON (checked, since it is not typed). */
function imagesOf(template: unknown): ContainerImage[] {
  const spec = (template as { spec?: unknown } | undefined)?.spec;
  const containers = (spec as { containers?: unknown } | undefined)?.containers;
  if (!Array.isArray(containers)) return [];
  return containers.map((c: { name?: unknown; image?: unknown }) => ({ name: String(c.name), image: typeof c.image === 'string' ? c.image : '' }));
}

/** Model objects (Dates and all) to the plain JSON the apiserver sent. */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value ?? {})) as Record<string, unknown>;
}

function fromReplicaSet(rs: V1ReplicaSet, current: number | string | undefined): RevisionRecord[] {
  const revision = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  if (!Number.isInteger(revision) || revision <= 0) return [];
  const template = plain(rs.spec?.template) as V1PodTemplateSpec & Record<string, unknown>;
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH];
  template.metadata = { ...(template.metadata ?? {}), labels };
  return [
    {
      revision,
      // A rollback reuses the ReplicaSet: its hash (and name) stay, its revision number goes up.
      key: rs.metadata?.labels?.[POD_TEMPLATE_HASH] ?? rs.metadata?.name ?? String(revision),
      images: imagesOf(template),
      createdAt: rs.metadata?.creationTimestamp,
      changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE],
      current: revision === current,
      source: rs.metadata?.name ?? '',
      template,
    },
  ];
}

function fromControllerRevision(cr: V1ControllerRevision, updateRevision: number | string | undefined): RevisionRecord[] {
  // `data` is the strategic merge patch the StatefulSet controller stores:
  // {"spec":{"template":{"$patch":"replace", ...the pod template...}}}
  const data = plain(cr.data) as { spec?: { template?: Record<string, unknown> } };
  const raw = data.spec?.template;
  if (raw === undefined) return [];
  const { $patch: _patch, ...template } = raw;
  return [
    {
      revision: cr.revision,
      // The StatefulSet controller reuses an equal ControllerRevision on rollback, renumbering it.
      key: cr.metadata?.name ?? String(cr.revision),
      images: imagesOf(template),
      createdAt: cr.metadata?.creationTimestamp,
      changeCause: cr.metadata?.annotations?.[CHANGE_CAUSE],
      current: cr.metadata?.name === updateRevision,
      source: cr.metadata?.name ?? '',
      template,
    },
  ];
}
