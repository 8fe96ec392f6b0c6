import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../log.ts';
import type { PartFactory } from '../server/part.ts';
import type { Services } from '../service/services.ts';
import { AlertEngine, newOwner } from './engine.ts';
import { AlertFlusher } from './flusher.ts';
import { ALERT_SOURCES, unauthenticated } from '../config/references.ts';
import type { Route } from '../server/http.ts';
import { webhookRoute } from './http.ts';
import type { Alert } from './model.ts';
import { startProbes } from './probes.ts';
import { parseAlertmanager, parseGeneric } from './sources.ts';

/**
 * Alerts in the API role: the webhooks (each served only when `alerts.sources` lists it), the
 * flusher that turns due alert groups into chat messages (every replica runs one), and the
 * sources that poll or watch (Kubernetes Warning events, site probes), run by one replica at a
 * time: whoever holds the `alerts-sources` lease, renewed every third of its TTL and taken
 * over by another replica when it lapses.
 */
export const SOURCES_LEASE = 'alerts-sources';

function knob<T>(knobs: Readonly<Record<string, unknown>>, name: string, check: (v: unknown) => v is T): T | undefined {
  const v = knobs[name];
  return check(v) ? v : undefined;
}
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isFetch = (v: unknown): v is typeof fetch => typeof v === 'function';

/** Runs `start` while this process holds the lease; stops it when the lease is lost. */
export function underLease(s: Services, key: string, ttlMs: number, log: Log, start: () => { stop(): Promise<void> } | Promise<{ stop(): Promise<void> }>): { stop(): Promise<void> } {
  const owner = newOwner();
  const stopper = new AbortController();
  let running: { stop(): Promise<void> } | undefined;
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      try {
        const got = await s.leases.acquire(key, owner, ttlMs);
        if (got.acquired && running === undefined) {
          log.info({ lease: key }, 'alert sources started here');
          running = await start();
        } else if (!got.acquired && running !== undefined) {
          log.warn({ lease: key, holder: got.holder }, 'alert sources lease lost; stopping them here');
          await running.stop();
          running = undefined;
        }
      } catch (e) {
        log.error({ err: e }, 'alert sources lease');
      }
      try {
        await sleep(Math.max(50, Math.floor(ttlMs / 3)), undefined, { signal: stopper.signal });
      } catch {
        break;
      }
    }
  })();
  return {
    async stop() {
      stopper.abort();
      await loop;
      await running?.stop();
      await s.leases.release(key, owner).catch(() => false);
    },
  };
}

export const alertsPart: PartFactory = (ctx) => {
  const { config, s, outbox, knobs } = ctx;
  const log = ctx.log.child({ part: 'alerts' });
  const editDelayMs = knob(knobs, 'alertsEditDelayMs', isNumber);
  const pollMs = knob(knobs, 'alertsPollMs', isNumber);
  const engine = new AlertEngine({ s, metrics: ctx.metrics, ...(editDelayMs === undefined ? {} : { editDelayMs }) });
  const flushing = new AlertFlusher({ s, outbox, log, metrics: ctx.metrics, ...(pollMs === undefined ? {} : { pollMs }) });
  const ingest = (alerts: readonly Alert[]) => engine.ingest(alerts);
  const routes: Record<string, Route> = {};
  const am = config.alerts.sources.alertmanager;
  if (am !== undefined) routes['POST /alerts/alertmanager'] = webhookRoute({ name: 'alertmanager', auth: am, parse: parseAlertmanager, ingest, log });
  const wh = config.alerts.sources.webhook;
  if (wh !== undefined) routes['POST /alerts/webhook'] = webhookRoute({ name: 'webhook', auth: wh, parse: (b) => parseGeneric(b, s.clock()), ingest, log });
  for (const name of ALERT_SOURCES) {
    // The config check refuses this in production mode unless the config says allowUnauthenticated.
    if (unauthenticated(config.alerts.sources[name])) log.warn({ source: name, mode: config.mode }, `POST /alerts/${name} takes alerts from anyone: it has no credentials`);
  }

  const watched = config.alerts.kubernetes.length > 0 || config.alerts.probes.length > 0;
  const probeFetch = knob(knobs, 'alertsProbeFetch', isFetch);
  const sweepMs = knob(knobs, 'alertsSweepMs', isNumber);
  const leaseMs = knob(knobs, 'alertsLeaseTtlMs', isNumber) ?? 15_000;
  let flusher: { stop(): Promise<void> } | undefined;
  let sources: { stop(): Promise<void> } | undefined;
  const onError = (e: unknown) => log.error({ err: e }, 'alert source');

  return {
    name: 'alerts',
    routes,
    start() {
      flusher = flushing.run();
      if (watched) {
        sources = underLease(s, SOURCES_LEASE, leaseMs, log, async () => {
          // The Kubernetes client is loaded only where events are watched (it costs ~70 MB).
          const kube = config.alerts.kubernetes.length > 0 ? (await import('./kube-source.ts')).startKubeWatchers({ config, ingest, onError, ...(sweepMs === undefined ? {} : { sweepMs }) }) : undefined;
          const probes = config.alerts.probes.length > 0 ? startProbes({ config, ingest, onError, ...(probeFetch === undefined ? {} : { fetch: probeFetch }) }) : undefined;
          return {
            async stop() {
              await Promise.all([kube?.stop(), probes?.stop()]);
            },
          };
        });
      }
      return Promise.resolve();
    },
    async stop() {
      await sources?.stop();
      await flusher?.stop();
    },
  };
};
