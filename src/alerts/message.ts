import { message, type Button, type Field, type Link, type Message, type MessageStatus } from '../core/message.ts';
import { alertName, type Alert, type Labels } from './model.ts';

/**
 * The chat messages of alerts, as neutral Messages (pure): the live message of a group, the
 * lines its thread gets, and the storm summary. The renderers of each platform lay them out.
 */
export interface Correlation {
  readonly opId: string;
  readonly kind: string;
  readonly app: string;
  readonly env: string;
  readonly by: string;
  /** The tag or digest it deployed, when known. */
  readonly version?: string | undefined;
  /** When the change was asked for (ms). */
  readonly at: number;
  readonly status: string;
}

export interface GroupView {
  readonly id: string;
  /** The group-by values that make the group. */
  readonly values: Labels;
  /** Every alert of the group with its current status, oldest first. */
  readonly alerts: readonly Alert[];
  readonly createdAt: number;
  readonly now: number;
  readonly ack?: { readonly by: string; readonly at: number } | undefined;
  readonly silence?: { readonly by: string; readonly until: number } | undefined;
  readonly correlation?: Correlation | undefined;
  readonly links: readonly Link[];
  /** Labels naming env and app (after aliases). */
  readonly env?: string | undefined;
  readonly app?: string | undefined;
}

export const SILENCE_DURATIONS = ['1h', '4h', '24h'] as const;
const MAX_LINES = 15;

export function alertKey(groupId: string): string {
  return `alert:${groupId}`;
}

function severityOf(alerts: readonly Alert[]): string | undefined {
  const order = ['critical', 'error', 'warning', 'info'];
  let best: string | undefined;
  for (const a of alerts) {
    const s = a.labels['severity'];
    if (s === undefined) continue;
    if (best === undefined || (order.indexOf(s) >= 0 && (order.indexOf(best) < 0 || order.indexOf(s) < order.indexOf(best)))) best = s;
  }
  return best;
}

export function statusFor(severity: string | undefined, resolved: boolean): MessageStatus {
  if (resolved) return 'succeeded';
  if (severity === 'critical' || severity === 'error') return 'failed';
  if (severity === 'warning') return 'error';
  return 'info';
}

export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

