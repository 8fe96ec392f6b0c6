import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { homedir } from 'node:os';
import { Redis } from 'ioredis';
import { amPayload, type AmAlertInput } from '../test/fakes/alertmanager.ts';
import type { FakeSlackApi } from '../test/fakes/slack-api.ts';
import { fakeSlack, redisUrl, slackEnv } from './lib/env.ts';
import { peakRssMb, rssMb, startChild, startProgram, waitForLine, type Child } from './lib/procs.ts';
import { freePort } from '../src/local/port.ts';
import { startFakeSlackWebhooks, type WebhookPost } from './lib/slack-webhook.ts';
import { fmt, summarize, type Row, type Summary } from './lib/stats.ts';
import { imageNodeFlags } from './p5-idle.ts';
import { DEFAULT_STREAM, makeStream, makeWarmup, TEAMS, type Fingerprint, type Group, type Payload, type Stream, type StreamAlert } from './p4-stream.ts';

/**
 * P4: an alert storm. 10,000 alerts in 10 s over 500 fingerprints and 5 channels, sent as
 * Alertmanager sends them (webhook payloads of 1 to 50 alerts, with repeats and resolves; see
 * p4-stream.ts) to the bot's real API server at a steady pace, open loop (a payload's latency
 * counts from when it was due). The bot runs as its image runs it, like P5: the production
 * build (scripts/build.sh) started with the Dockerfile ENTRYPOINT's Node flags, `chatops serve`,
 * in its own process, its Slack Web API a local fake; the development form (`node
 * src/cli/chatops.ts serve`) runs the same storm after it for comparison.
 *
 * Measured: the HTTP latency of each payload; then, until the bot's outbox drained (bounded),
 * every chat.postMessage / chat.update the fake took, per channel; the groups that never
 * appear in their channel (checkBotGroups); the bot's peak RSS (VmHWM).
 *
 * Baseline: the same alerts through a real Alertmanager (scripts/alertmanager/build.sh) into
 * its own Slack notifier (incoming webhooks on a local fake), counted over the same window; and
 * a naive bridge that posts one message per alert it receives.
 */
const GROUP_BY = ['alertname', 'env', 'app'];
/** Both sides as shipped: the bot's defaults and Alertmanager's route defaults. */
const GROUP_WAIT = '30s';
const AM_GROUP_INTERVAL = '5m';
const REPEAT = '4h';
const STORM = { newGroupsPerMinute: 10, quietFor: '5m' };
const AM_VERSION = '0.34.2';
const GO_ZERO = '0001-01-01T00:00:00Z';
/** The production build the image runs (scripts/build.sh), P4's own copy. */
const BUILD = '.data/build-p4';

export const WARMUP_CHANNEL = 'C0P4WARMUP';

export function channelOf(team: string): string {
  return `C0P4${team.toUpperCase().slice(0, 5)}`;
}

export function botConfig(): Record<string, unknown> {
  return {
    mode: 'production',
    people: { oncall: {} },
    clusters: {},
    environments: {},
    apps: {},
    alerts: {
      sources: { alertmanager: { bearerToken: '${P4_AM_TOKEN}' } },
      // One route per team to its channel; the warm-up's groups close before they are shown.
      routes: [...TEAMS.map((t) => ({ name: t, matchers: [`team="${t}"`], channels: [`slack:${channelOf(t)}`] })), { name: 'warmup', matchers: ['team="warmup"'], channels: [`slack:${WARMUP_CHANNEL}`] }],
      defaults: { groupBy: GROUP_BY, groupWait: GROUP_WAIT, repeatInterval: REPEAT },
      storm: STORM,
    },
  };
}

export function alertmanagerConfig(hooksUrl: string): string {
  const lines = [
    'route:',
    '  receiver: blackhole',
    `  group_by: [${GROUP_BY.join(', ')}]`,
    `  group_wait: ${GROUP_WAIT}`,
    `  group_interval: ${AM_GROUP_INTERVAL}`,
    `  repeat_interval: ${REPEAT}`,
    '  routes:',
    ...TEAMS.flatMap((t) => [`    - receiver: ${t}`, `      matchers: ['team="${t}"']`]),
    'receivers:',
    '  - name: blackhole',
    ...TEAMS.flatMap((t) => [`  - name: ${t}`, '    slack_configs:', `      - api_url: ${hooksUrl}/hooks/${t}`, `        channel: '#${t}'`, '        send_resolved: true']),
  ];
  return `${lines.join('\n')}\n`;
}

