import { parseDuration } from '../core/duration.ts';
import { message, type Message } from '../core/message.ts';
import { decide } from '../core/policy.ts';
import type { Outbox } from '../notify/outbox.ts';
import type { Services } from '../service/services.ts';
import { loadGroupView } from './group-view.ts';
import { alertKey, clockTime, groupTitle, noteMessage, type Correlation } from './message.ts';
import { createSilence, silenceMatchers, type SilenceMatcher } from './silences.ts';
import { AlertStore } from './store.ts';

/**
 * What people do to alerts, from buttons or typed commands: acknowledge, silence, roll back
 * the change an alert followed. Each is asked of the normal policy with its verb (`ack`,
 * `silence`, `rollback`) and the alert's environment and app, so access rules decide who may.
 * The rollback is a request like a typed one: rollbackRequest says what to submit, and the
 * dispatcher (src/service/dispatch.ts) submits it, so approvals and locks apply to it.
 */
const SILENCE_MAX_SECONDS = 7 * 24 * 3600;

/** The policy's refusal, or undefined when allowed. A rule that asks for approval refuses here (these act at once). */
export async function refusal(s: Services, actor: string | undefined, verb: string, env: string | undefined, app: string | undefined): Promise<string | undefined> {
  const now = s.clock();
  const { locks, freezes } = await s.policyState(now);
  const d = decide({ actor, verb, env, apps: app === undefined ? [] : [app] }, { config: s.config, now, locks, freezes });
  if (d.kind === 'allow') return undefined;
  if (d.kind === 'approval') return `/${verb} on alerts acts at once, but the access rule "${d.rule}" asks for approval; ask someone it allows without one.`;
  return d.reason;
}

function denied(text: string): Message {
  return message('Not allowed', 'denied', { text });
}

function unknownGroup(id: string): Message {
  return message('No such alert', 'error', { text: `There is no alert group ${id} (they are kept a week after they resolve).` });
}

export async function ackGroup(s: Services, outbox: Outbox, id: string, actor: string | undefined, note?: string): Promise<Message> {
  const store = new AlertStore(s.redis, s.prefix);
  const g = await store.group(id);
  if (g === undefined) return unknownGroup(id);
  const { view } = await loadGroupView(s, store, g, s.clock().getTime());
  const no = await refusal(s, actor, 'ack', view.env, view.app);
  if (no !== undefined) return denied(no);
  const who = actor ?? '';
  const now = s.clock().getTime();
  const r = await store.ack(id, who, now);
  if (r.kind === 'unknown') return unknownGroup(id);
  if (r.kind === 'already') return message('Already acknowledged', 'info', { text: `${r.by} acknowledged ${groupTitle(view)} already.` });
  if (g.posted === 'own') {
    await outbox.post(g.channel, noteMessage('Acknowledged', 'info', `${who} acknowledged this at ${clockTime(now)}${note === undefined ? '' : `: ${note}`}. No more reminders.`, id), { threadKey: alertKey(id), dedupeId: `${g.channel}:${alertKey(id)}:ack` });
  }
  await s.audit.append({ at: s.clock(), kind: 'setting', actor: who, env: view.env, app: view.app, summary: `${who} acknowledged alert ${id}`, detail: { group: id, note } });
  return message('Acknowledged', 'succeeded', { text: `You acknowledged ${groupTitle(view)} (${id}).` });
}

