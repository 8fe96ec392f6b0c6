import type { KubeClients } from './clients.ts';
import { statusOf } from './errors.ts';
import { statusFromWorkload, type WorkloadStatus } from './status.ts';
import type { WatchStats, RestartReason } from './watch-stats.ts';
import { apiPath, describeError, httpStatus, INITIAL_EVENTS_END, isRecord, listWorkloads, serverTimeoutSeconds, workloadFromWire, type WatchConnection, type WatchFn } from './watch-wire.ts';
import type { WorkloadKind } from './workload.ts';

/**
 * Shared watches for following rollouts: one watch per (cluster, namespace, kind) in a process,
 * fanned out to every rollout being followed in it, instead of a GET per workload every 300 ms.
 * Like client-go's reflector: it starts with the current state (a watch-list request where the
 * apiserver takes one, else a LIST), resumes from the last resourceVersion it saw after a drop
 * (bookmarks keep that fresh while the namespace is quiet), starts over when the apiserver says
 * that version is gone (410), and backs off while it can't connect; followers poll with GETs
 * only while their watch is down. A watch stops a short while after its last follower leaves.
 * The hub (watch-hub.ts) keeps them, one per namespace and kind, and asks each cluster that has
 * watches open every second whether it still answers (watch-probe.ts).
 */
export type WatchPhase = 'starting' | 'up' | 'down';

export interface WatchView {
  /** starting: the first LIST is under way; up: the cache is current; down: the watch can't connect, poll. */
  readonly phase: WatchPhase;
  /** The workload as the watch last saw it; undefined when it isn't in the cache (absent, or not listed yet). */
  readonly status: WorkloadStatus | undefined;
  /** Why the watch is down, for logs. */
  readonly problem: string | undefined;
}

/** How one watch request ended. */
interface WatchEnd {
  readonly reason: RestartReason;
  readonly problem: string | undefined;
  /** How long it had been connected (0: it never was). */
  readonly connectedMs: number;
  /** The apiserver refused a watch-list request: LIST + WATCH on this cluster from now on. */
  readonly noWatchList?: boolean;
}

/** What every watch of a hub shares. */
export interface HubParts {
  readonly stats: WatchStats;
  /** Clusters whose apiserver takes watch-list requests (until one refuses). */
  readonly watchList: WeakSet<KubeClients>;
  readonly lingerMs: number;
  readonly retry: { readonly first: number; readonly max: number };
  /** Why the cluster counts as not answering now (its probe failed), or undefined. */
  clusterDown(c: KubeClients): string | undefined;
}

class Follower {
  readonly name: string;
  dirty = true;
  wake: (() => void) | undefined;
  constructor(name: string) {
    this.name = name;
  }

  poke(): void {
    this.dirty = true;
    this.wake?.();
  }
}

export class SharedWatch {
  phase: WatchPhase = 'starting';
  problem: string | undefined;
  private statuses = new Map<string, WorkloadStatus>();
  private resourceVersion = '';
  private readonly followers = new Set<Follower>();
  private conn: WatchConnection | undefined;
  private stopped = false;
  private lingering: NodeJS.Timeout | undefined;
  private pause: { timer: NodeJS.Timeout; done: () => void } | undefined;
  private readonly path: string;
  private readonly c: KubeClients;
  private readonly namespace: string;
  private readonly kind: WorkloadKind;
  private readonly watchFn: WatchFn;
  private readonly hub: HubParts;
  private readonly onStop: () => void;

  constructor(c: KubeClients, namespace: string, kind: WorkloadKind, watchFn: WatchFn, hub: HubParts, onStop: () => void) {
    this.c = c;
    this.namespace = namespace;
    this.kind = kind;
    this.watchFn = watchFn;
    this.hub = hub;
    this.onStop = onStop;
    this.path = apiPath(namespace, kind);
    void this.run();
  }

  get idle(): boolean {
    return this.followers.size === 0;
  }

