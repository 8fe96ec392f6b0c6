import type { ServerResponse } from 'node:http';
import type { AlertsConfig } from '../config/schema.ts';
import type { Log } from '../log.ts';
import { readBody } from '../server/body.ts';
import type { Handler, Route } from '../server/http.ts';
import { secretEqual } from '../server/secret-equal.ts';
import type { Alert } from './model.ts';
import type { Parsed } from './sources.ts';

/**
 * The alert webhooks over HTTP: authentication (bearer token or basic auth, compared in
 * constant time), a JSON body of bounded size, the whole payload checked before anything is
 * stored, and answers a sender can act on: 401 (credentials), 413 (too big), 415 (not JSON),
 * 400 (not parseable), 422 (parseable but not a valid payload, with every problem listed),
 * 200 with counts; a 5xx only when storing failed, so the sender retries (dedup makes that safe).
 */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type WebhookAuth = NonNullable<AlertsConfig['sources']['alertmanager']>;

/** Whether the request carries the configured credentials (none configured: yes). Pure. */
export function authorized(auth: WebhookAuth, header: string | undefined): boolean {
  if (auth.bearerToken === undefined && auth.username === undefined) return true;
  const h = header ?? '';
  if (auth.bearerToken !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(h);
    return m?.[1] !== undefined && secretEqual(m[1].trim(), auth.bearerToken);
  }
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (m?.[1] === undefined) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  // Both compared, always: no shortcut on a wrong user name.
  const userOk = secretEqual(decoded.slice(0, i), auth.username ?? '');
  const passOk = secretEqual(decoded.slice(i + 1), auth.password ?? '');
  return userOk && passOk;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}


export interface WebhookOptions {
  readonly name: string;
  readonly auth: WebhookAuth;
  readonly parse: (body: unknown) => Parsed;
  readonly ingest: (alerts: readonly Alert[]) => Promise<{ received: number; new: number; resolved: number; unchanged: number }>;
  readonly log: Log;
  readonly onRequest?: (outcome: string) => void;
}

/** The webhook with its body limit, which the server applies before the handler runs. */
export function webhookRoute(o: WebhookOptions): Route {
  return { handle: webhookHandler(o), maxBodyBytes: MAX_BODY_BYTES };
}

export function webhookHandler(o: WebhookOptions): Handler {
  const realm = o.auth.bearerToken !== undefined ? 'Bearer realm="chatops-alerts"' : 'Basic realm="chatops-alerts"';
  return async (req, res) => {
    const count = (outcome: string) => o.onRequest?.(outcome);
    if (!authorized(o.auth, req.headers.authorization)) {
      req.resume();
      count('unauthorized');
      o.log.warn({ source: o.name }, 'alert webhook: bad credentials');
      return json(res, 401, { error: 'missing or wrong credentials' }, { 'www-authenticate': realm });
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
      req.resume();
      count('unsupported_type');
      return json(res, 415, { error: 'send JSON (Content-Type: application/json)' });
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      count('too_large');
      return json(res, 413, { error: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (e) {
      count('bad_json');
      return json(res, 400, { error: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
    const parsed = o.parse(doc);
    if (!parsed.ok) {
      count('invalid');
      o.log.warn({ source: o.name, problems: parsed.problems }, 'alert webhook: invalid payload');
      return json(res, 422, { error: 'invalid payload; nothing was stored', problems: parsed.problems });
    }
    const r = await o.ingest(parsed.alerts);
    count('accepted');
    return json(res, 200, r);
  };
}
