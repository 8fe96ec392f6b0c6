import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { kubeconfigPath, localClusters } from './lib/clusters.ts';
import { startChild, waitForLine } from './lib/procs.ts';
import { fakeSlack, redisUrl, SIGNING_SECRET, slackEnv, TEAM_ID } from './lib/env.ts';
import { fmt, summarize, type Row, type Summary } from './lib/stats.ts';
import type { FakeSlackApi } from '../test/fakes/slack-api.ts';

/**
 * P1: ack latency and throughput of signed slash commands at fixed rates, through the real Bolt
 * receiver on the bot's server, for three commands, against a bare node:http server doing the
 * same HMAC check:
 *   - `/ops help deploy`: the cheapest (signature, team check, identity, parse, policy, Block Kit
 *     in the ack itself);
 *   - `/deploy web v… to prod` as alice: acked at once, then the request is bound (a GET of the
 *     workload on both clusters), an approval opened in Redis and its message posted to the
 *     channel (one channel per request here, so that Slack's one-message-per-second pacing per
 *     channel doesn't hide the bot's own speed);
 *   - `/ops status web in prod`: acked at once, then both clusters are read and the answer goes
 *     to the request's response_url.
 * For the last two the work after the ack is timed too, to the fake Slack API receiving the
 * approval message or the answer ("done"), so a bot that acks fast but falls behind shows it.
 * Open loop: request i is due at start + i/rate and its latency counts from then (no
 * coordinated omission). The bot runs in its own process on the embedded config, on the
 * benchmarks' cluster pair (sample apps: web in web-prod on gz and nj); the load generator
 * and the fake Slack API run here.
 */
export interface RateResult {
  readonly rate: number;
  readonly latency: Summary;
  readonly throughput: number;
  readonly errors: number;
  /** From due to done (deploy, status), and how many got done within the drain time. */
  readonly done?: Summary;
  readonly doneCount?: number;
}

type Command = 'help' | 'deploy' | 'status';
const COMMANDS: readonly Command[] = ['help', 'deploy', 'status'];

interface Sent {
  readonly i: number;
  /** Epoch ms when it was due. */
  readonly dueAt: number;
}

function body(cmd: Command, rate: number, i: number, api: FakeSlackApi | undefined): string {
  const channel = cmd === 'deploy' ? `C${rate}X${String(i).padStart(6, '0')}` : 'C0BENCH01';
  const text = cmd === 'help' ? 'help deploy' : cmd === 'deploy' ? `web v1.${rate}.${i} to prod` : 'status web in prod';
  return new URLSearchParams({
    token: 'x', team_id: TEAM_ID, team_domain: 'bench', channel_id: channel, channel_name: 'bench', user_id: 'U0ALICE01', user_name: 'alice',
    command: cmd === 'deploy' ? '/deploy' : '/ops', text, api_app_id: 'A0BENCH', is_enterprise_install: 'false',
    response_url: api === undefined ? 'http://127.0.0.1:9/none' : api.responseUrl(`p1-${cmd}-${rate}-${i}`), trigger_id: `t-${cmd}-${rate}-${i}-${Date.now()}`,
  }).toString();
}