  join(name: string): Follower {
    if (this.lingering !== undefined) clearTimeout(this.lingering);
    this.lingering = undefined;
    const f = new Follower(name);
    this.followers.add(f);
    return f;
  }

  leave(f: Follower): void {
    this.followers.delete(f);
    f.wake?.();
    if (this.followers.size > 0 || this.stopped) return;
    this.lingering = setTimeout(() => this.stop(), this.hub.lingerMs);
    this.lingering.unref();
  }

  view(name: string): WatchView {
    // A cluster that doesn't answer its probe may still hold a silent watch open: don't trust it.
    const down = this.hub.clusterDown(this.c);
    if (down !== undefined) return { phase: 'down', status: undefined, problem: down };
    return { phase: this.phase, status: this.phase === 'up' ? this.statuses.get(name) : undefined, problem: this.problem };
  }

  /**
   * The cluster stopped answering (or answers again): followers look again, and the connection,
   * which may hang on a server going away, is dropped and made afresh from the last version seen.
   */
  clusterChanged(down: boolean): void {
    for (const f of this.followers) f.poke();
    if (down) this.conn?.abort();
  }

  count(counter: 'fallback_polls'): void {
    this.hub.stats.add(counter, this.c.cluster, this.kind);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Anyone still following (the hub stopped under them) polls from now on.
    this.phase = 'down';
    this.problem = 'the watch was stopped';
    if (this.lingering !== undefined) clearTimeout(this.lingering);
    this.conn?.abort();
    this.conn = undefined;
    if (this.pause !== undefined) {
      clearTimeout(this.pause.timer);
      this.pause.done();
    }
    for (const f of this.followers) f.poke();
    this.onStop();
  }

  private setPhase(phase: WatchPhase, problem?: string): void {
    this.problem = problem;
    if (this.phase === phase) return;
    this.phase = phase;
    for (const f of this.followers) f.poke();
  }

  private store(object: unknown): string | undefined {
    const w = workloadFromWire(this.kind, object);
    const name = w?.object.metadata?.name;
    if (w === undefined || name === undefined) return undefined;
    this.statuses.set(name, statusFromWorkload(this.c.cluster, w));
    return name;
  }

  private pokeName(name: string | undefined): void {
    for (const f of this.followers) if (f.name === name) f.poke();
  }

  private replaceAll(statuses: Map<string, WorkloadStatus>, resourceVersion: string): void {
    this.statuses = statuses;
    this.resourceVersion = resourceVersion;
    for (const f of this.followers) f.poke();
  }

  private async relist(): Promise<void> {
    this.hub.stats.add('lists', this.c.cluster, this.kind, 'list');
    const l = await listWorkloads(this.c, this.namespace, this.kind);
    this.replaceAll(new Map(l.items.map((w) => [w.object.metadata?.name ?? '', statusFromWorkload(this.c.cluster, w)])), l.resourceVersion);
  }

