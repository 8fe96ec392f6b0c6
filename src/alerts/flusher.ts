import { createHash } from 'node:crypto';
import { runLoop, type Loop } from '../loop.ts';
import type { Log } from '../log.ts';
import type { Outbox } from '../notify/outbox.ts';
import type { Services } from '../service/services.ts';
import { countAlertMessage, countAlertStorm } from '../server/alert-metrics.ts';
import type { Metrics } from '../server/metrics.ts';
import { findCorrelation } from './correlation.ts';
import { loadGroupView } from './group-view.ts';
import { alertKey, alertLine, changesMessage, clockTime, ago, detailsMessage, distinguishing, groupMessage, groupTitle, noteMessage, stormMessage, type StormEntry } from './message.ts';
import { AlertStore } from './store.ts';
import { StormGate } from './storm.ts';

/**
 * From alert groups to chat messages: `flushOnce` builds the messages of the groups whose time
 * has come (src/alerts/engine.ts put alerts into them): after the group wait the first time (or
 * into the channel's storm summary), soon after every change, and at the repeat interval while
 * nobody acknowledged. Every replica runs a flusher; Redis hands each due group to one of them.
 */
export interface AlertFlusherOptions {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly log: Log;
  readonly now?: () => number;
  /** How often the flusher looks for due groups. */
  readonly pollMs?: number;
  readonly metrics?: Metrics | undefined;
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

export class AlertFlusher {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly store: AlertStore;
  readonly storm: StormGate;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly metrics: Metrics | undefined;

  constructor(o: AlertFlusherOptions) {
    this.s = o.s;
    this.outbox = o.outbox;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.pollMs = o.pollMs ?? 250;
    this.metrics = o.metrics;
    this.store = new AlertStore(o.s.redis, o.s.prefix);
    this.storm = new StormGate(o.s.redis, o.s.prefix);
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
