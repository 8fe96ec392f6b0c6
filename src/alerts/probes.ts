import type { AlertProbeConfig, Config } from '../config/schema.ts';
import { redactUrls } from '../core/redact.ts';
import { probeOnce } from '../jobs/probe.ts';
import { partsFingerprint } from './fingerprint.ts';
import type { Alert } from './model.ts';

/**
 * HTTP site probes from `alerts.probes`: each URL is fetched on its interval by the replica
 * holding the alert-sources lease; an unexpected status, a timeout or a body containing the
 * configured string (say "ERROR") `failuresBeforeAlert` times in a row fires an alert; the
 * first healthy answer resolves it. Probes reach only the hosts the config names (redirects
 * are not followed, so an answer can't send a probe anywhere else).
 *
 * Why a timer under a lease rather than a BullMQ job scheduler: the queue's workers are the
 * ones with write access to the clusters and are sized for rollouts; a probe every 30 s would
 * share their concurrency and their lock settings for no gain. The probe's state (failures in
 * a row) is small and rebuilt after a failover, and the alert it feeds is deduplicated in
 * Redis, so a second probe run after a takeover changes nothing.
 */
export function probeFingerprint(name: string): string {
  return partsFingerprint('probe', [name]);
}

export function probeAlert(p: AlertProbeConfig, status: 'firing' | 'resolved', problem: string, startsAt: string, failures: number): Alert {
  return {
    fingerprint: probeFingerprint(p.name),
    source: 'probe',
    status,
    labels: { alertname: 'SiteProbeFailed', probe: p.name, severity: 'critical', ...p.labels },
    annotations: { summary: problem, url: redactUrls(p.url) },
    startsAt,
    count: failures,
  };
}

/** A fetch that reaches only the hosts of the configured probe URLs. */
export function configuredHostsOnly(probes: readonly AlertProbeConfig[], inner: typeof fetch): typeof fetch {
  const allowed = new Set(probes.map((p) => new URL(p.url).host));
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (!allowed.has(url.host)) return Promise.reject(new Error(`refusing a probe of ${url.host}: not a host the config names`));
    return inner(input, { ...init, redirect: 'manual' });
  };
}

export interface ProbeRunnerOptions {
  readonly config: Config;
  readonly ingest: (alerts: readonly Alert[]) => Promise<unknown>;
  readonly onError: (e: unknown) => void;
  /** The fetch to use (tests wrap it with loopbackOnly); the configured-hosts check is added on top. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export function startProbes(o: ProbeRunnerOptions): { stop(): Promise<void> } {
  const probes = o.config.alerts.probes;
  const fetchImpl = configuredHostsOnly(probes, o.fetch ?? fetch);
  const now = o.now ?? Date.now;
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();

  for (const p of probes) {
    let failures = 0;
    let since: string | undefined;
    let busy = false;
    const check = async (): Promise<void> => {
      if (busy || abort.signal.aborted) return;
      busy = true;
      try {
        const r = await probeOnce(p.url, p, { fetch: fetchImpl, signal: abort.signal });
        if (abort.signal.aborted) return;
        if (r.problem === undefined) {
          failures = 0;
          since = undefined;
          await o.ingest([probeAlert(p, 'resolved', `${redactUrls(p.url)} is healthy again`, new Date(now()).toISOString(), 0)]);
        } else {
          failures++;
          since ??= new Date(now()).toISOString();
          if (failures >= p.failuresBeforeAlert) await o.ingest([probeAlert(p, 'firing', r.problem, since, failures)]);
        }
      } catch (e) {
        o.onError(e);
      } finally {
        busy = false;
      }
    };
    const tick = () => {
      const run = check();
      running.add(run);
      void run.finally(() => running.delete(run));
    };
    tick();
    timers.push(setInterval(tick, p.interval.seconds * 1000));
  }
  return {
    async stop() {
      abort.abort();
      for (const t of timers) clearInterval(t);
      await Promise.all([...running]);
    },
  };
}
