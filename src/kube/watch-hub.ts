import type { KubeClients } from './clients.ts';
import { WatchStats } from './watch-stats.ts';
import { ClusterProbe } from './watch-probe.ts';
import { clientNodeWatch, versionProbe, type WatchFn } from './watch-wire.ts';
import { SharedWatch, type HubParts, type WatchView } from './watch.ts';
import type { WorkloadRef } from './workload.ts';

/**
 * The process's shared rollout watches (watch.ts), one per cluster, namespace and kind, handed
 * to followers as subscriptions. While a cluster has watches open it is asked every second
 * whether it still answers; while it doesn't, its watches count as down (followers poll, and
 * say so in chat when their reads fail too) and are started again.
 */
export interface WatchSubscription {
  view(): WatchView;
  /**
   * Resolves at the next change that concerns this follower (its workload changed, the watch
   * went up or down), after `ms` at most, or when `signal` aborts. A change since the last call
   * resolves it at once.
   */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  /** A GET made in the watch's place, counted for /metrics. */
  polled(): void;
  close(): void;
}

export interface WatchHubOptions {
  /** How watch requests are made on a cluster; default client-node's Watch (tests wrap it to inject drops). */
  readonly transport?: (c: KubeClients) => WatchFn;
  /** Start watches with the apiserver's watch-list (one request) rather than a LIST and a WATCH; default true. */
  readonly watchList?: boolean;
  /** How long a watch stays open after its last follower left, for the next one; default 5 s. */
  readonly lingerMs?: number;
  /** First and largest wait between attempts while a watch can't connect. */
  readonly retryMs?: { readonly first: number; readonly max: number };
  /** How a cluster is asked whether it still answers; default GET /version. */
  readonly probe?: (c: KubeClients) => () => Promise<boolean>;
  /** How often, while it has watches open; default every second. */
  readonly probeEveryMs?: number;
}

export interface WatchHub {
  subscribe(c: KubeClients, ref: WorkloadRef): WatchSubscription;
  /** Stops watches that no follower uses any more (lingering ones); used ones are left alone. */
  stopIdle(): void;
  stopAll(): void;
  /** Watches open now. */
  open(): number;
  readonly stats: WatchStats;
}

export function createWatchHub(options: WatchHubOptions = {}): WatchHub {
  const transport = options.transport ?? clientNodeWatch;
  const probeOf = options.probe ?? ((c: KubeClients) => versionProbe(c));
  // Per clients object (one per cluster and identity): its watch function, its probe, and its watches by namespace and kind.
  const clusters = new WeakMap<KubeClients, { fn: WatchFn; probe: ClusterProbe; watches: Map<string, SharedWatch> }>();
  const parts: HubParts = {
    stats: new WatchStats(),
    watchList: new WeakSet(),
    lingerMs: options.lingerMs ?? 5000,
    retry: options.retryMs ?? { first: 250, max: 5000 },
    clusterDown: (c) => clusters.get(c)?.probe.problem,
  };
  const live = new Set<SharedWatch>();
  return {
    stats: parts.stats,
    subscribe(c, ref) {
      let cl = clusters.get(c);
      if (cl === undefined) {
        const watchesOfC = new Map<string, SharedWatch>();
        const probe = new ClusterProbe(probeOf(c), options.probeEveryMs ?? 1000, (down) => {
          for (const w of watchesOfC.values()) w.clusterChanged(down);
        });
        clusters.set(c, (cl = { fn: transport(c), probe, watches: watchesOfC }));
        if (options.watchList !== false) parts.watchList.add(c);
      }
      const { watches, probe } = cl;
      const key = `${ref.namespace}/${ref.kind}`;
      let w = watches.get(key);
      if (w === undefined) {
        const made: SharedWatch = new SharedWatch(c, ref.namespace, ref.kind, cl.fn, parts, () => {
          live.delete(made);
          if (watches.get(key) === made) watches.delete(key);
          if (watches.size === 0) probe.stop();
        });
        watches.set(key, made);
        live.add(made);
        probe.start();
        w = made;
      }
      const watch = w;
      const f = watch.join(ref.name);
      let closed = false;
      return {
        view: () => watch.view(ref.name),
        polled: () => watch.count('fallback_polls'),
        next(ms, signal) {
          if (f.dirty || closed || signal?.aborted === true) {
            f.dirty = false;
            return Promise.resolve();
          }
          return new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', done);
              f.wake = undefined;
              f.dirty = false;
              resolve();
            };
            const timer = setTimeout(done, Math.max(0, ms));
            signal?.addEventListener('abort', done, { once: true });
            f.wake = done;
          });
        },
        close() {
          if (closed) return;
          closed = true;
          watch.leave(f);
        },
      };
    },
    stopIdle() {
      for (const w of [...live]) if (w.idle) w.stop();
    },
    stopAll() {
      for (const w of [...live]) w.stop();
    },
    open: () => live.size,
  };
}

let processHub: WatchHub | undefined;

/** The process's hub: every rollout followed in this process shares its watches. */
export function processWatches(): WatchHub {
  processHub ??= createWatchHub();
  return processHub;
}