interface Sent {
  readonly latency: Summary;
  readonly errors: number;
  readonly seconds: number;
  readonly answers: { received: number; new: number; resolved: number; unchanged: number };
  /** [when it was due (ms after the start), latency (ms)] of each payload answered. */
  readonly series: [number, number][];
}

/** Posts each body when due (open loop: latency counts from the due time), returns the latencies. */
async function pace(url: string, headers: Record<string, string>, items: Items, startPerf: number, check: (status: number, text: string, alerts: number) => boolean): Promise<Sent> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const latencies: number[] = [];
  const series: [number, number][] = [];
  const answers = { received: 0, new: 0, resolved: 0, unchanged: 0 };
  let errors = 0;
  const sends: Promise<void>[] = [];
  for (const it of items) {
    const due = startPerf + it.atMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const from = Math.min(due, performance.now());
    sends.push(
      new Promise<void>((resolve) => {
        const req = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(it.body) } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            if (check(res.statusCode ?? 0, text, it.alerts)) {
              const ms = performance.now() - from;
              latencies.push(ms);
              series.push([it.atMs, Math.round(ms * 10) / 10]);
              if (text.startsWith('{')) {
                const a = JSON.parse(text) as Partial<typeof answers>;
                for (const k of ['received', 'new', 'resolved', 'unchanged'] as const) answers[k] += a[k] ?? 0;
              }
            } else errors++;
            resolve();
          });
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(it.body);
      }),
    );
  }
  await Promise.all(sends);
  const seconds = (performance.now() - startPerf) / 1000;
  agent.destroy();
  return { latency: summarize(latencies), errors, seconds, answers, series: series.sort((a, b) => a[0] - b[0]) };
}

function iso(t0: number, ms: number): string {
  return new Date(t0 + ms).toISOString();
}

interface ChannelRate {
  readonly messages: number;
  /** Most messages in any 1 s (sliding, half-open). */
  readonly maxIn1s: number;
  /** Messages per second from its first to its last message (+1 s). */
  readonly avgPerSecond: number;
  readonly firstAtS: number;
  readonly lastAtS: number;
}

