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
 * P4, regex: what a pathological subscription costs. Two `chatops serve` processes (the
 * development form; their Slack Web API a local fake), each on its own Redis prefix, take the
 * same Alertmanager notifications, one alert each whose alertname is 10,000 characters. In one,
 * a chat subscription matches every alert against `alertname=~(.*.*)*X`: JavaScript's RegExp
 * backtracks on that for hours per alert, RE2 reads the label once. The other, the same-run
 * baseline, has an ordinary subscription, `alertname=~"HighLatency|DiskFull"`. Notifications go
 * to the two in turn (the order alternating), so that whatever else the machine does falls on
 * both alike. Measured: each notification's HTTP latency, and /healthz polled every 20 ms on
 * both meanwhile (its worst answer is how long an event loop was held).
 */
const N = 60;
const LABEL = 10_000;
const EVIL = 'alertname=~"(.*.*)*X"';
const ORDINARY = 'alertname=~"HighLatency|DiskFull"';

function matcher(text: string): Matcher {
  const m = parseMatcher(text);
  if (!m.ok) throw new Error(m.problem);
  return m.matcher;
}

interface Bot {
  readonly url: string;
  readonly post: number[];
  readonly healthz: number[];
  errors: number;
  stop(): Promise<void>;
}

async function startBot(pattern: string, redis: string, r: Redis, api: Awaited<ReturnType<typeof fakeSlack>>, token: string, cfgFile: string): Promise<Bot> {
  const env: Record<string, string> = { ...slackEnv(api, redis), CHATOPS_CONFIG: cfgFile, P4R_AM_TOKEN: token };
  const child = startChild('src/cli/chatops.ts', ['serve', '--host', '127.0.0.1', '--port', '0'], env);
  const url = (await waitForLine(child, /"url":"(http:[^"]+)".*api role running/))[1] ?? '';
  await new Subscriptions(r, env['CHATOPS_REDIS_PREFIX'] ?? '').add('slack:C0P4REGEX', [matcher(pattern)], 'oncall', new Date());
  return { url, post: [], healthz: [], errors: 0, stop: () => child.stop() };
}

async function notify(bot: Bot, token: string, name: string, record: boolean): Promise<void> {
  const body = JSON.stringify(amPayload([{ labels: { alertname: name, env: 'prod' }, startsAt: new Date().toISOString() }]));
  const t = performance.now();
  const r = await fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const text = await r.text();
  if (!record) return;
  if (r.status === 200) bot.post.push(performance.now() - t);
  else {
    bot.errors++;
    if (bot.errors === 1) process.stderr.write(`p4-regex: ${r.status} ${text.slice(0, 300)}\n`);
  }
}

function poll(bots: readonly Bot[]): () => Promise<void> {
  let polling = true;
  const loops = bots.map(async (b) => {
    while (polling) {
      const t = performance.now();
      const r = await fetch(`${b.url}/healthz`).catch(() => undefined);
      if (r?.status === 200) b.healthz.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 20));
    }
  });
  return async () => {
    polling = false;
    await Promise.all(loops);
  };
}

function summary(b: Bot): { post: Summary; healthz: Summary; errors: number } {
  return { post: summarize(b.post), healthz: summarize(b.healthz), errors: b.errors };
}

export async function p4regex(): Promise<{ rows: Row[]; raw: unknown }> {
  const redis = redisUrl();
  const api = await fakeSlack();
  const token = `p4r-${randomBytes(8).toString('hex')}`;
  mkdirSync('.data/p4-regex', { recursive: true });
  const cfgFile = '.data/p4-regex/bot.yaml';
  const config = { mode: 'production', people: { oncall: {} }, clusters: {}, environments: {}, apps: {}, alerts: { sources: { alertmanager: { bearerToken: '${P4R_AM_TOKEN}' } } } };
  writeFileSync(cfgFile, `${JSON.stringify(config, null, 2)}\n`);
  const r = new Redis(redis, { maxRetriesPerRequest: null });
  const bots: Bot[] = [];
  try {
    const evil = await startBot(EVIL, redis, r, api, token, cfgFile);
    bots.push(evil);
    const ordinary = await startBot(ORDINARY, redis, r, api, token, cfgFile);
    bots.push(ordinary);
    await new Promise((res) => setTimeout(res, 1200)); // each bot re-reads subscriptions every second
    const name = (i: number) => `${'a'.repeat(LABEL - 8)}-${String(i).padStart(6, '0')}`;
    // Warm-up: the first requests of a process are slower.
    for (let i = 0; i < 10; i++) for (const b of bots) await notify(b, token, name(900_000 + i), false);
    const stopPolling = poll(bots);
    for (let i = 0; i < N; i++) {
      // A new alert each time (a new fingerprint), so routing runs for every one.
      const pair = i % 2 === 0 ? [evil, ordinary] : [ordinary, evil];
      for (const b of pair) await notify(b, token, name(i), true);
    }
    await stopPolling();
    const e = summary(evil);
    const o = summary(ordinary);
    const row: Row = {
      measure: `P4 regex: one ${LABEL}-char alertname per notification, p50 / max (ms, n=${N}) against ${EVIL}`,
      bot: `${fmt(e.post.p50)} / ${fmt(e.post.max)}; /healthz max ${fmt(e.healthz.max)}${e.errors > 0 ? ` (${e.errors} errors)` : ''}`,
      baseline: `${fmt(o.post.p50)} / ${fmt(o.post.max)}; /healthz max ${fmt(o.healthz.max)} (${ORDINARY})`,
      ratio: `${fmt(e.post.p50 / o.post.p50, 2)}x p50`,
      target: '<= 2x the ordinary matcher',
      met: e.errors === 0 && e.post.p50 <= 2 * o.post.p50,
    };
    return { rows: [row], raw: { n: N, labelChars: LABEL, evil: { pattern: EVIL, ...e, latencies: evil.post }, ordinary: { pattern: ORDINARY, ...o, latencies: ordinary.post } } };
  } finally {
    r.disconnect();
    for (const b of bots) await b.stop();
    await api.close();
  }
}
