import { createHash, randomUUID } from 'node:crypto';
import { runLoop, type Loop } from '../loop.ts';
import type { Log } from '../log.ts';
import type { Outbox } from '../notify/outbox.ts';
import type { Services } from '../service/services.ts';
import { countAlertMessage, countAlertReceived, countAlertStorm } from '../server/alert-metrics.ts';
import type { Metrics } from '../server/metrics.ts';
import { findCorrelation } from './correlation.ts';
import { groupBase, groupValues } from './fingerprint.ts';
import { alertLinks } from './links.ts';
import { alertKey, alertLine, changesMessage, clockTime, ago, detailsMessage, distinguishing, groupMessage, groupTitle, noteMessage, stormMessage, type Correlation, type GroupView, type StormEntry } from './message.ts';
import { firstLabel, type Alert } from './model.ts';
import { configRoutes, deliveries, routingLabels, subscriptionRoute, type Route } from './routing.ts';
import { AlertStore, type GroupOp, type GroupRecord, type Transition } from './store.ts';
import { StormGate } from './storm.ts';
import { Subscriptions } from './subscriptions.ts';

/**
 * From received alerts to chat messages. `ingest` records each alert (dedup by fingerprint)
 * and puts new ones into their groups, one group per channel, route and group-by values;
 * `flushOnce` builds the messages of the groups whose time has come: after the group wait the
 * first time (or into the channel's storm summary), soon after every change, and at the
 * repeat interval while nobody acknowledged. Every replica runs the flusher; Redis hands each
 * due group to one of them.
 */
export interface AlertEngineOptions {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly log: Log;
  readonly now?: () => number;
  /** How soon after a change a posted group's message is edited (bursts coalesce). */
  readonly editDelayMs?: number;
  /** How often the flusher looks for due groups. */
  readonly pollMs?: number;
  readonly metrics?: Metrics | undefined;
}

export interface IngestResult {
  readonly received: number;
  readonly new: number;
  readonly resolved: number;
  readonly unchanged: number;
}

/** The view of a group that the message builder needs, read from the store. */
export async function loadGroupView(s: Services, store: AlertStore, g: GroupRecord, now: number): Promise<{ view: GroupView; alerts: Alert[] }> {
  const members = await store.members(g.id);
  const fps = Object.keys(members);
  const stored = await store.alerts(fps);
  const alerts = fps
    .map((fp) => {
      const a = stored.get(fp);
      const status = members[fp] ?? 'firing';
      return a === undefined ? undefined : { ...a, status };
    })
    .filter((a): a is Alert => a !== undefined)
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.fingerprint.localeCompare(b.fingerprint));
  const cfg = s.config.alerts;
  const labels = alerts.map((a) => routingLabels(a, cfg));
  const pick = (name: 'env' | 'app'): string | undefined => {
    const values = new Set(labels.map((l) => l[name]));
    const v = [...values][0];
    return values.size === 1 && v !== undefined && v !== '' ? v : undefined;
  };
  const env = pick('env');
  const app = pick('app');
  const correlation = g.correlation === undefined || g.correlation === '' ? undefined : (JSON.parse(g.correlation) as Correlation);
  const view: GroupView = {
    id: g.id,
    values: g.values,
    alerts,
    createdAt: g.createdAt,
    now,
    ack: g.ackBy === undefined ? undefined : { by: g.ackBy, at: g.ackAt ?? now },
    silence: g.silencedBy === undefined ? undefined : { by: g.silencedBy, until: g.silencedUntil ?? now },
    correlation,
    links: alertLinks({ alerts, env, app, jobId: correlation?.opId }, s.config.links, cfg),
    env,
    app,
  };
  return { view, alerts };
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

export class AlertEngine {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly store: AlertStore;
  readonly storm: StormGate;
  readonly subs: Subscriptions;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly editDelayMs: number;
  private readonly pollMs: number;
  private readonly metrics: Metrics | undefined;
  private routeCache: { at: number; routes: Route[] } | undefined;

