import { Watch, type CoreV1Event, type V1OwnerReference } from '@kubernetes/client-node';
import type { KubeClients } from './clients.ts';

/**
 * Warning events of some namespaces of one cluster, as they happen: a list (to start from the
 * present, and to pick up what happened while nobody watched), then a watch from its
 * resourceVersion, listed again whenever the watch ends (timeouts, 410 Gone, a restarted
 * apiserver). Each event comes with the workload that owns its object (Pod → ReplicaSet →
 * Deployment; Pod → StatefulSet), so that the pods of one crash-looping Deployment, however
 * often they restart or are replaced, are one thing.
 */
export interface WarningEventInfo {
  readonly cluster: string;
  readonly namespace: string;
  readonly uid: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly involved: { readonly kind: string; readonly name: string };
  /** The top owner: Deployment/StatefulSet/DaemonSet/Job/CronJob, else the object itself. */
  readonly owner: { readonly kind: string; readonly name: string };
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface WatchEventsOptions {
  readonly onEvent: (e: WarningEventInfo) => void | Promise<void>;
  readonly onError?: (e: unknown) => void;
  /** Pause before listing again after a watch ended with an error. */
  readonly retryMs?: number;
}

const controller = (refs: readonly V1OwnerReference[] | undefined): V1OwnerReference | undefined => (refs ?? []).find((r) => r.controller === true) ?? refs?.[0];

function timeOf(e: CoreV1Event, which: 'first' | 'last'): string {
  const t = which === 'first' ? (e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) : (e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.metadata.creationTimestamp);
  return (t === undefined ? new Date() : new Date(t)).toISOString();
}

/** Names as controllers make them, for objects already gone: "web-7d9c8b6f4-x2x9k" → ReplicaSet "web-7d9c8b6f4" → Deployment "web". Pure. */
export function ownerByName(kind: string, name: string): { kind: string; name: string } {
  if (kind === 'Pod') {
    const rs = /^(.+)-[a-z0-9]{5}$/.exec(name);
    if (rs?.[1] !== undefined) {
      const d = /^(.+)-[a-f0-9]{6,10}$/.exec(rs[1]) ?? /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/.exec(rs[1]);
      if (d?.[1] !== undefined) return { kind: 'Deployment', name: d[1] };
    }
    const ordinal = /^(.+)-\d+$/.exec(name);
    if (ordinal?.[1] !== undefined) return { kind: 'StatefulSet', name: ordinal[1] };
  }
  if (kind === 'ReplicaSet') {
    const d = /^(.+)-[a-z0-9]{6,10}$/.exec(name);
    if (d?.[1] !== undefined) return { kind: 'Deployment', name: d[1] };
  }
  return { kind, name };
}

/** Resolves owners with the API (cached per ReplicaSet / Pod), falling back to names. */
export function ownerResolver(c: KubeClients): (namespace: string, kind: string, name: string) => Promise<{ kind: string; name: string }> {
  const cache = new Map<string, { kind: string; name: string }>();
  const remember = (k: string, v: { kind: string; name: string }) => {
    if (cache.size > 5000) cache.clear();
    cache.set(k, v);
    return v;
  };
  const ofReplicaSet = async (namespace: string, name: string): Promise<{ kind: string; name: string }> => {
    const k = `${namespace}/ReplicaSet/${name}`;
    const hit = cache.get(k);
    if (hit !== undefined) return hit;
    try {
      const rs = await c.apps.readNamespacedReplicaSet({ namespace, name });
      const o = controller(rs.metadata?.ownerReferences);
      return remember(k, o === undefined ? { kind: 'ReplicaSet', name } : { kind: o.kind, name: o.name });
    } catch {
      return ownerByName('ReplicaSet', name);
    }
  };
  return async (namespace, kind, name) => {
    if (kind === 'ReplicaSet') return ofReplicaSet(namespace, name);
    if (kind !== 'Pod') return { kind, name };
    const k = `${namespace}/Pod/${name}`;
    const hit = cache.get(k);
    if (hit !== undefined) return hit;
    try {
      const pod = await c.core.readNamespacedPod({ namespace, name });
      const o = controller(pod.metadata?.ownerReferences);
      if (o === undefined) return remember(k, { kind: 'Pod', name });
      if (o.kind === 'ReplicaSet') return remember(k, await ofReplicaSet(namespace, o.name));
      return remember(k, { kind: o.kind, name: o.name });
    } catch {
      return ownerByName('Pod', name);
    }
  };
}

export async function describeEvent(c: KubeClients, e: CoreV1Event, owners: ReturnType<typeof ownerResolver>): Promise<WarningEventInfo> {
  const namespace = e.involvedObject.namespace ?? e.metadata.namespace ?? '';
  const kind = e.involvedObject.kind ?? 'Unknown';
  const name = e.involvedObject.name ?? '';
  return {
    cluster: c.cluster,
    namespace,
    uid: e.metadata.uid ?? `${namespace}/${e.metadata.name ?? ''}`,
    reason: e.reason ?? 'Unknown',
    message: e.message ?? '',
    count: e.count ?? e.series?.count ?? 1,
    involved: { kind, name },
    owner: await owners(namespace, kind, name),
    firstSeen: timeOf(e, 'first'),
    lastSeen: timeOf(e, 'last'),
  };
}

/** Watches until stopped; errors are reported and the watch starts again. */
export function watchWarningEvents(c: KubeClients, namespaces: readonly string[], o: WatchEventsOptions): { stop(): Promise<void> } {
  const owners = ownerResolver(c);
  const watch = new Watch(c.kubeConfig);
  const stopped = new AbortController();
  const handle = async (e: CoreV1Event): Promise<void> => {
    if (e.type !== 'Warning') return;
    try {
      await o.onEvent(await describeEvent(c, e, owners));
    } catch (err) {
      o.onError?.(err);
    }
  };

  const follow = async (namespace: string): Promise<void> => {
    while (!stopped.signal.aborted) {
      try {
        const list = await c.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' });
        for (const e of list.items) await handle(e);
        const rv = list.metadata?.resourceVersion;
        await new Promise<void>((resolve) => {
          let ctl: AbortController | undefined;
          const onStop = () => {
            ctl?.abort();
            resolve();
          };
          stopped.signal.addEventListener('abort', onStop, { once: true });
          // Events of one watch are handled in order.
          let chain = Promise.resolve();
          watch
            .watch(
              `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
              { fieldSelector: 'type=Warning', allowWatchBookmarks: true, ...(rv === undefined ? {} : { resourceVersion: rv }) },
              (phase: string, obj: CoreV1Event) => {
                if (phase === 'ADDED' || phase === 'MODIFIED') chain = chain.then(() => handle(obj));
              },
              (err: unknown) => {
                stopped.signal.removeEventListener('abort', onStop);
                if (err !== null && err !== undefined && !stopped.signal.aborted) o.onError?.(err);
                void chain.then(() => resolve());
              },
            )
            .then((c2) => {
              ctl = c2;
              if (stopped.signal.aborted) c2.abort();
            })
            .catch((err: unknown) => {
              stopped.signal.removeEventListener('abort', onStop);
              if (!stopped.signal.aborted) o.onError?.(err);
              resolve();
            });
        });
      } catch (err) {
        if (!stopped.signal.aborted) o.onError?.(err);
      }
      if (stopped.signal.aborted) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.retryMs ?? 1000);
        stopped.signal.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        }, { once: true });
      });
    }
  };

  const loops = namespaces.map((ns) => follow(ns));
  return {
    async stop() {
      stopped.abort();
      await Promise.all(loops);
    },
  };
}
