/**
 * Credentials inside a URL (http://user:password@host/…, redis://:password@host) never leave the
 * bot: every text shown in chat, written to a log or printed as an error goes through
 * `redactUrls`, which replaces the user-info part of each URL in it with `***`. One helper, used
 * by the renderers, the logger and the command line; pure, and linear in the text (it scans for
 * "://" instead of using a regular expression that could backtrack on what alerts or people send).
 */
export const REDACTED = '***';

/** Characters that end a URL's authority (host part) in running text. */
const AUTHORITY_END = new Set(['/', '?', '#', ' ', '\t', '\n', '\r', '"', "'", '<', '>', '`', '|', '\\']);

export function redactUrls(text: string): string {
  let at = text.indexOf('://');
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const start = at + 3;
    let end = start;
    // The user-info ends at the authority's last "@" (a host has none).
    let sign = -1;
    while (end < text.length && !AUTHORITY_END.has(text.charAt(end))) {
      if (text.charAt(end) === '@') sign = end;
      end++;
    }
    if (sign >= 0) {
      out += text.slice(from, start) + REDACTED;
      from = sign;
    }
    // The next "://" may begin with the ":" just before the "/" that ended this authority.
    at = text.indexOf('://', Math.max(start, end - 1));
  }
  return out + text.slice(from);
}

/** A neutral message (or any plain data) with every URL in it redacted: what the renderers show. */
export function redactMessage<T>(m: T): T {
  return redactDeep(m) as T;
}

/**
 * Every string inside a value, redacted; objects and arrays are copied, an Error becomes its
 * name, message and stack (redacted), other values are returned as they are. For log lines.
 */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  if (value instanceof URL) return redactUrls(value.href);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactUrls(value.message), ...(value.stack === undefined ? {} : { stack: redactUrls(value.stack) }) };
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1, seen);
    if (value.cause !== undefined) out['cause'] = redactDeep(value.cause, depth + 1, seen);
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1, seen);
  return out;
}

/**
 * A URL without its user-info, and that user-info as a Basic Authorization header: fetch
 * refuses a URL with credentials (and would put the URL, credentials and all, in its error),
 * so a configured http://user:password@host/… is requested as http://host/… with the header.
 */
export function splitUrlCredentials(url: string): { readonly url: string; readonly authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (u.username === '' && u.password === '') return { url };
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    user = u.username;
    password = u.password;
  }
  u.username = '';
  u.password = '';
  return { url: u.href, authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}