export async function silenceGroup(s: Services, outbox: Outbox, id: string, seconds: number, actor: string | undefined, reason?: string): Promise<Message> {
  const store = new AlertStore(s.redis, s.prefix);
  const g = await store.group(id);
  if (g === undefined) return unknownGroup(id);
  const now = s.clock().getTime();
  const { view, alerts } = await loadGroupView(s, store, g, now);
  const no = await refusal(s, actor, 'silence', view.env, view.app);
  if (no !== undefined) return denied(no);
  const who = actor ?? '';
  const secs = Math.min(seconds, SILENCE_MAX_SECONDS);
  const until = now + secs * 1000;
  const firing = alerts.filter((a) => a.status === 'firing');
  const fromAm = (firing.length > 0 ? firing : alerts).filter((a) => a.source === 'alertmanager');
  const am = s.config.alerts.alertmanager;
  const ids: string[] = [...(g.silenceIds ?? [])];
  let where = 'in this bot (no reminders; the alerts are not from Alertmanager)';
  if (fromAm.length > 0) {
    if (am === undefined) return message('Cannot silence', 'error', { text: 'These alerts come from Alertmanager, but alerts.alertmanager.url is not configured, so I cannot create a silence there.' });
    const matchers: SilenceMatcher[] = silenceMatchers(fromAm);
    const comment = `${reason ?? `Silenced from chat for ${parseDuration(`${secs}s`)?.toString() ?? `${secs}s`}`}: ${groupTitle(view)} (alert group ${id}, ${g.channel})`;
    const r = await createSilence(am, { matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(until).toISOString(), createdBy: who, comment });
    if (!r.ok) return message('Silence not created', 'error', { text: r.problem });
    ids.push(r.id);
    where = `in Alertmanager (silence ${r.id}, matching ${matchers.map((m) => `${m.name}="${m.value}"`).join(', ')})`;
  }
  await store.setFields(id, { silencedBy: who, silencedUntil: String(until), silenceIds: JSON.stringify(ids) });
  await store.touch(id, now);
  const span = parseDuration(`${secs}s`)?.toString() ?? `${secs}s`;
  if (g.posted === 'own') {
    await outbox.post(g.channel, noteMessage('Silenced', 'info', `${who} silenced this for ${span}, until ${clockTime(until)}, ${where}.${reason === undefined ? '' : ` Reason: ${reason}`}`, id), { threadKey: alertKey(id), dedupeId: `${g.channel}:${alertKey(id)}:silence:${who}:${until}` });
  }
  await s.audit.append({ at: s.clock(), kind: 'setting', actor: who, env: view.env, app: view.app, summary: `${who} silenced alert ${id} for ${span}`, detail: { group: id, until: new Date(until).toISOString(), silenceIds: ids, reason } });
  return message('Silenced', 'succeeded', { text: `Silenced ${groupTitle(view)} for ${span} ${where}.` });
}

/** `/silence app=web env=staging [alertname=X] for 30m`: an Alertmanager silence by those labels. */
export async function silenceByLabels(s: Services, labels: Readonly<Record<string, string>>, seconds: number, actor: string, reason: string | undefined): Promise<Message> {
  const am = s.config.alerts.alertmanager;
  if (am === undefined) return message('Cannot silence', 'error', { text: 'alerts.alertmanager.url is not configured, so there is nowhere to create the silence.' });
  const now = s.clock().getTime();
  const secs = Math.min(seconds, SILENCE_MAX_SECONDS);
  const matchers = Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
  const span = parseDuration(`${secs}s`)?.toString() ?? `${secs}s`;
  const r = await createSilence(am, { matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(now + secs * 1000).toISOString(), createdBy: actor, comment: reason ?? `Silenced from chat for ${span}` });
  if (!r.ok) return message('Silence not created', 'error', { text: r.problem });
  await s.audit.append({ at: s.clock(), kind: 'setting', actor, env: labels['env'], app: labels['app'], summary: `${actor} silenced ${matchers.map((m) => `${m.name}=${m.value}`).join(' ')} for ${span}`, detail: { silenceId: r.id, reason } });
  return message('Silenced', 'succeeded', { text: `Silence ${r.id} for ${span}: ${matchers.map((m) => `${m.name}="${m.value}"`).join(', ')}.` });
}

/**
 * The rollback an alert's button asks for: the change the alert followed, as a typed request,
 * with a delivery id per group and person (one person's clicks on one alert act once, however
 * often the platform delivers them); or why there is nothing to roll back.
 */
export type RollbackRequest = { readonly kind: 'request'; readonly text: string; readonly deliveryId: string; readonly groupId: string } | { readonly kind: 'answer'; readonly message: Message };

export async function rollbackRequest(s: Services, groupId: string, actor: string | undefined): Promise<RollbackRequest> {
  const g = await new AlertStore(s.redis, s.prefix).group(groupId);
  if (g === undefined) return { kind: 'answer', message: unknownGroup(groupId) };
  const corr = g.correlation === undefined || g.correlation === '' ? undefined : (JSON.parse(g.correlation) as Correlation);
  if (corr === undefined) return { kind: 'answer', message: message('Nothing to roll back', 'info', { text: 'This alert did not follow a change made by the bot.' }) };
  return { kind: 'request', text: `rollback ${corr.app} in ${corr.env} --reason "alert ${g.id} after ${corr.opId}"`, deliveryId: `alert-rollback:${g.id}:${actor ?? 'unknown'}`, groupId: g.id };
}

/** A Silence button's value: "<group id>~<duration>". */
export function splitSilenceValue(value: string): { id: string; seconds: number } | undefined {
  const i = value.lastIndexOf('~');
  if (i < 0) return undefined;
  const d = parseDuration(value.slice(i + 1));
  return d === undefined ? undefined : { id: value.slice(0, i), seconds: d.seconds };
}
