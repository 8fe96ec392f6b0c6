import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../config/schema.ts';
import { redactUrls, splitUrlCredentials } from '../core/redact.ts';

/**
 * The HTTP probe of an app's health gate: after a batch rolled out, GET the app's URL (a
 * template with {region}, {cluster}, {app}, {env}) and expect the configured status and a body
 * without the configured string (say "ERROR"). A probe passes when one of a few tries passes,
 * so a single blip right after a rollout doesn't pause a whole upgrade.
 */
export type ProbeConfig = NonNullable<AppConfig['probe']>;
/** What one try checks (an alert site probe has these too). */
export type ProbeCheck = Pick<ProbeConfig, 'expectStatus' | 'bodyMustNotContain' | 'timeout'>;

export interface ProbePlace {
  readonly region: string;
  readonly cluster: string;
  readonly app: string;
  readonly env: string;
}

export type ProbeResult = { readonly ok: true; readonly url: string; readonly status: number } | { readonly ok: false; readonly url: string; readonly problem: string };

export interface ProbeOptions {
  readonly fetch: typeof globalThis.fetch;
  readonly signal?: AbortSignal;
  /** Tries before the probe counts as failed; default 3. */
  readonly attempts?: number;
  /** Pause between tries; default 1 s. */
  readonly spacingMs?: number;
}

export function probeUrl(template: string, place: ProbePlace): string {
  return template
    .replaceAll('{region}', encodeURIComponent(place.region))
    .replaceAll('{cluster}', encodeURIComponent(place.cluster))
    .replaceAll('{app}', encodeURIComponent(place.app))
    .replaceAll('{env}', encodeURIComponent(place.env));
}

/**
 * One try; a problem in words, or undefined when healthy. Credentials in the URL go in an
 * Authorization header, and the URL is named in problems without them.
 */
export async function probeOnce(url: string, probe: ProbeCheck, options: ProbeOptions): Promise<{ status?: number; problem?: string }> {
  const timeout = AbortSignal.timeout(probe.timeout.seconds * 1000);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  const target = splitUrlCredentials(url);
  url = redactUrls(url);
  let res: Response;
  try {
    res = await options.fetch(target.url, { method: 'GET', redirect: 'manual', signal, headers: { 'user-agent': 'chatops-health-gate', ...(target.authorization === undefined ? {} : { authorization: target.authorization }) } });
  } catch (e) {
    const why = timeout.aborted ? `no answer within ${probe.timeout.toString()}` : e instanceof Error ? e.message : String(e);
    return { problem: `${url}: ${why}` };
  }
  const body = await res.text().catch(() => '');
  if (res.status !== probe.expectStatus) return { status: res.status, problem: `${url} answered ${res.status}, expected ${probe.expectStatus}` };
  if (probe.bodyMustNotContain !== undefined && body.includes(probe.bodyMustNotContain)) {
    return { status: res.status, problem: `${url} answered with "${probe.bodyMustNotContain}" in the body` };
  }
  return { status: res.status };
}

export async function runProbe(probe: ProbeCheck & Pick<ProbeConfig, 'url'>, place: ProbePlace, options: ProbeOptions): Promise<ProbeResult> {
  const url = probeUrl(probe.url, place);
  const attempts = Math.max(1, options.attempts ?? 3);
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(options.spacingMs ?? 1000, undefined, options.signal === undefined ? {} : { signal: options.signal });
    const r = await probeOnce(url, probe, options);
    if (r.problem === undefined) return { ok: true, url: redactUrls(url), status: r.status ?? 0 };
    last = r.problem;
  }
  return { ok: false, url: redactUrls(url), problem: last };
}

/** A fetch that refuses anything but loopback addresses: for tests, which must not reach out. */
export function loopbackOnly(inner: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host !== 'localhost' && host !== '::1' && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
      return Promise.reject(new Error(`refusing a probe of ${url.host}: only loopback addresses are allowed here`));
    }
    return inner(input, init);
  };
}
