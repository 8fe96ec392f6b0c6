import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { startChild, waitForLine } from './lib/procs.ts';
import { fakeSlack, redisUrl, SIGNING_SECRET, slackEnv, TEAM_ID } from './lib/env.ts';
import { fmt, summarize, type Row, type Summary } from './lib/stats.ts';

/**
 * P1: ack latency and throughput of signed slash commands at fixed rates, through the real Bolt
 * receiver on the bot's server (`/ops help deploy`: signature, team check, identity, parse and
 * policy, Block Kit, the ack), against a bare node:http server doing the same HMAC check. Open
 * loop: request i is due at start + i/rate and its latency counts from then, so a server that
 * falls behind shows it (no coordinated omission). Each server runs in its own process; the
 * load generator runs here.
 */
export interface RateResult {
  readonly rate: number;
  readonly latency: Summary;
  readonly throughput: number;
  readonly errors: number;
}

function body(i: number): string {
  return new URLSearchParams({
    token: 'x', team_id: TEAM_ID, team_domain: 'bench', channel_id: 'C0BENCH01', channel_name: 'bench', user_id: 'U0ALICE01', user_name: 'alice',
    command: '/ops', text: 'help deploy', api_app_id: 'A0BENCH', is_enterprise_install: 'false', response_url: 'http://127.0.0.1:9/none', trigger_id: `t${i}`,
  }).toString();
}

async function drive(url: string, rate: number, seconds: number, check?: (body: string) => boolean): Promise<RateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${url}/slack/events`);
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now() + 50;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = body(i);
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${b}`).digest('hex')}`;
    // From when it was due, or from when it went out if that was earlier (the timer fired early).
    const from = Math.min(due, performance.now());
    sends.push(
      new Promise<void>((resolve) => {
        const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig, 'content-length': Buffer.byteLength(b) } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            if (res.statusCode === 200 && (check === undefined || check(text))) latencies.push(performance.now() - from);
            else errors++;
            resolve();
          });
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(b);
      }),
    );
  }
  await Promise.all(sends);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  return { rate, latency: summarize(latencies), throughput: latencies.length / elapsed, errors };
}

export async function p1(opts: { rates?: readonly number[]; seconds?: number } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const rates = opts.rates ?? [50, 200, 500];
  const seconds = opts.seconds ?? 10;
  const redis = redisUrl();
  const api = await fakeSlack();
  const bot = startChild('bench/servers/bot-api.ts', [], slackEnv(api, redis));
  const bare = startChild('bench/servers/bare-http.ts', [], { SLACK_SIGNING_SECRET: SIGNING_SECRET });
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const botUrl = (await waitForLine(bot, /^READY (\S+)/))[1] ?? '';
    const bareUrl = (await waitForLine(bare, /^READY (\S+)/))[1] ?? '';
    // Warm both (JIT, connections) before measuring.
    await drive(botUrl, 50, 2);
    await drive(bareUrl, 50, 2);
    for (const rate of rates) {
      const b = await drive(botUrl, rate, seconds, (t) => t.includes('/deploy'));
      const base = await drive(bareUrl, rate, seconds);
      raw[`rate${rate}`] = { bot: b, bare: base };
      rows.push({
        measure: `P1 ack p50 / p99 at ${rate}/s (ms)`,
        bot: `${fmt(b.latency.p50)} / ${fmt(b.latency.p99)}${b.errors > 0 ? ` (${b.errors} errors)` : ''}`,
        baseline: `${fmt(base.latency.p50)} / ${fmt(base.latency.p99)}`,
        ratio: `${fmt(b.latency.p99 / base.latency.p99)}x p99`,
        target: rate === 200 ? 'p99 <= 10 ms' : '—',
        met: rate === 200 ? b.latency.p99 <= 10 : undefined,
      });
      rows.push({
        measure: `P1 throughput at ${rate}/s offered (req/s)`,
        bot: fmt(b.throughput),
        baseline: fmt(base.throughput),
        ratio: `${fmt(b.throughput / base.throughput, 2)}x`,
        target: '>= 0.7x bare',
        met: b.throughput / base.throughput >= 0.7,
      });
    }
  } finally {
    await bot.stop();
    await bare.stop();
    await api.close();
  }
  return { rows, raw };
}
