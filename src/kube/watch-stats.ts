/**
 * What the shared rollout watches did, counted per cluster and kind: events received (by type),
 * restarts (by reason), full state reads (LIST or watch-list), and the GETs followers made while
 * their watch was down. The
 * counts are cumulative until drained; a worker drains them every few seconds into Redis, where
 * the API role's /metrics reads them (workers serve no HTTP).
 */
export type WatchCounter = 'events' | 'restarts' | 'lists' | 'fallback_polls';

/** Why a watch was started again: the server ended it, it was silent too long, its resourceVersion expired (410), or it failed. */
export type RestartReason = 'closed' | 'idle' | 'expired' | 'error';

export interface WatchCount {
  readonly counter: WatchCounter;
  readonly cluster: string;
  readonly kind: string;
  /** The event type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), the restart reason, how the state was read (list, watch-list); '' otherwise. */
  readonly detail: string;
  readonly value: number;
}

export class WatchStats {
  private counts = new Map<string, WatchCount>();

  add(counter: WatchCounter, cluster: string, kind: string, detail = '', by = 1): void {
    const key = statKey({ counter, cluster, kind, detail });
    const had = this.counts.get(key);
    this.counts.set(key, { counter, cluster, kind, detail, value: (had?.value ?? 0) + by });
  }

  /** The counts so far, without resetting them. */
  peek(): WatchCount[] {
    return [...this.counts.values()];
  }

  /** The counts since the last drain; each is handed out once however many workers drain. */
  drain(): WatchCount[] {
    const out = [...this.counts.values()];
    this.counts = new Map();
    return out;
  }
}

/** "events|gz|Deployment|MODIFIED": a count's identity, also its field name in Redis. Pure. */
export function statKey(c: Pick<WatchCount, 'counter' | 'cluster' | 'kind' | 'detail'>): string {
  return [c.counter, c.cluster, c.kind, c.detail].join('|');
}

/** The inverse of statKey; undefined for a field that isn't one. Pure. */
export function parseStatKey(key: string): Pick<WatchCount, 'counter' | 'cluster' | 'kind' | 'detail'> | undefined {
  const parts = key.split('|');
  if (parts.length !== 4) return undefined;
  const [counter, cluster, kind, detail] = parts as [string, string, string, string];
  if (counter !== 'events' && counter !== 'restarts' && counter !== 'lists' && counter !== 'fallback_polls') return undefined;
  return { counter, cluster, kind, detail };
}