  /**
   * One watch request until it ends: from the current resourceVersion, or, with none (the
   * start, or after a 410), from scratch with the current state sent first as ADDED events and
   * closed by a bookmark marked initial-events-end (the apiserver's watch-list, what client-go's
   * reflectors use now): the LIST and the WATCH in one request.
   */
  private watchOnce(initial: boolean): Promise<WatchEnd> {
    return new Promise((resolve) => {
      let connectedAt = 0;
      let ended = false;
      let streamError: { code: number | undefined; message: string } | undefined;
      // The state being sent, until the bookmark that ends it; then it replaces the cache.
      let incoming: Map<string, WorkloadStatus> | undefined = initial ? new Map() : undefined;
      const finish = (reason: RestartReason, problem: string | undefined, extra: Partial<WatchEnd> = {}) => {
        if (ended) return;
        ended = true;
        resolve({ reason, problem, connectedMs: connectedAt === 0 ? 0 : Date.now() - connectedAt, ...extra });
      };
      const onEvent = (type: string, object: unknown) => {
        if (ended || this.stopped) return;
        this.hub.stats.add('events', this.c.cluster, this.kind, type);
        if (type === 'ERROR') {
          // A Status object; the server ends the stream after it.
          const st = statusOf(object);
          streamError = { code: isRecord(object) && typeof object['code'] === 'number' ? object['code'] : undefined, message: st.message ?? st.reason ?? 'watch error' };
          return;
        }
        const meta = isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : undefined;
        const rv = typeof meta?.['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
        if (incoming !== undefined) {
          if (type === 'ADDED') {
            const w = workloadFromWire(this.kind, object);
            const name = w?.object.metadata?.name;
            if (w !== undefined && name !== undefined) incoming.set(name, statusFromWorkload(this.c.cluster, w));
          } else if (type === 'BOOKMARK' && isRecord(meta?.['annotations']) && meta['annotations'][INITIAL_EVENTS_END] === 'true') {
            this.replaceAll(incoming, rv);
            incoming = undefined;
            this.setPhase('up');
          }
          return;
        }
        if (rv !== '') this.resourceVersion = rv;
        if (type === 'ADDED' || type === 'MODIFIED') this.pokeName(this.store(object));
        else if (type === 'DELETED' && typeof meta?.['name'] === 'string') {
          this.statuses.delete(meta['name']);
          this.pokeName(meta['name']);
        }
      };
      const onDone = (err: unknown) => {
        const status = httpStatus(err);
        if (streamError !== undefined) finish(streamError.code === 410 ? 'expired' : 'error', streamError.message);
        else if (err === null || err === undefined) finish(incoming === undefined ? 'closed' : 'error', incoming === undefined ? undefined : 'the stream ended before the initial state was sent');
        else if (status === 410) finish('expired', describeError(err));
        // An apiserver without watch-list refuses the request as invalid: list instead from now on.
        else if (initial && (status === 400 || status === 422)) finish('error', describeError(err), { noWatchList: true });
        else if (isRecord(err) && err['name'] === 'TimeoutError' && connectedAt !== 0) finish('idle', undefined);
        else finish('error', describeError(err));
      };
      const timeoutSeconds = serverTimeoutSeconds();
      const query = initial
        ? { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', timeoutSeconds }
        : { allowWatchBookmarks: true, resourceVersion: this.resourceVersion, timeoutSeconds };
      if (initial) this.hub.stats.add('lists', this.c.cluster, this.kind, 'watch-list');
      this.watchFn(this.path, query, onEvent, onDone).then(
        (conn) => {
          if (ended || this.stopped) {
            conn.abort();
            return;
          }
          this.conn = conn;
          connectedAt = Date.now();
          if (!initial) this.setPhase('up');
        },
        (e: unknown) => finish('error', describeError(e)),
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.pause = undefined;
        done();
      }, ms);
      timer.unref();
      this.pause = { timer, done };
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let end: WatchEnd;
      try {
        const fresh = this.resourceVersion === '';
        if (fresh && !this.hub.watchList.has(this.c)) await this.relist();
        if (this.stopped) break;
        end = await this.watchOnce(fresh && this.hub.watchList.has(this.c));
        if (end.noWatchList === true) this.hub.watchList.delete(this.c);
      } catch (e) {
        end = { reason: 'error', problem: describeError(e), connectedMs: 0 };
      }
      this.conn = undefined;
      if (this.stopped) break;
      this.hub.stats.add('restarts', this.c.cluster, this.kind, end.reason);
      if (end.reason === 'expired') this.resourceVersion = ''; // list again: that version is gone
      if (end.reason === 'error') {
        failures++;
        this.setPhase('down', end.problem);
      } else {
        failures = end.connectedMs >= 1000 ? 0 : failures + 1;
      }
      // At once after a normal end; backing off after failures, or a stream that ends as soon as it starts.
      if (failures > 0) await this.sleep(Math.min(this.hub.retry.max, this.hub.retry.first * 2 ** (failures - 1)));
    }
  }
}