  constructor(o: AlertEngineOptions) {
    this.s = o.s;
    this.outbox = o.outbox;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.editDelayMs = o.editDelayMs ?? 1000;
    this.pollMs = o.pollMs ?? 250;
    this.metrics = o.metrics;
    this.store = new AlertStore(o.s.redis, o.s.prefix);
    this.storm = new StormGate(o.s.redis, o.s.prefix);
    this.subs = new Subscriptions(o.s.redis, o.s.prefix);
  }

  /** Config routes, then chat subscriptions; re-read at most every second. */
  async routes(): Promise<Route[]> {
    const now = this.now();
    if (this.routeCache !== undefined && now - this.routeCache.at < 1000) return this.routeCache.routes;
    const cfg = this.s.config.alerts;
    const routes = [...configRoutes(cfg), ...(await this.subs.all()).map((sub) => subscriptionRoute(cfg, sub))];
    this.routeCache = { at: now, routes };
    return routes;
  }

  /** Forget cached routes (after /subscribe). */
  invalidateRoutes(): void {
    this.routeCache = undefined;
  }

  /**
   * Records the alerts and puts the new ones into their groups. A payload goes to Redis in three
   * round trips rather than a few per alert (bench P4: 10,000 alerts in 10 s): the records of a
   * run of distinct fingerprints in one Lua step, then the groups of its resolved alerts, then
   * every join and member update in payload order, pipelined. A fingerprint repeated within the
   * payload starts a new run, so it sees its earlier copy applied, as if the alerts had come
   * one by one.
   */
  async ingest(alerts: readonly Alert[]): Promise<IngestResult> {
    let fresh = 0;
    let resolved = 0;
    let unchanged = 0;
    for (const run of distinctRuns(alerts)) {
      for (const t of await this.ingestRun(run)) {
        if (t === 'new' || t === 'refire') fresh++;
        else if (t === 'resolved') resolved++;
        else unchanged++;
      }
    }
    return { received: alerts.length, new: fresh, resolved, unchanged };
  }

  private async ingestRun(run: readonly Alert[]): Promise<Transition[]> {
    const ts = await this.store.upsertAlerts(run);
    run.forEach((a, i) => countAlertReceived(this.metrics, a.source, ts[i] ?? 'same'));
    const changed = run.filter((_, i) => ts[i] === 'resolved' || ts[i] === 'count');
    const groupsOf = await this.store.groupsOfMany(changed.map((a) => a.fingerprint));
    const routes = ts.some((t) => t === 'new' || t === 'refire') ? await this.routes() : [];
    const now = this.now();
    const ops: GroupOp[] = [];
    run.forEach((a, i) => {
      const t = ts[i];
      if (t === 'new' || t === 'refire') {
        const labels = routingLabels(a, this.s.config.alerts);
        for (const d of deliveries(labels, routes)) {
          const values = groupValues(labels, d.route.groupBy);
          ops.push({
            kind: 'join',
            base: groupBase(d.channel, d.route.id, values),
            channel: d.channel,
            routeId: d.route.id,
            values,
            alert: a,
            now,
            groupWaitMs: d.route.groupWaitMs,
            repeatIntervalMs: d.route.repeatIntervalMs,
            editDelayMs: this.editDelayMs,
          });
        }
      } else if (t === 'resolved' || t === 'count') {
        for (const gid of groupsOf.get(a.fingerprint) ?? []) ops.push({ kind: 'update', gid, alert: a, now, dueAt: now + this.editDelayMs, event: t === 'resolved' });
      }
    });
    await this.store.applyGroupOps(ops);
    return ts;
  }

  /** One pass over the due groups; returns how many were handled. */
  async flushOnce(): Promise<number> {
    const ids = await this.store.claimDue(this.now());
    const storms = new Map<string, { channel: string; epoch: number; added: string[] }>();
    for (const id of ids) {
      try {
        await this.flushGroup(id, storms);
      } catch (e) {
        // The claim runs out and another pass (here or on another replica) tries again.
        this.log.error({ err: e, group: id }, 'alert group flush failed');
      }
    }
    for (const st of storms.values()) {
      try {
        await this.refreshStorm(st.channel, st.epoch, st.added);
      } catch (e) {
        this.log.error({ err: e, channel: st.channel }, 'storm summary failed');
      }
    }
    return ids.length;
  }

