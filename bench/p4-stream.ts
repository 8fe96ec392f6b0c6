import { createHash } from 'node:crypto';

/**
 * The P4 alert storm as data, deterministic for a seed (pure): 500 fingerprints (distinct label
 * sets) over 5 teams, each team routed to its own channel, and 10,000 alert instances in 10 s,
 * cut into Alertmanager-like webhook payloads of 1 to 50 alerts of one team each, at a steady
 * pace. Every payload repeats alerts already sent (as Alertmanager re-sends a group's alerts
 * with each notification), and some alerts resolve and some of those fire again (a new start).
 *
 * Each fingerprint is released (starts firing) at a random time in the first 6 s; a payload of
 * team T at time t takes T's released alerts, first those whose state changed since they were
 * last sent (new, resolved, fired again), then a random pick of the rest, as they stand at t.
 * Within each group (alertname, env, app) the first alert to fire never resolves, so every
 * group has something firing at the end and must be shown.
 */
export const TEAMS = ['payments', 'search', 'checkout', 'platform', 'data'] as const;
export const APPS = ['api', 'web', 'worker', 'db', 'cache'] as const;
export const ALERTNAMES: readonly { readonly name: string; readonly severity: string }[] = [
  { name: 'HighErrorRate', severity: 'critical' },
  { name: 'HighLatency', severity: 'warning' },
  { name: 'PodCrashLooping', severity: 'critical' },
  { name: 'DiskFillingUp', severity: 'warning' },
  { name: 'TargetDown', severity: 'critical' },
];

export interface StreamOptions {
  readonly seed: number;
  readonly fingerprints: number;
  readonly alerts: number;
  readonly seconds: number;
  readonly maxPerPayload: number;
  /** Fingerprints start firing within this many ms of the start. */
  readonly releaseMs: number;
  /** Share of (non-anchor) fingerprints that resolve; half of those fire again. */
  readonly resolveShare: number;
}

export const DEFAULT_STREAM: StreamOptions = { seed: 4, fingerprints: 500, alerts: 10_000, seconds: 10, maxPerPayload: 50, releaseMs: 6000, resolveShare: 0.2 };

export interface Fingerprint {
  readonly fp: string;
  readonly team: string;
  /** The group, as the bot's default groupBy (alertname, env, app) makes it within a channel. */
  readonly group: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly releaseMs: number;
  readonly resolveMs?: number | undefined;
  readonly refireMs?: number | undefined;
}

export interface StreamAlert {
  readonly fp: string;
  readonly status: 'firing' | 'resolved';
  /** Offsets from the stream's start (ms). */
  readonly startsAtMs: number;
  readonly endsAtMs?: number | undefined;
}

export interface Payload {
  /** When it is due, ms after the stream's start. */
  readonly atMs: number;
  readonly team: string;
  readonly alerts: readonly StreamAlert[];
}

export interface Group {
  readonly key: string;
  readonly team: string;
  readonly alertname: string;
  readonly env: string;
  readonly app: string;
  /** The fingerprints of the group that were sent at least once. */
  readonly fps: readonly string[];
  /** How many of them were firing as last sent. */
  readonly firingAtEnd: number;
}

export interface Stream {
  readonly options: StreamOptions;
  readonly fingerprints: ReadonlyMap<string, Fingerprint>;
  readonly payloads: readonly Payload[];
  readonly groups: readonly Group[];
  /** Alert instances per team (a naive bridge's messages), and their kinds. */
  readonly perTeam: Readonly<Record<string, { readonly alerts: number; readonly firing: number; readonly resolved: number }>>;
  readonly total: number;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error('empty choice');
  return x;
}

export function groupKey(team: string, alertname: string, env: string, app: string): string {
  return `${team}/${alertname}/${env}/${app}`;
}