export function rateOf(times: readonly number[], t0: number): ChannelRate {
  const s = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while ((s[i] ?? 0) - (s[j] ?? 0) >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  const first = s[0] ?? t0;
  const last = s.at(-1) ?? t0;
  return { messages: s.length, maxIn1s: max, avgPerSecond: s.length === 0 ? 0 : s.length / ((last - first) / 1000 + 1), firstAtS: (first - t0) / 1000, lastAtS: (last - t0) / 1000 };
}

function textOf(m: { text?: unknown; blocks?: unknown }): string {
  return `${typeof m.text === 'string' ? m.text : ''}\n${JSON.stringify(m.blocks ?? [])}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bot's title of a group (message.ts groupTitle): "<alertname>: <app> in <env>". */
function botTitle(g: Group): string {
  return `${g.alertname}: ${g.app} in ${g.env}`;
}

interface GroupCheck {
  /** Groups whose title is in no message (top level or thread) of their channel. */
  readonly lost: string[];
  /** Groups named in a channel other than their own. */
  readonly misrouted: string[];
  /** Alerts a group had that no message counts (sum over groups of fingerprints sent − the largest total shown). */
  readonly uncounted: number;
  /** Groups whose firing count as last shown differs from the stream's end state. */
  readonly staleFiring: string[];
  readonly ownMessages: number;
  readonly inStorm: number;
}

/**
 * A group "appears" when its title (alertname: app in env) is in the final text or blocks of a
 * message of its channel: its own message, a line of the storm summary, or the summary thread's
 * "Added: …" reply. Its alerts are "counted" by the largest total shown for it: "N firing, M
 * resolved" / "All N resolved" in its own message, "(f/N firing)" / "(N resolved)" in the
 * summary, "(N alerts)" in the thread.
 */
export function checkBotGroups(stream: Stream, fake: FakeSlackApi): GroupCheck {
  const texts = new Map<string, string[]>();
  for (const t of TEAMS) texts.set(t, fake.messages(channelOf(t)).map(textOf));
  const lost: string[] = [];
  const misrouted: string[] = [];
  const staleFiring: string[] = [];
  let uncounted = 0;
  let own = 0;
  let inStorm = 0;
  for (const g of stream.groups) {
    const title = botTitle(g);
    const mine = texts.get(g.team) ?? [];
    if (!mine.some((x) => x.includes(title))) lost.push(g.key);
    for (const t of TEAMS) if (t !== g.team && (texts.get(t) ?? []).some((x) => x.includes(title))) misrouted.push(`${g.key} in ${t}`);
    const re = escapeRe(title);
    let total = 0;
    let firing: number | undefined;
    for (const x of mine) {
      // Its own message: the fallback text is "<title> — N firing, M resolved · since …".
      const head = new RegExp(`^(?:Resolved: )?${re} — (?:All (\\d+) resolved|(\\d+) firing(?:, (\\d+) resolved)?)`).exec(x);
      if (head !== null) {
        own++;
        const f = Number(head[2] ?? 0);
        total = Math.max(total, head[1] !== undefined ? Number(head[1]) : f + Number(head[3] ?? 0));
        firing = head[1] !== undefined ? 0 : f;
      }
      const line = new RegExp(`${re} \\((?:(\\d+)/(\\d+) firing|(\\d+) resolved)\\)`).exec(x);
      if (line !== null) {
        inStorm++;
        total = Math.max(total, Number(line[2] ?? line[3] ?? 0));
        firing ??= Number(line[1] ?? 0);
      }
      for (const m of x.matchAll(new RegExp(`${re} \\((\\d+) alerts?\\)`, 'g'))) total = Math.max(total, Number(m[1]));
    }
    uncounted += Math.max(0, g.fps.length - total);
    if (firing !== undefined && firing !== g.firingAtEnd) staleFiring.push(`${g.key}: shows ${firing}, ${g.firingAtEnd} firing`);
  }
  return { lost, misrouted, uncounted, staleFiring, ownMessages: own, inStorm };
}

/** Alertmanager's default Slack title names the group labels' values sorted by name: "alertname app env". */
export function checkAmGroups(stream: Stream, posts: readonly WebhookPost[]): { lost: string[]; misrouted: string[] } {
  const titles = new Map<string, string[]>();
  for (const p of posts) titles.set(p.hook, [...(titles.get(p.hook) ?? []), ...(p.body.attachments ?? []).map((a) => a.title ?? '')]);
  const lost: string[] = [];
  const misrouted: string[] = [];
  for (const g of stream.groups) {
    const want = ` ${g.alertname} ${g.app} ${g.env}`;
    if (!(titles.get(g.team) ?? []).some((t) => t.includes(want))) lost.push(g.key);
    for (const t of TEAMS) if (t !== g.team && (titles.get(t) ?? []).some((x) => x.includes(want))) misrouted.push(`${g.key} in ${t}`);
  }
  return { lost, misrouted };
}

function amAlerts(fps: ReadonlyMap<string, Fingerprint>, alerts: readonly StreamAlert[], t0: number): AmAlertInput[] {
  return alerts.map((a) => {
    const f = fps.get(a.fp);
    return {
      labels: { ...f?.labels },
      annotations: { ...f?.annotations },
      status: a.status,
      startsAt: iso(t0, a.startsAtMs),
      endsAt: a.endsAtMs === undefined ? GO_ZERO : iso(t0, a.endsAtMs),
      fingerprint: a.fp,
      generatorURL: `http://prometheus.example.com/graph?g0.expr=${encodeURIComponent(f?.labels['alertname'] ?? '')}`,
    };
  });
}

type Items = readonly { readonly atMs: number; readonly body: string; readonly alerts: number }[];
type Fps = ReadonlyMap<string, Fingerprint>;

/** The payloads as the bot's webhook gets them: Alertmanager's version 4 notifications. */
function webhookItems(fps: Fps, payloads: readonly Payload[], t0: number): Items {
  return payloads.map((p) => ({ atMs: p.atMs, alerts: p.alerts.length, body: JSON.stringify(amPayload(amAlerts(fps, p.alerts, t0), { receiver: 'chatops', groupLabels: { team: p.team } })) }));
}

