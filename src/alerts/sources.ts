import { z } from 'zod';
import { labelsFingerprint } from './fingerprint.ts';
import { isLabelName } from '../core/matchers.ts';
import type { Alert } from './model.ts';

/**
 * The two webhook formats, checked whole before anything is stored (a bad payload changes
 * nothing): Alertmanager's webhook (version 4) and the bot's own generic JSON (docs/alerts.md).
 * Both become the neutral Alert. The body limit (2 MiB, src/alerts/http.ts) is what bounds a
 * request; the count is only a backstop, set above what 2 MiB of the smallest alerts holds.
 * An alert's identity is its source and its fingerprint ("am-…", "wh-…"): a webhook can never
 * name, and so never resolve, an Alertmanager alert.
 */
export const MAX_ALERTS_PER_REQUEST = 10_000;
/** Longest label value: Alertmanager sets none, and a label it sends that is refused here is lost (it does not resend on a 4xx). */
export const MAX_LABEL_VALUE = 10_000;

/** A plain object whose values are strings within the limits (what a valid record is), in one pass. */
function isStringRecord(v: unknown, maxKey: number, maxValue: number): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  // zod drops a __proto__ key: leave that (and anything else odd) to zod.
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x !== 'string' || k.length > maxKey || x.length > maxValue || k === '__proto__') return false;
  }
  return true;
}

/**
 * `z.record(z.string().max(maxKey), z.string().max(maxValue))` with the same problems for a bad
 * record, but a good one (nearly every one) is checked in one pass and not copied: zod's record
 * runs two schemas per entry, and a storm of 10,000 alerts has 100,000 labels (bench P4).
 */
function stringRecord(maxKey: number, maxValue: number) {
  const full = z.record(z.string().max(maxKey), z.string().max(maxValue));
  return z.unknown().transform((v, ctx): Record<string, string> => {
    if (isStringRecord(v, maxKey, maxValue)) return v;
    const r = full.safeParse(v);
    if (r.success) return r.data;
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path.filter((x) => typeof x !== 'symbol'), continue: false });
    return z.NEVER;
  });
}

const labelMap = stringRecord(200, MAX_LABEL_VALUE).superRefine((rec, ctx) => {
  const keys = Object.keys(rec);
  if (keys.length > 100) ctx.addIssue({ code: 'custom', message: 'more than 100 labels' });
  for (const k of keys) if (!isLabelName(k)) ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" is not a label name` });
});
const annotationMap = stringRecord(200, 10_000).refine((rec) => Object.keys(rec).length <= 100, { message: 'more than 100 annotations' });
const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'an RFC 3339 time such as 2026-05-01T12:00:00Z' });
/** Alertmanager writes this for "no end": the zero time of Go. */
const GO_ZERO = '0001-01-01T00:00:00Z';

const amAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap.refine((l) => Object.keys(l).length > 0, { message: 'an alert needs at least one label' }),
  annotations: annotationMap.default({}),
  startsAt: time,
  endsAt: z.string().optional(),
  generatorURL: z.string().max(4000).optional(),
  fingerprint: z.string().regex(/^[A-Za-z0-9]{1,64}$/).optional(),
});

export const alertmanagerPayload = z.object({
  version: z.literal('4', { message: 'only version "4" of the Alertmanager webhook is understood' }),
  // Alertmanager's group key holds the group's label values (a 10,000-character alertname
  // too); it is never stored, and the body limit bounds it.
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1000).optional(),
  groupLabels: z.record(z.string(), z.string()).optional(),
  commonLabels: z.record(z.string(), z.string()).optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().max(4000).optional(),
  alerts: z.array(amAlert).min(1).max(MAX_ALERTS_PER_REQUEST),
});

function iso(s: string): string {
  return new Date(Date.parse(s)).toISOString();
}

function endOf(s: string | undefined): string | undefined {
  if (s === undefined || s === '' || s === GO_ZERO || Number.isNaN(Date.parse(s))) return undefined;
  return iso(s);
}

function fromParsed(source: Alert['source'], a: z.output<typeof amAlert>, fp: string | undefined): Alert {
  return {
    fingerprint: `${source === 'alertmanager' ? 'am' : 'wh'}-${fp ?? labelsFingerprint(a.labels)}`,
    source,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: endOf(a.endsAt),
    generatorURL: a.generatorURL === undefined || a.generatorURL === '' ? undefined : a.generatorURL,
  };
}

export type Parsed = { readonly ok: true; readonly alerts: Alert[] } | { readonly ok: false; readonly problems: string[] };

function problemsOf(e: z.ZodError): string[] {
  return e.issues.slice(0, 20).map((i) => `${i.path.length === 0 ? '(payload)' : i.path.join('.')}: ${i.message}`);
}

export function parseAlertmanager(body: unknown): Parsed {
  const r = alertmanagerPayload.safeParse(body);
  if (!r.success) return { ok: false, problems: problemsOf(r.error) };
  return { ok: true, alerts: r.data.alerts.map((a) => fromParsed('alertmanager', a, a.fingerprint)) };
}

/**
 * The generic webhook: `{ "alerts": [ { "name", "status"?, "severity"?, "labels"?,
 * "annotations"?, "summary"?, "startsAt"?, "fingerprint"?, "url"? } ] }` (docs/alerts.md).
 * `name` becomes the alertname label, `severity` the severity label; a missing startsAt is
 * the time it arrived; the fingerprint, when not given, comes from the labels.
 */
const genericAlert = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_:.-]{1,100}$/, { message: 'a name such as HighErrorRate (letters, digits, _ : . -)' }),
  status: z.enum(['firing', 'resolved']).default('firing'),
  severity: z.enum(['critical', 'warning', 'info']).optional(),
  labels: labelMap.default({}),
  annotations: annotationMap.default({}),
  summary: z.string().max(2000).optional(),
  startsAt: time.optional(),
  endsAt: time.optional(),
  fingerprint: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/).optional(),
  url: z.string().regex(/^https?:\/\//).max(4000).optional(),
});

export const genericPayload = z.strictObject({ alerts: z.array(genericAlert).min(1).max(MAX_ALERTS_PER_REQUEST) });

export function parseGeneric(body: unknown, now: Date): Parsed {
  const r = genericPayload.safeParse(body);
  if (!r.success) return { ok: false, problems: problemsOf(r.error) };
  return {
    ok: true,
    alerts: r.data.alerts.map((g) => {
      const labels = { ...g.labels, alertname: g.name, ...(g.severity === undefined ? {} : { severity: g.severity }) };
      const annotations = { ...g.annotations, ...(g.summary === undefined ? {} : { summary: g.summary }) };
      // Without a start, it started when it arrived (a repeat while firing changes nothing).
      const startsAt = g.startsAt === undefined ? now.toISOString() : iso(g.startsAt);
      return {
        fingerprint: `wh-${g.fingerprint ?? labelsFingerprint(labels)}`,
        source: 'webhook' as const,
        status: g.status,
        labels,
        annotations,
        startsAt,
        endsAt: g.endsAt === undefined ? undefined : iso(g.endsAt),
        generatorURL: g.url,
      };
    }),
  };
}