function makeFingerprints(o: StreamOptions): Map<string, Fingerprint> {
  const r = rng(o.seed);
  const drafts = [];
  for (let i = 0; i < o.fingerprints; i++) {
    const team = TEAMS[i % TEAMS.length] ?? 'payments';
    const app = `${team}-${pick(r, APPS)}`;
    const an = pick(r, ALERTNAMES);
    const env = 'prod';
    const labels = { alertname: an.name, severity: an.severity, team, env, app, namespace: `${team}-prod`, instance: `10.${TEAMS.indexOf(team)}.${Math.floor(i / 250)}.${i % 250}:9100`, job: app };
    const fp = createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16);
    drafts.push({ fp, team, group: groupKey(team, an.name, env, app), labels, annotations: { summary: `${an.name} on ${labels.instance}`, runbook_url: `https://runbooks.example.com/${an.name}` }, releaseMs: Math.floor(r() * o.releaseMs) });
  }
  // The first of each group to fire is its anchor: it never resolves.
  const anchors = new Map<string, string>();
  for (const d of [...drafts].sort((a, b) => a.releaseMs - b.releaseMs)) if (!anchors.has(d.group)) anchors.set(d.group, d.fp);
  const out = new Map<string, Fingerprint>();
  const end = o.seconds * 1000;
  for (const d of drafts) {
    let resolveMs: number | undefined;
    let refireMs: number | undefined;
    if (anchors.get(d.group) !== d.fp && r() < o.resolveShare) {
      const from = d.releaseMs + 1000;
      const to = end - 1000;
      if (from < to) {
        resolveMs = Math.floor(from + r() * (to - from));
        if (r() < 0.5 && resolveMs + 500 < end - 500) refireMs = Math.floor(resolveMs + 500 + r() * (end - 500 - resolveMs - 500));
      }
    }
    out.set(d.fp, { ...d, resolveMs, refireMs });
  }
  return out;
}

/** The alert as a sender would report it at `t` (ms), or undefined before it fired. */
export function stateAt(f: Fingerprint, t: number): StreamAlert | undefined {
  if (t < f.releaseMs) return undefined;
  if (f.refireMs !== undefined && t >= f.refireMs) return { fp: f.fp, status: 'firing', startsAtMs: f.refireMs };
  if (f.resolveMs !== undefined && t >= f.resolveMs) return { fp: f.fp, status: 'resolved', startsAtMs: f.releaseMs, endsAtMs: f.resolveMs };
  return { fp: f.fp, status: 'firing', startsAtMs: f.releaseMs };
}

function same(a: StreamAlert | undefined, b: StreamAlert): boolean {
  return a !== undefined && a.status === b.status && a.startsAtMs === b.startsAtMs;
}

/** Payloads at a steady pace for `count` of them; may hold more alerts than wanted (trimmed after). */
function payloadsFor(o: StreamOptions, fps: ReadonlyMap<string, Fingerprint>, count: number): Payload[] {
  const r = rng(o.seed * 7919 + count);
  const byTeam = new Map<string, Fingerprint[]>();
  for (const f of fps.values()) byTeam.set(f.team, [...(byTeam.get(f.team) ?? []), f]);
  const lastSent = new Map<string, StreamAlert>();
  const out: Payload[] = [];
  for (let k = 0; k < count; k++) {
    const at = Math.floor((k * o.seconds * 1000) / count);
    const teams = TEAMS.filter((t) => (byTeam.get(t) ?? []).some((f) => f.releaseMs <= at));
    if (teams.length === 0) continue;
    const team = pick(r, teams);
    const pool = (byTeam.get(team) ?? []).map((f) => stateAt(f, at)).filter((a): a is StreamAlert => a !== undefined);
    const changed = pool.filter((a) => !same(lastSent.get(a.fp), a));
    const rest = pool.filter((a) => same(lastSent.get(a.fp), a));
    // Fisher–Yates on the repeats: a random handful of what is already known.
    for (let i = rest.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [rest[i], rest[j]] = [rest[j] as StreamAlert, rest[i] as StreamAlert];
    }
    const size = 1 + Math.floor(r() * o.maxPerPayload);
    const alerts = [...changed, ...rest].slice(0, size);
    for (const a of alerts) lastSent.set(a.fp, a);
    out.push({ atMs: at, team, alerts });
  }
  return out;
}