async function drive(url: string, cmd: Command, rate: number, seconds: number, api: FakeSlackApi | undefined, check?: (body: string) => boolean): Promise<{ r: RateResult; sent: Sent[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${url}/slack/events`);
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const sentList: Sent[] = [];
  let errors = 0;
  const start = performance.now() + 50;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = body(cmd, rate, i, api);
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${b}`).digest('hex')}`;
    // From when it was due, or from when it went out if that was earlier (the timer fired early).
    const from = Math.min(due, performance.now());
    sentList.push({ i, dueAt: performance.timeOrigin + from });
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
  return { r: { rate, latency: summarize(latencies), throughput: latencies.length / elapsed, errors }, sent: sentList };
}

/**
 * When the fake Slack API got each request's approval message (deploy) or answer (status). Only
 * what arrived after the request was due counts: each measure's bot is warmed with the same
 * channels and ids, and an earlier bot's answers must not pass for this one's.
 */
function doneAt(api: FakeSlackApi, cmd: Command, rate: number, sent: readonly Sent[]): Map<number, number> {
  const out = new Map<number, number>();
  const fresh = (i: number, at: number) => at >= (sent[i]?.dueAt ?? Infinity) - 1;
  if (cmd === 'deploy') {
    const re = new RegExp(`^C${rate}X(\\d{6})$`);
    for (const c of api.calls) {
      if (c.method !== 'chat.postMessage') continue;
      const channel = c.args['channel'];
      const m = re.exec(typeof channel === 'string' ? channel : '');
      if (m !== null && !out.has(Number(m[1])) && fresh(Number(m[1]), c.at)) out.set(Number(m[1]), c.at);
    }
  } else {
    const prefix = `p1-${cmd}-${rate}-`;
    for (const p of api.responses) {
      const i = Number(p.id.slice(prefix.length));
      if (p.id.startsWith(prefix) && !out.has(i) && fresh(i, p.at)) out.set(i, p.at);
    }
  }
  for (const k of [...out.keys()]) if (sent[k] === undefined) out.delete(k);
  return out;
}

async function driveBot(url: string, cmd: Command, rate: number, seconds: number, api: FakeSlackApi): Promise<RateResult> {
  const { r, sent } = await drive(url, cmd, rate, seconds, api, cmd === 'help' ? (t) => t.includes('/deploy') : undefined);
  if (cmd === 'help') return r;
  // Let the work after the acks finish (up to a minute past the last request).
  const deadline = Date.now() + 60_000;
  while (doneAt(api, cmd, rate, sent).size < sent.length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
  const done = doneAt(api, cmd, rate, sent);
  return { ...r, done: summarize([...done].map(([i, at]) => at - (sent[i]?.dueAt ?? at))), doneCount: done.size };
}

export async function p1(opts: { rates?: readonly number[]; seconds?: number; commands?: readonly Command[] } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const rates = opts.rates ?? [50, 200, 500];
  const seconds = opts.seconds ?? 10;
  const commands = opts.commands ?? COMMANDS;
  const redis = redisUrl();
  localClusters(); // the pair the embedded config's gz and nj point at (through CHATOPS_KUBECONFIG)
  const api = await fakeSlack();
  const bare = startChild('bench/servers/bare-http.ts', [], { SLACK_SIGNING_SECRET: SIGNING_SECRET });
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const bareUrl = (await waitForLine(bare, /^READY (\S+)/))[1] ?? '';
    await drive(bareUrl, 'help', 50, 2, undefined);
    for (const cmd of commands) {
      for (const rate of rates) {
        // A bot process of its own for each measure: work a measure left unfinished (at 500/s
        // the approvals of /deploy are still being prepared when its wait ends) would otherwise
        // run on in the next measure's process and count against it.
        const bot = startChild('bench/servers/bot-api.ts', [], { ...slackEnv(api, redis), CHATOPS_KUBECONFIG: kubeconfigPath() });
        let b: RateResult;
        try {
          const botUrl = (await waitForLine(bot, /^READY (\S+)/))[1] ?? '';
          // Warm it (JIT, connections, the Kubernetes client) before measuring.
          await driveBot(botUrl, cmd, 20, 1, api);
          b = await driveBot(botUrl, cmd, rate, seconds, api);
        } finally {
          await bot.stop();
        }
        const base = (await drive(bareUrl, cmd, rate, seconds, undefined)).r;
        raw[`${cmd}-rate${rate}`] = { bot: b, bare: base };
        const what = cmd === 'help' ? '/ops help deploy' : cmd === 'deploy' ? '/deploy web … to prod' : '/ops status web in prod';
        rows.push({
          measure: `P1 ${what}: ack p50 / p99 at ${rate}/s (ms)`,
          bot: `${fmt(b.latency.p50)} / ${fmt(b.latency.p99)}${b.errors > 0 ? ` (${b.errors} errors)` : ''}`,
          baseline: `${fmt(base.latency.p50)} / ${fmt(base.latency.p99)}`,
          ratio: `${fmt(b.latency.p99 / base.latency.p99)}x p99`,
          target: rate === 200 ? 'p99 <= 10 ms' : '—',
          met: rate === 200 ? b.latency.p99 <= 10 && b.errors === 0 : undefined,
        });
        rows.push({
          measure: `P1 ${what}: throughput at ${rate}/s offered (req/s)`,
          bot: fmt(b.throughput),
          baseline: fmt(base.throughput),
          ratio: `${fmt(b.throughput / base.throughput, 2)}x`,
          target: '>= 0.7x bare',
          met: b.throughput / base.throughput >= 0.7,
        });
        if (b.done !== undefined) {
          rows.push({
            measure: `P1 ${what}: due → ${cmd === 'deploy' ? 'approval posted' : 'answer posted'} p50 / p99 at ${rate}/s (ms)`,
            bot: `${fmt(b.done.p50)} / ${fmt(b.done.p99)} (${b.doneCount ?? 0} of ${Math.round(rate * seconds)} done)`,
            baseline: '—',
            ratio: '—',
            target: '—',
            met: undefined,
          });
        }
      }
    }
  } finally {
    await bare.stop();
    await api.close();
  }
  return { rows, raw };
}
