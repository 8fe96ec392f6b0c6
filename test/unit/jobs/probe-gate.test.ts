import { describe, expect, it } from 'vitest';
import { parseDuration, type Duration } from '../../../src/core/duration.ts';
import { gateState, runProbeGate, type GateSettings, type ProbeSample } from '../../../src/jobs/probe-gate.ts';
import type { ProbeConfig } from '../../../src/jobs/probe.ts';

/** The probe gate after a deploy: passes in a row, the window, every result reported. */
const d = (s: string) => parseDuration(s) as Duration;
const DEFAULTS: GateSettings = { interval: d('10s'), successes: 3, window: d('60s') };

function samples(pattern: string): ProbeSample[] {
  return [...pattern].map((c, i) => ({ n: i + 1, at: new Date(i * 10_000), ok: c === '+', status: c === '+' ? 200 : 500, problem: c === '+' ? undefined : 'answered 500' }));
}

describe('gateState (3 passes in a row, every 10 s, within 60 s: 7 probes due)', () => {
  it.each([
    ['', 'probing'],
    ['+', 'probing'],
    ['++', 'probing'],
    ['+++', 'passed'],
    ['-+++', 'passed'],
    ['--+-+++', 'passed'],
    ['----', 'probing'], // probes 5, 6, 7 can still pass
    ['-----', 'failed'], // only 2 probes left: the window can no longer hold 3 passes
    ['++-++', 'probing'], // one more pass at probe 6 makes 3 in a row
    ['++-+-', 'failed'],
    ['++-+', 'probing'],
  ])('%j → %s', (pattern, want) => {
    const s = samples(pattern);
    expect(gateState(s, DEFAULTS, Math.max(0, s.length - 1) * 10_000)).toBe(want);
  });

  it('fails once the window is over even if probes fell behind schedule', () => {
    expect(gateState(samples('-+'), DEFAULTS, 61_000)).toBe('failed');
    expect(gateState(samples('-+++'), DEFAULTS, 90_000)).toBe('passed');
  });

  it('one pass is enough with successes: 1', () => {
    expect(gateState(samples('+'), { ...DEFAULTS, successes: 1 }, 0)).toBe('passed');
  });
});

describe('runProbeGate', () => {
  const probe: ProbeConfig = { url: 'http://127.0.0.1:9/{cluster}/{env}/{app}', expectStatus: 200, bodyMustNotContain: 'ERROR', timeout: d('1s'), ...DEFAULTS };
  const place = { region: 'gz', cluster: 'gz', app: 'web', env: 'prod' };

  /** Answers in turn; each answer moves the fake clock on by one interval, so the gate never sleeps. */
  function world(answers: { status: number; body: string }[]) {
    let t = Date.parse('2026-12-06T10:00:00Z');
    const urls: string[] = [];
    const fetch: typeof globalThis.fetch = (input) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const a = answers[Math.min(urls.length - 1, answers.length - 1)] ?? { status: 500, body: '' };
      t += 10_000;
      return Promise.resolve(new Response(a.body, { status: a.status }));
    };
    return { fetch, urls, now: () => t };
  }

  it.each([
    ['a slow start that passes inside the window', [503, 503, 200, 200, 200], true, 5, '503 (fail) at 10:00:10, 503 (fail) at 10:00:20, 200 at 10:00:30, 200 at 10:00:40, 200 at 10:00:50'],
    ['500 every time', [500], false, 5, '500 (fail) at 10:00:10'],
    ['a blip in the middle', [200, 200, 500, 200, 200, 200], true, 6, '500 (fail) at 10:00:30'],
  ])('%s', async (_name, statuses, passed, count, text) => {
    const w = world(statuses.map((status) => ({ status, body: 'ok' })));
    const seen: ProbeSample[] = [];
    const r = await runProbeGate(probe, place, { fetch: w.fetch, now: w.now, onSample: (s) => {
        seen.push(s);
        return Promise.resolve();
      },
    });
    expect({ passed: r.passed, count: r.samples.length, reported: seen.length }).toEqual({ passed, count, reported: count });
    expect(r.summary).toContain(text);
    expect(w.urls[0]).toBe('http://127.0.0.1:9/gz/prod/web');
  });

  it('a 200 with the forbidden string in the body fails, and says so', async () => {
    const w = world([{ status: 200, body: 'ERROR: db down' }]);
    const r = await runProbeGate(probe, place, { fetch: w.fetch, now: w.now });
    expect(r.passed).toBe(false);
    expect(r.samples[0]).toMatchObject({ ok: false, status: 200 });
    expect(r.summary).toContain('"ERROR" in the body');
    expect(r.summary).toContain('200 (fail) at 10:00:10');
  });

  it('no answer within the timeout fails the probe with no status', async () => {
    let t = 0;
    const fetch: typeof globalThis.fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        t += 10_000;
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const r = await runProbeGate({ ...probe, window: d('20s') }, place, { fetch, now: () => t });
    expect(r.passed).toBe(false);
    expect(r.samples.map((s) => [s.status, s.problem])).toEqual([[undefined, 'http://127.0.0.1:9/gz/prod/web: no answer within 1s']]);
  });
});