  private stormLimit(channel: string): number {
    const st = this.s.config.alerts.storm;
    return st.channels[channel] ?? st.newGroupsPerMinute;
  }

  private async flushGroup(id: string, storms: Map<string, { channel: string; epoch: number; added: string[] }>): Promise<void> {
    const now = this.now();
    const g = await this.store.group(id);
    if (g === undefined || g.state === 'closed') {
      await this.store.finish(id, g?.version ?? 0, undefined, now);
      return;
    }
    const events = await this.store.events(id);
    let { view, alerts } = await loadGroupView(this.s, this.store, g, now);
    const firing = alerts.filter((a) => a.status === 'firing');
    const channel = g.channel;
    const key = alertKey(id);
    let posted = g.posted;

    if (posted === 'no') {
      if (firing.length === 0) {
        // Everything resolved within the group wait: nobody needs to hear about it.
        if (await this.store.close(id, g.version, now)) await this.store.finish(id, g.version, undefined, now);
        else await this.store.finish(id, g.version, now, now);
        return;
      }
      const correlation = view.app !== undefined && view.env !== undefined ? await findCorrelation(this.s, view.app, view.env, g.createdAt, this.s.config.alerts.correlation.window.seconds * 1000) : undefined;
      if (correlation !== undefined) {
        await this.store.setFields(id, { correlation: JSON.stringify(correlation) });
        ({ view, alerts } = await loadGroupView(this.s, this.store, { ...g, correlation: JSON.stringify(correlation) }, now));
      }
      const d = await this.storm.decide(channel, id, { now, limit: this.stormLimit(channel), quietMs: this.s.config.alerts.storm.quietFor.seconds * 1000 });
      if (d.kind === 'own') {
        posted = 'own';
        await this.store.setFields(id, { posted: 'own', lastRemindAt: String(now) });
        await this.outbox.upsert(channel, key, groupMessage(view));
        countAlertMessage(this.metrics, channel, 'posted');
        await this.outbox.post(channel, detailsMessage(id, alerts), { threadKey: key, dedupeId: `${channel}:${key}:details` });
      } else {
        posted = 'storm';
        countAlertStorm(this.metrics, channel, d.started);
        await this.store.setFields(id, { posted: 'storm', stormKey: String(d.epoch) });
        const st = storms.get(`${channel}\n${d.epoch}`) ?? { channel, epoch: d.epoch, added: [] };
        st.added.push(id);
        storms.set(`${channel}\n${d.epoch}`, st);
      }
      await this.store.dropEvents(id, events.length);
    } else if (posted === 'own') {
      await this.outbox.upsert(channel, key, groupMessage(view));
      countAlertMessage(this.metrics, channel, 'updated');
      const lines: string[] = [];
      const show = distinguishing(alerts, new Set(['alertname', ...Object.keys(g.values)]));
      for (const e of events) {
        const a = alerts.find((x) => x.fingerprint === e.fp);
        if (a === undefined) continue;
        lines.push(`${e.kind === 'firing' ? 'New' : 'Resolved'} at ${clockTime(e.at)}: ${alertLine({ ...a, status: e.kind }, show)}`);
      }
      if (lines.length > 0) {
        const dedupe = digest(events.map((e) => `${e.fp}|${e.kind}|${e.startsAt}|${e.at}`));
        await this.outbox.post(channel, changesMessage(id, lines), { threadKey: key, dedupeId: `${channel}:${key}:changes:${dedupe}` });
      }
      await this.store.dropEvents(id, events.length);
    } else {
      const epoch = Number(g.stormKey ?? '0');
      if (!storms.has(`${channel}\n${epoch}`)) storms.set(`${channel}\n${epoch}`, { channel, epoch, added: [] });
      await this.store.dropEvents(id, events.length);
    }

    if (firing.length === 0) {
      if (!(await this.store.close(id, g.version, now))) {
        await this.store.finish(id, g.version, now, now);
        return;
      }
      if (posted === 'own') {
        await this.outbox.post(channel, noteMessage('All resolved', 'succeeded', `All ${alerts.length} alert(s) of this group resolved, ${ago(g.createdAt, now)} after the first fired.`, id), { threadKey: key, dedupeId: `${channel}:${key}:resolved` });
      }
      await this.store.finish(id, g.version, undefined, now);
      return;
    }

    let next: number | undefined;
    const silenced = g.silencedUntil !== undefined && g.silencedUntil > now;
    if (posted === 'own' && g.ackBy === undefined && !silenced && g.repeatIntervalMs > 0) {
      let last = g.lastRemindAt ?? now;
      if (now - last >= g.repeatIntervalMs) {
        last = now;
        await this.store.setFields(id, { lastRemindAt: String(now) });
        const text = `Still firing: ${firing.length} alert(s) of ${groupTitle(view)}, since ${clockTime(g.createdAt)}. Acknowledge to stop these reminders.`;
        await this.outbox.post(channel, noteMessage('Still firing', 'failed', text, id), { threadKey: key, dedupeId: `${channel}:${key}:remind:${Math.floor(now / g.repeatIntervalMs)}` });
      }
      next = last + g.repeatIntervalMs;
    }
    if (silenced) next = g.silencedUntil;
    await this.store.finish(id, g.version, next, now);
  }

