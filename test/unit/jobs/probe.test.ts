import { describe, expect, it } from 'vitest';
import { parseDuration, type Duration } from '../../../src/core/duration.ts';
import { loopbackOnly, probeUrl, runProbe, type ProbeConfig } from '../../../src/jobs/probe.ts';

/** The probe logic against an injected fetch (no network): status, body, tries. */
const probe = (over: Partial<ProbeConfig> = {}): ProbeConfig => ({
  url: 'http://127.0.0.1:9/{region}/{app}',
  expectStatus: 200,
  bodyMustNotContain: 'ERROR',
  timeout: parseDuration('1s') as Duration,
  interval: parseDuration('10s') as Duration,
  successes: 3,
  window: parseDuration('60s') as Duration,
  ...over,
});
const place = { region: 'nj', cluster: 'nj-1', app: 'web', env: 'prod' };

function fakeFetch(answers: { status: number; body: string }[]) {
  const urls: string[] = [];
  const f: typeof globalThis.fetch = (input) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const a = answers[Math.min(urls.length - 1, answers.length - 1)] ?? { status: 500, body: '' };
    return Promise.resolve(new Response(a.body, { status: a.status }));
  };
  return { f, urls };
}

describe('health probe', () => {
  it('fills the URL template', () => {
    expect(probeUrl('https://{app}.{region}.example.com/{env}/healthz?c={cluster}', place)).toBe('https://web.nj.example.com/prod/healthz?c=nj-1');
  });

  it.each<[string, { status: number; body: string }[], boolean, string]>([
    ['healthy', [{ status: 200, body: 'ok' }], true, ''],
    ['wrong status on every try', [{ status: 503, body: 'down' }], false, 'answered 503, expected 200'],
    ['forbidden string in the body', [{ status: 200, body: 'ERROR: db' }], false, 'with "ERROR" in the body'],
    ['a blip, then healthy', [{ status: 502, body: '' }, { status: 200, body: 'ok' }], true, ''],
  ])('%s', async (_name, answers, ok, problem) => {
    const { f, urls } = fakeFetch(answers);
    const r = await runProbe(probe(), place, { fetch: f, spacingMs: 1 });
    expect(r.ok).toBe(ok);
    expect(r.url).toBe('http://127.0.0.1:9/nj/web');
    if (!r.ok) {
      expect(r.problem).toContain(problem);
      expect(urls).toHaveLength(3);
    }
  });

  it('a fetch that throws is a failed probe, not an error', async () => {
    const r = await runProbe(probe(), place, { fetch: () => Promise.reject(new Error('ECONNREFUSED')), attempts: 1 });
    expect(r).toEqual({ ok: false, url: 'http://127.0.0.1:9/nj/web', problem: 'http://127.0.0.1:9/nj/web: ECONNREFUSED' });
  });

  it.each([
    ['http://127.0.0.1:8080/x', true],
    ['http://localhost/x', true],
    ['http://[::1]:80/x', true],
    ['https://web.nj.example.com/healthz', false],
    ['http://10.0.0.1/x', false],
  ])('loopbackOnly: %s allowed: %s', async (url, allowed) => {
    const f = loopbackOnly(() => Promise.resolve(new Response('ok')));
    if (allowed) await expect(f(url)).resolves.toBeInstanceOf(Response);
    else await expect(f(url)).rejects.toThrow('only loopback addresses');
  });
});
