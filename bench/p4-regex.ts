import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { parseMatcher, type Matcher } from '../src/core/matchers.ts';
import { Subscriptions } from '../src/alerts/subscriptions.ts';
import { amPayload } from '../test/fakes/alertmanager.ts';
import { fakeSlack, redisUrl, slackEnv } from './lib/env.ts';
import { startChild, waitForLine } from './lib/procs.ts';
import { fmt, summarize, type Row, type Summary } from './lib/stats.ts';

/**
 * P4, regex: what a pathological subscription costs. `chatops serve` in its own process (its
 * Slack Web API a local fake) takes Alertmanager notifications, each one alert whose alertname
 * is 10,000 characters, while a chat subscription matches every alert against
 * `alertname=~(.*.*)*X`: JavaScript's RegExp backtracks on that for hours per alert, RE2 reads
 * the label once. Measured: each notification's HTTP latency, and /healthz polled every 20 ms
 * meanwhile (its worst answer is how long the event loop was held).
 *
 * Baseline, same run, same process: the same notifications while the subscription is an
 * ordinary one, `alertname=~"HighLatency|DiskFull"`. The two take turns, ROUNDS times, so that
 * drift on a shared machine falls on both alike.
 */
const N = 20;
const ROUNDS = 3;
const LABEL = 10_000;
const EVIL = 'alertname=~"(.*.*)*X"';
const ORDINARY = 'alertname=~"HighLatency|DiskFull"';

function matcher(text: string): Matcher {
  const m = parseMatcher(text);
  if (!m.ok) throw new Error(m.problem);
  return m.matcher;
}

interface Phase {
  readonly post: number[];
  readonly healthz: number[];
  readonly errors: number;
}

async function phase(url: string, token: string, tag: string): Promise<Phase> {
  const health: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      const r = await fetch(`${url}/healthz`).catch(() => undefined);
      if (r?.status === 200) health.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < N; i++) {
    // A new alert each time (a new fingerprint), so routing runs for every one.
    const name = `${'a'.repeat(LABEL - 16)}${tag}-${String(i).padStart(4, '0')}`;
    const body = JSON.stringify(amPayload([{ labels: { alertname: name, env: 'prod' }, startsAt: new Date().toISOString() }]));
    const t = performance.now();
    const r = await fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const text = await r.text();
    if (r.status === 200) latencies.push(performance.now() - t);
    else {
      errors++;
      if (errors === 1) process.stderr.write(`p4-regex: ${r.status} ${text.slice(0, 300)}\n`);
    }
  }
  polling = false;
  await poller;
  return { post: latencies, healthz: health, errors };
}

interface Totals {
  readonly post: Summary;
  readonly healthz: Summary;
  readonly errors: number;
}

function total(phases: readonly Phase[]): Totals {
  return { post: summarize(phases.flatMap((p) => p.post)), healthz: summarize(phases.flatMap((p) => p.healthz)), errors: phases.reduce((n, p) => n + p.errors, 0) };
}

export async function p4regex(): Promise<{ rows: Row[]; raw: unknown }> {
  const redis = redisUrl();
  const api = await fakeSlack();
  const token = `p4r-${randomBytes(8).toString('hex')}`;
  mkdirSync('.data/p4-regex', { recursive: true });
  const cfgFile = '.data/p4-regex/bot.yaml';
  const config = { mode: 'production', people: { oncall: {} }, clusters: {}, environments: {}, apps: {}, alerts: { sources: { alertmanager: { bearerToken: '${P4R_AM_TOKEN}' } } } };
  writeFileSync(cfgFile, `${JSON.stringify(config, null, 2)}\n`);
  const env: Record<string, string> = { ...slackEnv(api, redis), CHATOPS_CONFIG: cfgFile, P4R_AM_TOKEN: token };
  const prefix = env['CHATOPS_REDIS_PREFIX'] ?? '';
  const bot = startChild('src/cli/chatops.ts', ['serve', '--host', '127.0.0.1', '--port', '0'], env);
  const r = new Redis(redis, { maxRetriesPerRequest: null });
  const subs = new Subscriptions(r, prefix);
  try {
    const url = (await waitForLine(bot, /"url":"(http:[^"]+)".*api role running/))[1] ?? '';
    const subscribe = async (text: string) => {
      await subs.remove('slack:C0P4REGEX', undefined);
      await subs.add('slack:C0P4REGEX', [matcher(text)], 'oncall', new Date());
      await new Promise((res) => setTimeout(res, 1200)); // the bot re-reads subscriptions every second
    };
    await subscribe(ORDINARY);
    await phase(url, token, 'w'); // warm-up: the first requests of a process are slower
    const o: Phase[] = [];
    const e: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await subscribe(ORDINARY);
      o.push(await phase(url, token, `o${round}`));
      await subscribe(EVIL);
      e.push(await phase(url, token, `e${round}`));
    }
    const ordinary = total(o);
    const evil = total(e);
    const row: Row = {
      measure: `P4 regex: one ${LABEL}-char alertname per notification, p50 / max (ms, n=${N * ROUNDS}) against ${EVIL}`,
      bot: `${fmt(evil.post.p50)} / ${fmt(evil.post.max)}; /healthz max ${fmt(evil.healthz.max)}${evil.errors > 0 ? ` (${evil.errors} errors)` : ''}`,
      baseline: `${fmt(ordinary.post.p50)} / ${fmt(ordinary.post.max)}; /healthz max ${fmt(ordinary.healthz.max)} (${ORDINARY})`,
      ratio: `${fmt(evil.post.p50 / ordinary.post.p50, 2)}x p50`,
      target: '<= 2x the ordinary matcher',
      met: evil.errors === 0 && evil.post.p50 <= 2 * ordinary.post.p50,
    };
    return { rows: [row], raw: { n: N * ROUNDS, labelChars: LABEL, evil: { pattern: EVIL, ...evil, rounds: e }, ordinary: { pattern: ORDINARY, ...ordinary, rounds: o } } };
  } finally {
    r.disconnect();
    await bot.stop();
    await api.close();
  }
}