  /** Rebuilds a storm's summary; `added` groups are listed in its thread in one reply. */
  async refreshStorm(channel: string, epoch: number, added: readonly string[]): Promise<void> {
    const ids = await this.storm.members(channel, epoch);
    const now = this.now();
    const entries: StormEntry[] = [];
    for (const gid of ids) {
      const g = await this.store.group(gid);
      if (g === undefined) continue;
      const members = Object.values(await this.store.members(gid));
      const { view } = await loadGroupView(this.s, this.store, g, now);
      entries.push({ id: gid, title: groupTitle(view), firing: members.filter((m) => m === 'firing').length, total: members.length });
    }
    const started = Number((await this.s.redis.zrange(this.storm.membersKey(channel, epoch), '0', '0', 'WITHSCORES'))[1] ?? now);
    const key = StormGate.summaryKey(epoch);
    await this.outbox.upsert(channel, key, stormMessage(this.stormLimit(channel), entries, now, started));
    countAlertMessage(this.metrics, channel, 'storm_summary');
    if (added.length > 0) {
      const lines = added.map((gid) => {
        const e = entries.find((x) => x.id === gid);
        return e === undefined ? gid : `${e.title} (${e.total} alert${e.total === 1 ? '' : 's'}) ${gid}`;
      });
      await this.outbox.post(channel, changesMessage(`storm ${epoch}`, lines.map((l) => `Added: ${l}`)), { threadKey: key, dedupeId: `${channel}:${key}:added:${digest([...added].sort())}` });
    }
  }

  /** Flushes due groups until stopped: at once again while there was work, else after pollMs. */
  run(): Loop {
    return runLoop(async () => ((await this.flushOnce()) > 0 ? 0 : this.pollMs), { errorWaitMs: this.pollMs, onError: (e) => this.log.error({ err: e }, 'alert flusher') });
  }
}

/** env / app of an alert after the configured aliases (for policy and correlation). */
export function placeOf(a: Pick<Alert, 'labels'>, cfg: Services['config']['alerts']): { env: string | undefined; app: string | undefined } {
  return { env: firstLabel(a.labels, ['env', ...cfg.labels.env]), app: firstLabel(a.labels, ['app', ...cfg.labels.app]) };
}

export function newOwner(): string {
  return `alerts-${randomUUID()}`;
}

/** The alerts cut, in order, into runs in which no fingerprint repeats (a repeat starts the next run). */
export function distinctRuns<T extends { readonly fingerprint: string }>(alerts: readonly T[]): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let seen = new Set<string>();
  for (const a of alerts) {
    if (seen.has(a.fingerprint)) {
      runs.push(run);
      run = [];
      seen = new Set();
    }
    run.push(a);
    seen.add(a.fingerprint);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
