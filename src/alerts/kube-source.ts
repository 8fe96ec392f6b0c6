import type { AlertsConfig, Config } from '../config/schema.ts';
import { targetsFor } from '../core/targets.ts';
import { clientsForConfig } from '../kube/clients.ts';
import { watchWarningEvents, type WarningEventInfo } from '../kube/events.ts';
import { partsFingerprint } from './fingerprint.ts';
import type { Alert } from './model.ts';

/**
 * Kubernetes Warning events as alerts. One alert per (cluster, namespace, owning workload,
 * reason): the pods of a crash-looping Deployment, however often they restart or are
 * replaced, are one alert whose count goes up (the message is edited, nobody is pinged
 * again). An alert resolves when its events stay quiet for `resolveAfter`.
 */
export type KubeSourceConfig = AlertsConfig['kubernetes'][number];

/** Event reasons and what they are called when the message says more than the reason. */
export function reasonOf(e: Pick<WarningEventInfo, 'reason' | 'message'>, wanted: readonly string[]): string | undefined {
  if (wanted.includes(e.reason)) return e.reason;
  if (wanted.includes('OOMKilled') && /OOMKill/i.test(`${e.reason} ${e.message}`)) return 'OOMKilled';
  if (wanted.includes('CrashLoopBackOff') && /CrashLoopBackOff/.test(e.message)) return 'CrashLoopBackOff';
  return undefined;
}

/** Which app and environment a workload in a namespace of a cluster is, by the config. */
export function placeIndex(config: Config, cluster: string): Map<string, { app: string; env: string }> {
  const out = new Map<string, { app: string; env: string }>();
  for (const env of Object.keys(config.environments)) {
    for (const app of Object.keys(config.apps)) {
      for (const t of targetsFor(config, app, env, cluster)) out.set(`${t.namespace}/${t.workload}`, { app, env });
    }
  }
  return out;
}

/** The namespaces a source watches: its own list, else where the config's apps run on that cluster. */
export function namespacesOf(config: Config, src: KubeSourceConfig): string[] {
  if (src.namespaces !== undefined) return [...new Set(src.namespaces)];
  return [...new Set([...placeIndex(config, src.cluster).keys()].map((k) => k.split('/')[0] ?? ''))].filter((n) => n !== '').sort();
}

export function eventFingerprint(e: Pick<WarningEventInfo, 'cluster' | 'namespace' | 'owner'>, reason: string): string {
  return partsFingerprint('k8s', [e.cluster, e.namespace, e.owner.kind, e.owner.name, reason]);
}

/** The alert an event stands for (pure); `count` is the owner's total so far. */
export function eventAlert(e: WarningEventInfo, reason: string, src: KubeSourceConfig, place: { app: string; env: string } | undefined, count: number, startsAt: string): Alert {
  return {
    fingerprint: eventFingerprint(e, reason),
    source: 'kubernetes',
    status: 'firing',
    labels: {
      alertname: reason,
      severity: src.severity,
      cluster: e.cluster,
      namespace: e.namespace,
      kind: e.owner.kind,
      workload: e.owner.name,
      ...(place === undefined ? {} : { app: place.app, env: place.env }),
    },
    annotations: { summary: `${e.owner.kind} ${e.owner.name}: ${e.message}`, object: `${e.involved.kind}/${e.involved.name}` },
    startsAt,
    count,
  };
}

interface Tracked {
  alert: Alert;
  /** Count per event object (each pod has its own event): the alert shows their sum. */
  counts: Map<string, number>;
  lastSeen: number;
}

export interface KubeWatcherOptions {
  readonly config: Config;
  readonly ingest: (alerts: readonly Alert[]) => Promise<unknown>;
  readonly onError: (e: unknown) => void;
  readonly now?: () => number;
  /** How often quiet alerts are checked for resolution. */
  readonly sweepMs?: number;
}

/** Watches every configured source; returns a stop function. */
export function startKubeWatchers(o: KubeWatcherOptions): { stop(): Promise<void> } {
  const now = o.now ?? Date.now;
  const tracked = new Map<string, Tracked>();
  const stops: { stop(): Promise<void> }[] = [];
  for (const src of o.config.alerts.kubernetes) {
    const places = placeIndex(o.config, src.cluster);
    const c = clientsForConfig(o.config, src.cluster);
    const w = watchWarningEvents(c, namespacesOf(o.config, src), {
      onError: o.onError,
      onEvent: async (e) => {
        const reason = reasonOf(e, src.reasons);
        if (reason === undefined) return;
        const last = Date.parse(e.lastSeen);
        // Old events (listed again after a restart) that are past resolving say nothing new.
        if (now() - last > src.resolveAfter.seconds * 1000) return;
        const fp = eventFingerprint(e, reason);
        const t = tracked.get(fp);
        const prev = t?.counts.get(e.uid);
        if (t !== undefined && prev === e.count && t.lastSeen >= last) return;
        const counts = t?.counts ?? new Map<string, number>();
        counts.set(e.uid, e.count);
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        const place = places.get(`${e.namespace}/${e.owner.name}`);
        const startsAt = t?.alert.startsAt ?? new Date(Math.min(Date.parse(e.firstSeen), now())).toISOString();
        const alert = eventAlert(e, reason, src, place, total, startsAt);
        tracked.set(fp, { alert, counts, lastSeen: Math.max(last, t?.lastSeen ?? 0) });
        await o.ingest([alert]);
      },
    });
    stops.push(w);
  }
  const sweep = setInterval(() => {
    const t = now();
    for (const src of o.config.alerts.kubernetes) {
      for (const [fp, tr] of tracked) {
        if (tr.alert.labels['cluster'] !== src.cluster) continue;
        if (t - tr.lastSeen < src.resolveAfter.seconds * 1000) continue;
        tracked.delete(fp);
        o.ingest([{ ...tr.alert, status: 'resolved', endsAt: new Date(t).toISOString() }]).catch(o.onError);
      }
    }
  }, o.sweepMs ?? 15_000);
  return {
    async stop() {
      clearInterval(sweep);
      await Promise.all(stops.map((s) => s.stop()));
    },
  };
}