export function ago(fromMs: number, toMs: number): string {
  const s = Math.max(0, Math.round((toMs - fromMs) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** Labels that differ between the alerts of a group: what tells them apart in a list. */
export function distinguishing(alerts: readonly Alert[], skip: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const a of alerts) for (const n of Object.keys(a.labels)) names.add(n);
  return [...names].filter((n) => !skip.has(n) && new Set(alerts.map((a) => a.labels[n] ?? '')).size > 1).sort();
}

export function alertLine(a: Alert, show: readonly string[]): string {
  const labels = show.map((n) => `${n}=${a.labels[n] ?? ''}`).join(' ');
  const summary = a.annotations['summary'] ?? a.annotations['message'] ?? a.annotations['description'] ?? '';
  const count = a.count !== undefined && a.count > 1 ? ` ×${a.count}` : '';
  const what = [alertName(a) + count, labels, summary].filter((x) => x !== '').join(' — ');
  return `${a.status === 'firing' ? 'FIRING' : 'resolved'}: ${what}`;
}

export function correlationLine(c: Correlation): string {
  const verb = c.kind === 'deploy' || c.kind === 'upgrade' ? 'deployed' : c.kind === 'rollback' ? 'rolled back' : c.kind === 'scale' ? 'scaled' : c.kind === 'restart' ? 'restarted' : c.kind;
  const version = c.version === undefined ? '' : ` ${c.version}`;
  return `${c.app} in ${c.env} was ${verb}${version} by ${c.by}, operation ${c.opId} (${c.status})`;
}

/** "deployed v1.4.2 12 min ago by alice, operation op-…", from the group's first alert. */
export function correlationText(c: Correlation, alertAt: number): string {
  const verb = c.kind === 'deploy' || c.kind === 'upgrade' ? 'deployed' : c.kind === 'rollback' ? 'rolled back' : c.kind === 'scale' ? 'scaled' : c.kind === 'restart' ? 'restarted' : c.kind;
  const version = c.version === undefined ? '' : ` ${c.version}`;
  return `${verb}${version} ${ago(c.at, alertAt)} ago by ${c.by}, operation ${c.opId}`;
}

export function groupTitle(v: Pick<GroupView, 'alerts' | 'values' | 'env' | 'app'>): string {
  const names = [...new Set(v.alerts.map(alertName))];
  const name = names.length === 1 ? (names[0] ?? 'alert') : `${names.length} alerts`;
  const where = v.app !== undefined && v.env !== undefined ? `${v.app} in ${v.env}` : v.app ?? v.env;
  return where === undefined ? name : `${name}: ${where}`;
}

/** The live message of an alert group. */
export function groupMessage(v: GroupView): Message {
  const firing = v.alerts.filter((a) => a.status === 'firing');
  const resolved = firing.length === 0;
  const severity = severityOf(v.alerts);
  const title = resolved ? `Resolved: ${groupTitle(v)}` : groupTitle(v);
  const single = v.alerts.length === 1 ? v.alerts[0] : undefined;
  const summary = single === undefined ? undefined : (single.annotations['summary'] ?? single.annotations['message'] ?? single.annotations['description']);
  const counts = resolved ? `All ${v.alerts.length} resolved` : `${firing.length} firing${v.alerts.length > firing.length ? `, ${v.alerts.length - firing.length} resolved` : ''}`;
  const seen = single?.count !== undefined && single.count > 1 ? ` · seen ${single.count} times` : '';
  const text = `${counts} · since ${clockTime(v.createdAt)}${seen}${summary === undefined ? '' : `\n${summary}`}`;

  const fields: Field[] = [];
  if (severity !== undefined) fields.push({ label: 'Severity', value: severity });
  if (v.env !== undefined) fields.push({ label: 'Environment', value: v.env });
  if (v.app !== undefined) fields.push({ label: 'App', value: v.app });
  for (const n of ['cluster', 'namespace']) {
    const values = new Set(v.alerts.map((a) => a.labels[n]));
    const only = [...values][0];
    if (values.size === 1 && only !== undefined) fields.push({ label: n === 'cluster' ? 'Cluster' : 'Namespace', value: only });
  }
  if (v.correlation !== undefined) fields.push({ label: 'Recent change', value: correlationText(v.correlation, v.createdAt) });
  if (v.ack !== undefined) fields.push({ label: 'Acknowledged', value: `by ${v.ack.by} at ${clockTime(v.ack.at)}` });
  if (v.silence !== undefined && v.silence.until > v.now) fields.push({ label: 'Silenced', value: `by ${v.silence.by} until ${clockTime(v.silence.until)}` });

  const skip = new Set(['alertname', ...Object.keys(v.values)]);
  const show = distinguishing(v.alerts, skip);
  const ordered = [...firing, ...v.alerts.filter((a) => a.status !== 'firing')];
  const lines = ordered.slice(0, MAX_LINES).map((a) => alertLine(a, show));
  if (ordered.length > MAX_LINES) lines.push(`… ${ordered.length - MAX_LINES} more in the thread`);

  const buttons: Button[] = [];
  if (!resolved) {
    if (v.ack === undefined) buttons.push({ label: 'Acknowledge', action: 'ack', value: v.id, style: 'primary' });
    for (const d of SILENCE_DURATIONS) buttons.push({ label: `Silence ${d}`, action: 'silence', value: `${v.id}~${d}` });
    const c = v.correlation;
    if (c !== undefined) buttons.push({ label: `Roll back ${c.app}`, action: 'rollback', value: v.id, style: 'danger', confirm: `Roll back ${c.app} in ${c.env}? This goes through the normal approval rules.` });
  }
  const sources = [...new Set(v.alerts.map((a) => a.source))].join(', ');
  return message(title, statusFor(severity, resolved), {
    text,
    fields,
    sections: lines.length > 1 || single === undefined ? [{ heading: 'Alerts', lines }] : [],
    buttons,
    links: [...v.links],
    context: [`alert group ${v.id}`, `source: ${sources}`, ...(resolved ? [`resolved at ${clockTime(v.now)}`] : [])],
    thread: { key: alertKey(v.id), update: true },
  });
}

/** Every label and annotation of each alert: what the thread gets first. */
export function detailsMessage(groupId: string, alerts: readonly Alert[], limit = 20): Message {
  const sections = alerts.slice(0, limit).map((a) => ({
    heading: `${alertName(a)} (${a.status}, since ${a.startsAt.slice(0, 16).replace('T', ' ')} UTC)`,
    lines: [
      ...Object.entries(a.labels)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, val]) => `${k}=${val}`),
      ...Object.entries(a.annotations).map(([k, val]) => `${k}: ${val}`),
      ...(a.generatorURL === undefined ? [] : [`source: ${a.generatorURL}`]),
    ],
  }));
  const more = alerts.length > limit ? [`… and ${alerts.length - limit} more alerts`] : [];
  return message('Alert details', 'info', { sections, context: [`alert group ${groupId}`, ...more] });
}

export function changesMessage(groupId: string, lines: readonly string[]): Message {
  return message('Changes', 'info', { sections: [{ lines }], context: [`alert group ${groupId}`] });
}

export function noteMessage(title: string, status: MessageStatus, text: string, groupId: string): Message {
  return message(title, status, { text, context: [`alert group ${groupId}`] });
}

export interface StormEntry {
  readonly id: string;
  readonly title: string;
  readonly firing: number;
  readonly total: number;
}

/** The one message of a storm: every group it took, counted, the open ones listed first. */
export function stormMessage(channelLimit: number, entries: readonly StormEntry[], now: number, startedAt: number, maxLines = 30): Message {
  const open = entries.filter((e) => e.firing > 0);
  const closed = entries.length - open.length;
  const firingAlerts = open.reduce((n, e) => n + e.firing, 0);
  const ordered = [...open, ...entries.filter((e) => e.firing === 0)];
  const lines = ordered.slice(0, maxLines).map((e) => `${e.firing > 0 ? 'FIRING' : 'resolved'}: ${e.title} (${e.firing > 0 ? `${e.firing}/${e.total} firing` : `${e.total} resolved`}) ${e.id}`);
  if (ordered.length > maxLines) lines.push(`… ${ordered.length - maxLines} more groups: see the thread`);
  const title = open.length > 0 ? `${open.length} alert groups firing` : `Alert storm over: ${entries.length} groups, all resolved`;
  return message(title, open.length > 0 ? 'failed' : 'succeeded', {
    text: `More than ${channelLimit} new alert groups a minute: they are collected here instead of one message each. ${firingAlerts} alerts firing in ${open.length} groups; ${closed} groups resolved.`,
    fields: [
      { label: 'Groups', value: String(entries.length) },
      { label: 'Firing', value: String(open.length) },
    ],
    sections: [{ heading: 'Groups', lines }],
    context: [`storm since ${clockTime(startedAt)}`, `updated ${clockTime(now)}`, 'acknowledge or silence with /ack <group> or /silence <group> for 1h'],
  });
}
