import { createDecipheriv, createHash } from 'node:crypto';
import { TIMESTAMP_WINDOW_SECONDS } from '../../server/http.ts';
import { secretEqual } from '../../server/secret-equal.ts';

/**
 * Checks on what Lark/Feishu pushes to the webhook, done by us rather than by the SDK: the SDK's
 * EventDispatcher hashes `JSON.stringify(parsed body)` instead of the bytes that arrived, has no
 * timestamp window, and (without an Encrypt Key) checks nothing at all; its HTTP adaptor also
 * answers 200 whatever it found. Pure functions, no I/O: the adapter (webhook.ts, then the gate
 * in app.ts) calls them in order and turns a refusal into a 401 or a 200 with no effect.
 *
 * - Signature: `hex(SHA-256(timestamp + nonce + encryptKey + raw body bytes))` in
 *   `x-lark-signature`, compared in constant time.
 * - Timestamp: `x-lark-request-timestamp` (unix seconds) within 5 minutes either way of now.
 * - Encryption: the body must be `{"encrypt": base64(IV16 ‖ AES-256-CBC(SHA-256(encryptKey), json))}`;
 *   a body in clear is refused even when signed (the app is configured to encrypt, so a clear body
 *   did not come from Lark as configured).
 * - The decrypted envelope (schema 2.0): header.token, header.app_id and header.tenant_key must
 *   be the configured ones (`envelopeProblem`).
 */

export type Verified =
  /** `signed`: false only when the request carried no signature headers at all (allowed for the URL challenge alone). */
  | { readonly ok: true; readonly envelope: Record<string, unknown>; readonly signed: boolean }
  | { readonly ok: false; readonly reason: RejectReason };

export type RejectReason =
  | 'bad signature'
  | 'missing signature'
  | 'stale timestamp'
  | 'timestamp in the future'
  | 'unencrypted'
  | 'undecryptable'
  | 'malformed body'
  | 'wrong verification token'
  | 'wrong app'
  | 'wrong tenant'
  | 'replayed event'
  | 'unsupported event schema';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function larkSignature(encryptKey: string, timestamp: string, nonce: string, body: Buffer): string {
  return createHash('sha256').update(timestamp, 'utf8').update(nonce, 'utf8').update(encryptKey, 'utf8').update(body).digest('hex');
}

/** Where a signed timestamp falls outside the window, in words; undefined when it is inside. */
export function timestampProblem(timestamp: string, nowMs: number): 'stale timestamp' | 'timestamp in the future' | undefined {
  if (!/^\d{1,12}$/.test(timestamp)) return 'stale timestamp';
  const skew = Number(timestamp) * 1000 - nowMs;
  if (skew < -TIMESTAMP_WINDOW_SECONDS * 1000) return 'stale timestamp';
  if (skew > TIMESTAMP_WINDOW_SECONDS * 1000) return 'timestamp in the future';
  return undefined;
}

/** Decrypts Lark's `encrypt` field; undefined when it is not what our key produced. */
export function decryptLark(encryptKey: string, encrypted: string): string | undefined {
  try {
    const buf = Buffer.from(encrypted, 'base64');
    if (buf.length < 32 || buf.length % 16 !== 0) return undefined;
    const key = createHash('sha256').update(encryptKey, 'utf8').digest();
    const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
    return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Signature and timestamp (when the request is signed), then encryption, then the JSON inside.
 * The caller refuses `signed: false` for anything but the URL-verification challenge, which
 * Lark sends without signature headers when a request URL is saved in the console.
 */
export function verifyLarkRequest(o: { readonly headers: Headers; readonly body: Buffer; readonly encryptKey: string; readonly nowMs: number }): Verified {
  const timestamp = header(o.headers, 'x-lark-request-timestamp');
  const nonce = header(o.headers, 'x-lark-request-nonce');
  const signature = header(o.headers, 'x-lark-signature');
  const anySignatureHeader = timestamp !== undefined || nonce !== undefined || signature !== undefined;
  if (anySignatureHeader) {
    if (timestamp === undefined || nonce === undefined || signature === undefined) return { ok: false, reason: 'missing signature' };
    if (!secretEqual(larkSignature(o.encryptKey, timestamp, nonce, o.body), signature.toLowerCase())) return { ok: false, reason: 'bad signature' };
    const late = timestampProblem(timestamp, o.nowMs);
    if (late !== undefined) return { ok: false, reason: late };
  }
  let outer: unknown;
  try {
    outer = JSON.parse(o.body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed body' };
  }
  if (!isRecord(outer)) return { ok: false, reason: 'malformed body' };
  const encrypted = outer['encrypt'];
  if (typeof encrypted !== 'string' || Object.keys(outer).length !== 1) return { ok: false, reason: 'unencrypted' };
  const plain = decryptLark(o.encryptKey, encrypted);
  if (plain === undefined) return { ok: false, reason: 'undecryptable' };
  let envelope: unknown;
  try {
    envelope = JSON.parse(plain);
  } catch {
    return { ok: false, reason: 'undecryptable' };
  }
  if (!isRecord(envelope)) return { ok: false, reason: 'malformed body' };
  return { ok: true, envelope, signed: anySignatureHeader };
}

/** `{ type: 'url_verification', challenge, token }`: the challenge sent when a request URL is saved. */
export function challengeOf(envelope: Record<string, unknown>): { readonly challenge: string; readonly token: unknown } | undefined {
  if (envelope['type'] !== 'url_verification' || typeof envelope['challenge'] !== 'string') return undefined;
  return { challenge: envelope['challenge'], token: envelope['token'] };
}

export interface EnvelopeHeader {
  readonly eventId: string;
  readonly eventType: string;
  readonly token: string | undefined;
  readonly appId: string | undefined;
  readonly tenantKey: string | undefined;
}

/** The schema 2.0 header of an event or callback, or undefined for anything else (v1 events). */
export function envelopeHeader(envelope: unknown): EnvelopeHeader | undefined {
  if (!isRecord(envelope) || envelope['schema'] !== '2.0' || !isRecord(envelope['header'])) return undefined;
  const h = envelope['header'];
  const str = (k: string) => (typeof h[k] === 'string' && h[k] !== '' ? h[k] : undefined);
  const eventId = str('event_id');
  const eventType = str('event_type');
  if (eventId === undefined || eventType === undefined) return undefined;
  return { eventId, eventType, token: str('token'), appId: str('app_id'), tenantKey: str('tenant_key') };
}

/**
 * Whether the event is for us: the Verification Token (when one is expected), our app, our
 * tenant. The token is compared in constant time; app and tenant are not secrets.
 */
export function envelopeProblem(h: EnvelopeHeader, want: { readonly appId: string; readonly tenantKey: string; readonly verificationToken: string | undefined }): RejectReason | undefined {
  if (want.verificationToken !== undefined && (h.token === undefined || !secretEqual(h.token, want.verificationToken))) return 'wrong verification token';
  if (h.appId !== want.appId) return 'wrong app';
  if (h.tenantKey !== want.tenantKey) return 'wrong tenant';
  return undefined;
}
