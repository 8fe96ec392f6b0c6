import type { AlertsConfig } from '../config/schema.ts';
import { splitUrlCredentials } from '../core/redact.ts';
import type { Alert, Labels } from './model.ts';

/**
 * Silences through Alertmanager's API v2 (POST /api/v2/silences): the matchers are the labels
 * every firing alert of the group shares (so the silence covers the group and nothing wider),
 * the author is the person who clicked, the comment says where it came from.
 */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

export interface SilenceRequest {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/** Labels with the same value on every alert given (at least alertname when they share it). */
export function commonLabels(alerts: readonly Pick<Alert, 'labels'>[]): Labels {
  const [first, ...rest] = alerts;
  if (first === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((a) => a.labels[k] === v)) out[k] = v;
  return out;
}

export function silenceMatchers(alerts: readonly Pick<Alert, 'labels'>[]): SilenceMatcher[] {
  return Object.entries(commonLabels(alerts))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

export type SilenceResult = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly problem: string };

export async function createSilence(am: NonNullable<AlertsConfig['alertmanager']>, body: SilenceRequest, fetchImpl: typeof fetch = fetch): Promise<SilenceResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  // Credentials written into the URL (http://user:password@am:9093) count as basic auth, as curl reads them.
  const base = splitUrlCredentials(am.url);
  if (am.bearerToken !== undefined) headers['authorization'] = `Bearer ${am.bearerToken}`;
  else if (am.username !== undefined && am.password !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${am.username}:${am.password}`).toString('base64')}`;
  else if (base.authorization !== undefined) headers['authorization'] = base.authorization;
  const url = new URL('api/v2/silences', base.url.endsWith('/') ? base.url : `${base.url}/`);
  let res: Response;
  try {
    res = await fetchImpl(url, { method: 'POST', headers, body: JSON.stringify(body), redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    return { ok: false, problem: `Alertmanager did not answer: ${e instanceof Error ? e.message : String(e)}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status !== 200) return { ok: false, problem: `Alertmanager answered ${res.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}` };
  try {
    const id = (JSON.parse(text) as { silenceID?: unknown }).silenceID;
    return typeof id === 'string' ? { ok: true, id } : { ok: false, problem: 'Alertmanager gave no silence id' };
  } catch {
    return { ok: false, problem: 'Alertmanager answered with something other than JSON' };
  }
}
