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

export async function listRevisions(c: KubeClients, ref: WorkloadRef): Promise<{ workload: Workload; revisions: RevisionRecord[] }> {
  const workload = await readWorkload(c, ref);
  const selector = workloadSelector(c, ref, workload);
  const uid = workload.object.metadata?.uid;
  const owned = (m: V1ObjectMeta | undefined) => (m?.ownerReferences ?? []).some((o) => o.uid === uid);
  let revisions: RevisionRecord[];
  if (workload.kind === 'Deployment') {
    const current = Number(workload.object.metadata?.annotations?.[REVISION_ANNOTATION]);
    const list = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'replicasets', namespace: ref.namespace }, () =>
      c.apps.listNamespacedReplicaSet({ namespace: ref.namespace, labelSelector: selector }),
    );
    revisions = list.items.filter((rs) => owned(rs.metadata)).flatMap((rs) => fromReplicaSet(rs, current));
  } else {
    const updateRevision = workload.object.status?.updateRevision;
    const list = await kubeCall({ cluster: c.cluster, verb: 'list', resource: 'controllerrevisions', namespace: ref.namespace }, () =>
      c.apps.listNamespacedControllerRevision({ namespace: ref.namespace, labelSelector: selector }),
    );
    revisions = list.items.filter((cr) => owned(cr.metadata)).flatMap((cr) => fromControllerRevision(cr, updateRevision));
  }
  revisions.sort((a, b) => a.revision - b.revision);
  return { workload, revisions };
}

export async function history(c: KubeClients, ref: WorkloadRef): Promise<RevisionInfo[]> {
  return (await revisionsWithStatus(c, ref)).revisions;
}

/** The workload's status and its revisions from one read of it (and one list): what binding a request needs. */
export async function revisionsWithStatus(c: KubeClients, ref: WorkloadRef): Promise<{ status: WorkloadStatus; revisions: RevisionInfo[] }> {
  const { workload, revisions } = await listRevisions(c, ref);
  return { status: statusFromWorkload(c.cluster, workload), revisions: revisions.map(({ template: _template, ...info }) => info) };
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

function fromReplicaSet(rs: V1ReplicaSet, current: number): RevisionRecord[] {
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

function fromControllerRevision(cr: V1ControllerRevision, updateRevision: string | undefined): RevisionRecord[] {
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