/** The same alerts as Alertmanager's POST /api/v2/alerts takes them (postable alerts: no endsAt while firing). */
function apiItems(fps: Fps, payloads: readonly Payload[], t0: number): Items {
  return payloads.map((p) => ({
    atMs: p.atMs,
    alerts: p.alerts.length,
    body: JSON.stringify(amAlerts(fps, p.alerts, t0).map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, ...(a.status === 'resolved' ? { endsAt: a.endsAt } : {}), generatorURL: a.generatorURL }))),
  }));
}

/** Sends the warm-up (p4-stream.ts makeWarmup), then waits a second. */
async function warmUp(send: (items: Items, startPerf: number) => Promise<Sent>, build: (fps: Fps, payloads: readonly Payload[], t0: number) => Items): Promise<Sent> {
  const w = makeWarmup();
  const sent = await send(build(w.fingerprints, w.payloads, Date.now() + 100), performance.now() + 100);
  if (sent.errors > 0) throw new Error(`the warm-up failed: ${sent.errors} of ${w.payloads.length} payloads`);
  await new Promise((r) => setTimeout(r, 1000));
  return sent;
}

async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** CPU time (user + system) a process used so far, in ms (from /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Redis' own CPU time so far, in ms (INFO cpu), for the Redis side of the bot's work. */
async function redisCpuMs(r: Redis): Promise<number> {
  const info = await r.info('cpu');
  const v = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (v('used_cpu_sys') + v('used_cpu_user')) * 1000;
}

/** VmRSS every 100 ms; `timeline` keeps one [seconds after t0, MB] a second (the max of that second). */
function rssSampler(pid: number, t0: number): { stop(): { max: number; timeline: [number, number][] } } {
  let max = 0;
  const perSecond = new Map<number, number>();
  const t = setInterval(() => {
    try {
      const mb = rssMb(pid);
      max = Math.max(max, mb);
      const s = Math.floor((Date.now() - t0) / 1000);
      perSecond.set(s, Math.max(perSecond.get(s) ?? 0, mb));
    } catch {
      // exited
    }
  }, 100);
  return {
    stop() {
      clearInterval(t);
      return { max, timeline: [...perSecond.entries()].map(([s, mb]) => [s, Math.round(mb)]) };
    },
  };
}

interface BotRun {
  /** The warm-up's latencies (cold code: the first webhooks the process ever took). */
  readonly warmup: Summary;
  /** Messages the warm-up channel got (0: its groups closed unseen, as they should). */
  readonly warmupMessages: number;
  readonly sent: Sent;
  /** The bot's CPU time while the storm was sent, and until its outbox drained; Redis' likewise (all of its clients). */
  readonly cpu: { readonly ingestMs: number; readonly stormMs: number; readonly redisIngestMs: number; readonly redisStormMs: number };
  readonly windowS: number;
  readonly drained: boolean;
  readonly idleRssMb: number;
  readonly peakRssMb: number;
  readonly sampledMaxRssMb: number;
  /** [s after the stream's start, MB]: the highest VmRSS seen in that second. */
  readonly rssTimeline: [number, number][];
  readonly channels: Record<string, ChannelRate & { posts: number; edits: number; replies: number }>;
  readonly failedCalls: Record<string, number>;
  readonly violations: number;
  readonly groups: GroupCheck;
}

/** How the bot runs: as its image runs it (the production build, the ENTRYPOINT's Node flags), or from the sources. */
interface BotForm {
  readonly script: string;
  readonly nodeFlags: readonly string[];
}

async function runBot(stream: Stream, maxObserveS: number, form: BotForm): Promise<BotRun> {
  const redis = redisUrl();
  const api = await fakeSlack();
  const token = `p4-${randomBytes(8).toString('hex')}`;
  mkdirSync('.data/p4', { recursive: true });
  const cfgFile = '.data/p4/bot.yaml';
  writeFileSync(cfgFile, `${JSON.stringify(botConfig(), null, 2)}\n`);
  const env: Record<string, string> = { ...slackEnv(api, redis), CHATOPS_CONFIG: cfgFile, P4_AM_TOKEN: token };
  const prefix = env['CHATOPS_REDIS_PREFIX'] ?? '';
  const bot = startChild(form.script, ['serve', '--host', '127.0.0.1', '--port', '0'], env, form.nodeFlags);
  const r = new Redis(redis, { maxRetriesPerRequest: null });
  try {
    const url = (await waitForLine(bot, /"url":"(http:[^"]+)".*api role running/))[1] ?? '';
    await until(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 30_000);
    const pid = bot.proc.pid ?? 0;
    await new Promise((res) => setTimeout(res, 1000));
    const idleRss = rssMb(pid);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': `Alertmanager/${AM_VERSION}` };
    const accepted = (status: number, text: string, n: number) => status === 200 && text.includes(`"received":${n}`);
    const warm = await warmUp((items, startPerf) => pace(`${url}/alerts/alertmanager`, headers, items, startPerf, accepted), webhookItems);
    const t0 = Date.now() + 300;
    const sampler = rssSampler(pid, t0);
    const startPerf = performance.now() + 300;
    const cpu0 = cpuMs(pid);
    const redis0 = await redisCpuMs(r);
    const sent = await pace(`${url}/alerts/alertmanager`, headers, webhookItems(stream.fingerprints, stream.payloads, t0), startPerf, accepted);
    const cpuIngest = cpuMs(pid) - cpu0;
    const redisIngest = (await redisCpuMs(r)) - redis0;
    // Drained: nothing queued in the outbox, no group due in the next minute (only 4 h reminders
    // are left), and the fake got no call for 2 s.
    const lastCall = () => api.calls.at(-1)?.at ?? 0;
    const drained = await until(
      async () => {
        const now = Date.now();
        if (now - lastCall() < 2000) return false;
        const [queued, due] = await Promise.all([r.zcard(`${prefix}outbox:due`), r.zcount(`${prefix}alerts:due`, '-inf', String(now + 60_000))]);
        return queued === 0 && due === 0;
      },
      Math.max(0, t0 + maxObserveS * 1000 - Date.now()),
      250,
    );
    const end = drained ? lastCall() : Date.now();
    const sampled = sampler.stop();
    const peak = peakRssMb(pid);
    const cpu = { ingestMs: cpuIngest, stormMs: cpuMs(pid) - cpu0, redisIngestMs: Math.round(redisIngest), redisStormMs: Math.round((await redisCpuMs(r)) - redis0) };
    const channels: BotRun['channels'] = {};
    const failedCalls: Record<string, number> = {};
    for (const c of api.calls) if (c.outcome !== 'ok') failedCalls[`${c.method} ${c.outcome}`] = (failedCalls[`${c.method} ${c.outcome}`] ?? 0) + 1;
    for (const t of TEAMS) {
      const calls = api.calls.filter((c) => c.outcome === 'ok' && (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args['channel'] === channelOf(t));
      channels[t] = {
        ...rateOf(calls.map((c) => c.at), t0),
        posts: calls.filter((c) => c.method === 'chat.postMessage').length,
        edits: calls.filter((c) => c.method === 'chat.update').length,
        replies: calls.filter((c) => c.method === 'chat.postMessage' && c.args['thread_ts'] !== undefined).length,
      };
    }
    // P4_DUMP=<file>: every channel's messages as they stand, to see what "appear" matched.
    const dump = process.env['P4_DUMP'];
    if (dump !== undefined && dump !== '') writeFileSync(dump, JSON.stringify(Object.fromEntries(TEAMS.map((t) => [t, api.messages(channelOf(t))])), null, 1));
    return { warmup: warm.latency, warmupMessages: api.messages(WARMUP_CHANNEL).length, sent, cpu, windowS: (end - t0) / 1000, drained, idleRssMb: idleRss, peakRssMb: peak, sampledMaxRssMb: sampled.max, rssTimeline: sampled.timeline, channels, failedCalls, violations: api.violations.length, groups: checkBotGroups(stream, api) };
  } finally {
    await bot.stop();
    await api.close();
    // The run's keys only.
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
    r.disconnect();
  }
}

interface AmRun {
  readonly sent: Sent;
  readonly windowS: number;
  readonly peakRssMb: number;
  readonly channels: Record<string, ChannelRate>;
  readonly groups: { lost: string[]; misrouted: string[] };
  readonly config: string;
}

function alertmanagerBinary(): { path: string } | { error: string } {
  const given = process.env['ALERTMANAGER_BIN'];
  if (given !== undefined && given !== '' && existsSync(given)) return { path: given };
  const dir = `${process.env['CHATOPS_K8S_CACHE'] ?? `${homedir()}/.cache/chatops-k8s`}/alertmanager-${AM_VERSION}`;
  const path = `${dir}/alertmanager`;
  if (existsSync(path) && existsSync(`${dir}/.complete`)) return { path };
  try {
    process.stderr.write('building Alertmanager (scripts/alertmanager/build.sh, a few minutes)…\n');
    execFileSync('bash', ['scripts/alertmanager/build.sh'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AM_VERSION } });
    return existsSync(path) ? { path } : { error: 'the build left no binary' };
  } catch (e) {
    return { error: `scripts/alertmanager/build.sh failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

async function runAlertmanager(binary: string, stream: Stream, windowS: number): Promise<AmRun> {
  const hooks = await startFakeSlackWebhooks();
  const port = await freePort();
  const dir = `.data/p4-am/${randomBytes(3).toString('hex')}`;
  mkdirSync(dir, { recursive: true });
  const config = alertmanagerConfig(hooks.url);
  writeFileSync(`${dir}/alertmanager.yml`, config);
  let am: Child | undefined;
  try {
    am = startProgram(binary, [`--config.file=${dir}/alertmanager.yml`, `--storage.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn']);
    const base = `http://127.0.0.1:${port}`;
    if (!(await until(async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200, 30_000))) throw new Error(`Alertmanager did not get ready:\n${am.output.join('\n')}`);
    const pid = am.proc.pid ?? 0;
    const ok = (status: number) => status === 200;
    await warmUp((items, startPerf) => pace(`${base}/api/v2/alerts`, { 'content-type': 'application/json' }, items, startPerf, ok), apiItems);
    const t0 = Date.now() + 300;
    const startPerf = performance.now() + 300;
    const sent = await pace(`${base}/api/v2/alerts`, { 'content-type': 'application/json' }, apiItems(stream.fingerprints, stream.payloads, t0), startPerf, ok);
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + windowS * 1000 - Date.now())));
    const peak = peakRssMb(pid);
    const posts = hooks.posts.filter((p) => p.at <= t0 + windowS * 1000);
    const channels: Record<string, ChannelRate> = {};
    for (const t of TEAMS) channels[t] = rateOf(posts.filter((p) => p.hook === t).map((p) => p.at), t0);
    return { sent, windowS, peakRssMb: peak, channels, groups: checkAmGroups(stream, posts), config };
  } finally {
    await am?.stop();
    await hooks.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function p4(opts: { seed?: number; maxObserveSeconds?: number; alertmanager?: boolean; devForm?: boolean } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const stream = makeStream({ ...DEFAULT_STREAM, seed: opts.seed ?? DEFAULT_STREAM.seed });
  const flags = imageNodeFlags(readFileSync('Dockerfile', 'utf8'));
  execFileSync('bash', ['scripts/build.sh', BUILD], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bot = await runBot(stream, opts.maxObserveSeconds ?? 240, { script: `${BUILD}/src/cli/chatops.js`, nodeFlags: flags });
  const dev = opts.devForm === false ? undefined : await runBot(stream, opts.maxObserveSeconds ?? 240, { script: 'src/cli/chatops.ts', nodeFlags: [] });
  const bin = opts.alertmanager === false ? { error: 'not run (alertmanager: false)' } : alertmanagerBinary();
  // The same window as the bot's, and at least long enough for Alertmanager's first flushes.
  const amWindow = Math.max(bot.windowS, 30 + DEFAULT_STREAM.releaseMs / 1000 + 10);
  const am = 'path' in bin ? await runAlertmanager(bin.path, stream, amWindow) : undefined;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const botCh = Object.values(bot.channels);
  const botMsgs = sum(botCh.map((c) => c.messages));
  const botMax = Math.max(...botCh.map((c) => c.maxIn1s));
  const botAvg = sum(botCh.map((c) => c.avgPerSecond)) / botCh.length;
  const amCh = am === undefined ? [] : Object.values(am.channels);
  const amMsgs = sum(amCh.map((c) => c.messages));
  const amMax = Math.max(...amCh.map((c) => c.maxIn1s));
  const naive = stream.total;
  const naiveMax = Math.max(...TEAMS.map((t) => stream.payloads.filter((p) => p.team === t).reduce((n, p) => n + p.alerts.length, 0))) / stream.options.seconds;
  const groupsN = stream.groups.length;
  const amNote = am === undefined ? `naive (Alertmanager: ${'error' in bin ? bin.error : '?'})` : '';
  const lat = bot.sent.latency;
  const rows: Row[] = [
    {
      measure: `P4 ingest p50 / p99 per payload (ms, n=${lat.n})`,
      bot: `${fmt(lat.p50)} / ${fmt(lat.p99)}${bot.sent.errors > 0 ? ` (${bot.sent.errors} errors)` : ''}`,
      baseline: am === undefined ? '—' : `${fmt(am.sent.latency.p50)} / ${fmt(am.sent.latency.p99)} (Alertmanager API)`,
      ratio: am === undefined ? '—' : `${fmt(lat.p99 / am.sent.latency.p99)}x p99`,
      target: 'p99 <= 20 ms',
      met: lat.p99 <= 20 && bot.sent.errors === 0,
    },
    {
      measure: 'P4 max msgs / channel in any 1 s (avg)',
      bot: `${botMax} (${fmt(botAvg, 2)})`,
      baseline: am === undefined ? `${fmt(naiveMax, 0)} naive` : `${amMax} (Alertmanager)`,
      ratio: am === undefined ? `${fmt(botMax / naiveMax, 3)}x` : `${fmt(botMax / amMax, 2)}x`,
      target: '<= 1 /s',
      met: botMax <= 1,
    },
    {
      measure: `P4 groups lost (of ${groupsN})`,
      bot: `${bot.groups.lost.length}${bot.groups.misrouted.length > 0 ? ` (+${bot.groups.misrouted.length} misrouted)` : ''}`,
      baseline: am === undefined ? '—' : `${am.groups.lost.length} (Alertmanager)`,
      ratio: '—',
      target: '0',
      met: bot.groups.lost.length === 0 && bot.groups.misrouted.length === 0 && bot.drained,
    },
    {
      measure: `P4 peak RSS (MB, VmHWM; image form: node ${flags.join(' ')})`,
      bot: fmt(bot.peakRssMb),
      baseline: am === undefined ? '—' : `${fmt(am.peakRssMb)} (Alertmanager)`,
      ratio: am === undefined ? '—' : `${fmt(bot.peakRssMb / am.peakRssMb, 2)}x`,
      target: '<= 250 MB',
      met: bot.peakRssMb <= 250,
    },
    ...(dev === undefined
      ? []
      : [
          {
            measure: 'P4 development form (node src/cli/chatops.ts serve): ingest p99 (ms) / peak RSS (MB)',
            bot: `${fmt(dev.sent.latency.p99)} / ${fmt(dev.peakRssMb)}`,
            baseline: am === undefined ? '—' : `${fmt(am.sent.latency.p99)} / ${fmt(am.peakRssMb)}`,
            ratio: '—',
            target: '—',
            met: undefined,
          },
        ]),
    {
      measure: `P4 messages in ${fmt(bot.windowS, 0)} s vs Alertmanager`,
      bot: `${botMsgs} (${sum(botCh.map((c) => c.posts))} posts, ${sum(botCh.map((c) => c.replies))} of them in threads; ${sum(botCh.map((c) => c.edits))} edits)`,
      baseline: am === undefined ? amNote : `${amMsgs} (Slack notifier)`,
      ratio: am === undefined ? '—' : `${fmt(botMsgs / amMsgs, 2)}x`,
      target: '—',
      met: undefined,
    },
    {
      measure: 'P4 messages vs naive 1 per alert',
      bot: String(botMsgs),
      baseline: `${naive} (naive bridge)`,
      ratio: `${fmt(botMsgs / naive, 3)}x`,
      target: '—',
      met: undefined,
    },
  ];
  return {
    rows,
    raw: {
      stream: { options: stream.options, payloads: stream.payloads.length, alerts: stream.total, groups: groupsN, perTeam: stream.perTeam },
      botConfig: botConfig(),
      nodeFlags: flags,
      bot,
      dev,
      alertmanager: am ?? { unavailable: 'error' in bin ? bin.error : undefined },
      naive: { total: naive, perTeam: Object.fromEntries(TEAMS.map((t) => [t, stream.perTeam[t]?.alerts ?? 0])), maxPerChannelPerSecond: naiveMax },
    },
  };
}
