import { VersionApi, Watch, type V1Deployment, type V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';
import { kubeCall } from './errors.ts';
import { resourceOf, type Workload, type WorkloadKind } from './workload.ts';

/**
 * The shared watches' side of the wire (watch.ts): how a watch request is made (client-node's
 * Watch), how a cluster is asked whether it still answers, what a LIST of a namespace returns,
 * and how a workload object off the watch stream becomes one the status code can read.
 */
export interface WatchConnection {
  abort(): void;
}

/**
 * One watch request, as client-node's Watch makes it: `onEvent` for each event line, then
 * `onDone` once (null when the server ended the stream, else the error). Resolves once the
 * response started (or failed).
 */
export type WatchFn = (
  path: string,
  query: Readonly<Record<string, string | number | boolean>>,
  onEvent: (type: string, object: unknown) => void,
  onDone: (err: unknown) => void,
) => Promise<WatchConnection>;

/**
 * Without a bookmark or an event for this long a watch is taken as dead and resumed. The
 * apiserver sends watchers that allow bookmarks one about every minute (and the Watch's own
 * default of 30 s would cut quiet watches twice a minute).
 */
export const WATCH_IDLE_MS = 90_000;

/** The annotation on the bookmark that ends a watch-list's initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/** client-go's choice: a server-side timeout of 5-10 min, spread so that watches don't all restart at once. */
export function serverTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

export function clientNodeWatch(c: KubeClients): WatchFn {
  // client-node keeps its inactivity timeout (30 s) in a field TypeScript calls private but that
  // is a plain property at run time, set here rather than forking the class.
  const w = new Watch(c.kubeConfig);
  Object.assign(w, { requestTimeoutMs: WATCH_IDLE_MS });
  return (path, query, onEvent, onDone) => w.watch(path, query, (type: string, object: unknown) => onEvent(type, object), onDone);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function asDate(v: unknown): unknown {
  return typeof v === 'string' ? new Date(v) : v;
}

/**
 * A workload object off the watch stream is plain JSON, while the generated clients return
 * condition times as Dates: the one date statusFromWorkload reads (a condition's last update or
 * transition) is converted here. Nothing but the status is kept from these objects.
 */
export function workloadFromWire(kind: WorkloadKind, object: unknown): Workload | undefined {
  if (!isRecord(object) || !isRecord(object['metadata'])) return undefined;
  const status = isRecord(object['status']) ? object['status'] : undefined;
  const conditions = Array.isArray(status?.['conditions'])
    ? (status['conditions'] as unknown[]).map((c) => (isRecord(c) ? { ...c, lastUpdateTime: asDate(c['lastUpdateTime']), lastTransitionTime: asDate(c['lastTransitionTime']) } : c))
    : undefined;
  const revived = status === undefined ? object : { ...object, status: { ...status, ...(conditions === undefined ? {} : { conditions }) } };
  // The shape is the apiserver's own; only the dates differ from what the generated clients return.
  return kind === 'Deployment' ? { kind, object: revived as unknown as V1Deployment } : { kind, object: revived as unknown as V1StatefulSet };
}

export function apiPath(namespace: string, kind: WorkloadKind): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${resourceOf(kind)}`;
}

export async function listWorkloads(c: KubeClients, namespace: string, kind: WorkloadKind): Promise<{ items: Workload[]; resourceVersion: string }> {
  const ctx = { cluster: c.cluster, verb: 'list', resource: resourceOf(kind), namespace };
  if (kind === 'Deployment') {
    const l = await kubeCall(ctx, () => c.apps.listNamespacedDeployment({ namespace }));
    return { items: l.items.map((object) => ({ kind, object })), resourceVersion: l.metadata?.resourceVersion ?? '' };
  }
  const l = await kubeCall(ctx, () => c.apps.listNamespacedStatefulSet({ namespace }));
  return { items: l.items.map((object) => ({ kind, object })), resourceVersion: l.metadata?.resourceVersion ?? '' };
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function httpStatus(e: unknown): number | undefined {
  if (!isRecord(e)) return undefined;
  const s = e['statusCode'] ?? e['code'];
  return typeof s === 'number' ? s : undefined;
}


/**
 * Whether the cluster still answers: GET /version (allowed to every authenticated user),
 * within `timeoutMs`. A watch alone can't tell a quiet namespace from a silent apiserver: one
 * shutting down keeps its open watches open, without a word, until it exits.
 */
export function versionProbe(c: KubeClients, timeoutMs = 2000): () => Promise<boolean> {
  const api = c.kubeConfig.makeApiClient(VersionApi);
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      return await Promise.race([api.getCode().then(() => true), late]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
}