export function makeStream(o: StreamOptions = DEFAULT_STREAM): Stream {
  const fps = makeFingerprints(o);
  // The fewest payloads (at an even pace over the duration) that carry the wanted alerts.
  let count = Math.ceil(o.alerts / ((o.maxPerPayload + 1) / 2));
  let payloads = payloadsFor(o, fps, count);
  while (payloads.reduce((n, p) => n + p.alerts.length, 0) < o.alerts) payloads = payloadsFor(o, fps, ++count);
  // Trim the excess off the end.
  let excess = payloads.reduce((n, p) => n + p.alerts.length, 0) - o.alerts;
  while (excess > 0) {
    const last = payloads.at(-1);
    if (last === undefined) break;
    const keep = Math.max(0, last.alerts.length - excess);
    excess -= last.alerts.length - keep;
    payloads = keep === 0 ? payloads.slice(0, -1) : [...payloads.slice(0, -1), { ...last, alerts: last.alerts.slice(0, keep) }];
  }
  // What was sent, as last sent: the groups and their state at the end.
  const last = new Map<string, StreamAlert>();
  const perTeam: Record<string, { alerts: number; firing: number; resolved: number }> = {};
  for (const p of payloads) {
    const t = (perTeam[p.team] ??= { alerts: 0, firing: 0, resolved: 0 });
    for (const a of p.alerts) {
      last.set(a.fp, a);
      t.alerts++;
      if (a.status === 'firing') t.firing++;
      else t.resolved++;
    }
  }
  const groups = new Map<string, { team: string; alertname: string; env: string; app: string; fps: string[]; firing: number }>();
  for (const [fp, a] of last) {
    const f = fps.get(fp);
    if (f === undefined) continue;
    const g = groups.get(f.group) ?? { team: f.team, alertname: f.labels['alertname'] ?? '', env: f.labels['env'] ?? '', app: f.labels['app'] ?? '', fps: [], firing: 0 };
    g.fps.push(fp);
    if (a.status === 'firing') g.firing++;
    groups.set(f.group, g);
  }
  return {
    options: o,
    fingerprints: fps,
    payloads,
    groups: [...groups.entries()].map(([key, g]) => ({ key, team: g.team, alertname: g.alertname, env: g.env, app: g.app, fps: g.fps, firingAtEnd: g.firing })).sort((a, b) => a.key.localeCompare(b.key)),
    perTeam,
    total: payloads.reduce((n, p) => n + p.alerts.length, 0),
  };
}

/**
 * A warm-up before the storm, so the storm does not measure the first-ever webhook (the JIT,
 * zod compiling its parsers, the first Lua script loads): 40 payloads of 20 alerts in 2 s, of
 * team "warmup", that fire and then all resolve well within the group wait, so their groups
 * close without a message.
 */
export function makeWarmup(): { readonly fingerprints: ReadonlyMap<string, Fingerprint>; readonly payloads: readonly Payload[] } {
  const fps = new Map<string, Fingerprint>();
  for (let i = 0; i < 200; i++) {
    const labels = { alertname: 'BenchWarmup', severity: 'info', team: 'warmup', env: 'prod', app: `warmup-${i % 10}`, instance: `10.99.0.${i}:9100` };
    const fp = createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest('hex').slice(0, 16);
    fps.set(fp, { fp, team: 'warmup', group: groupKey('warmup', 'BenchWarmup', 'prod', labels.app), labels, annotations: { summary: 'warm-up' }, releaseMs: 0 });
  }
  const list = [...fps.keys()];
  const payloads: Payload[] = [];
  for (let k = 0; k < 40; k++) {
    const resolving = k >= 20;
    const from = ((resolving ? k - 20 : k) * 10) % list.length;
    const alerts = list.slice(from, from + 20).map((fp): StreamAlert => (resolving ? { fp, status: 'resolved', startsAtMs: 0, endsAtMs: 1000 } : { fp, status: 'firing', startsAtMs: 0 }));
    payloads.push({ atMs: k * 50, team: 'warmup', alerts });
  }
  return { fingerprints: fps, payloads };
}
