import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * What Lark/Feishu puts on the wire when it pushes an event or a card callback to a request URL,
 * for tests that drive the bot's HTTP receiver. Proven against the real SDK's EventDispatcher by
 * test/integration/fakes/lark-fakes.test.ts.
 *
 * - Encryption: `{"encrypt": base64(IV16 ‖ AES-256-CBC(key = SHA-256(encryptKey), PKCS#7, json))}`
 *   (SDK: `AESCipher` in node_modules/@larksuiteoapi/node-sdk/lib/index.js).
 * - Signature: `hex(SHA-256(timestamp + nonce + encryptKey + body))`, a plain hash, not an HMAC.
 *   The SDK hashes `JSON.stringify(parsedBody)`, so the body sent must be compact JSON (it is here).
 */

/** `{ encrypt }` for `obj` (a string is encrypted as is, anything else as its compact JSON). */
export function encryptLark(encryptKey: string, obj: unknown): { encrypt: string } {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const plain = typeof obj === 'string' ? obj : JSON.stringify(obj);
  const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { encrypt: Buffer.concat([iv, encrypted]).toString('base64') };
}

/** The `x-lark-signature` of a request: hex SHA-256 of timestamp + nonce + encryptKey + body. */
export function signLark(encryptKey: string, timestamp: string, nonce: string, body: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + body).digest('hex');
}

export interface LarkCallbackRequest {
  headers: Record<string, string>;
  /** The exact bytes to POST (compact JSON). */
  body: string;
}

/**
 * A request exactly as Lark sends it when an Encrypt Key is configured: the envelope `body` is
 * encrypted (unless `encrypt: false`), the compact JSON of the result is signed, and the
 * `x-lark-request-timestamp` (unix seconds), `x-lark-request-nonce` and `x-lark-signature`
 * headers are set.
 */
export function larkCallbackRequest(opts: {
  encryptKey: string;
  body: unknown;
  timestamp?: string;
  nonce?: string;
  /** Default true. False sends the envelope in clear (still signed), as for an app without encryption. */
  encrypt?: boolean;
}): LarkCallbackRequest {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(8).toString('hex');
  const payload = opts.encrypt === false ? opts.body : encryptLark(opts.encryptKey, opts.body);
  const body = JSON.stringify(payload);
  return {
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': signLark(opts.encryptKey, timestamp, nonce, body),
    },
    body,
  };
}

export interface PostLarkResult {
  status: number;
  /** The raw response body. */
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

/** POSTs a request built by larkCallbackRequest to the receiver at `url`. */
export async function postLark(url: string, req: LarkCallbackRequest): Promise<PostLarkResult> {
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const hex = (n: number) => randomBytes(n).toString('hex');

/** Schema 2.0 event header, as Lark sends it. */
export interface LarkEventHeader {
  event_id: string;
  event_type: string;
  /** Milliseconds since the epoch, as a string. */
  create_time: string;
  /** The app's Verification Token. */
  token: string;
  app_id: string;
  tenant_key: string;
}

export interface LarkMention {
  key: string;
  id: { open_id: string; union_id: string; user_id: string };
  name: string;
  tenant_key: string;
}

export interface MessageReceiveEnvelope {
  schema: '2.0';
  header: LarkEventHeader;
  event: {
    sender: {
      sender_id: { open_id: string; union_id: string; user_id: string };
      sender_type: 'user';
      tenant_key: string;
    };
    message: {
      message_id: string;
      root_id?: string;
      parent_id?: string;
      create_time: string;
      update_time: string;
      chat_id: string;
      chat_type: 'p2p' | 'group';
      message_type: 'text';
      /** JSON string of `{ text }`. */
      content: string;
      mentions?: LarkMention[];
    };
  };
}

/**
 * An `im.message.receive_v1` envelope (schema 2.0) for a text message. Mentions are numbered
 * `@_user_1`, `@_user_2`, … in order unless given a key; put the same placeholders in `text`
 * (for example `'@_user_1 deploy api v1.2.3'`), as Lark does.
 */
export function messageReceiveEvent(p: {
  event_id?: string;
  app_id: string;
  tenant_key: string;
  /** The Verification Token (header.token). */
  token: string;
  chat_id: string;
  chat_type?: 'p2p' | 'group';
  sender_open_id: string;
  text: string;
  mentions?: { open_id: string; name: string; key?: string }[];
  message_id?: string;
  parent_id?: string;
  root_id?: string;
  /** Milliseconds since the epoch; default now. */
  create_time?: number;
}): MessageReceiveEnvelope {
  const now = String(p.create_time ?? Date.now());
  const message: MessageReceiveEnvelope['event']['message'] = {
    message_id: p.message_id ?? `om_${hex(16)}`,
    create_time: now,
    update_time: now,
    chat_id: p.chat_id,
    chat_type: p.chat_type ?? 'group',
    message_type: 'text',
    content: JSON.stringify({ text: p.text }),
  };
  if (p.root_id !== undefined) message.root_id = p.root_id;
  if (p.parent_id !== undefined) message.parent_id = p.parent_id;
  if (p.mentions !== undefined && p.mentions.length > 0) {
    message.mentions = p.mentions.map((m, i) => ({
      key: m.key ?? `@_user_${i + 1}`,
      id: { open_id: m.open_id, union_id: `on_${hex(16)}`, user_id: hex(4) },
      name: m.name,
      tenant_key: p.tenant_key,
    }));
  }
  return {
    schema: '2.0',
    header: {
      event_id: p.event_id ?? hex(16),
      event_type: 'im.message.receive_v1',
      create_time: now,
      token: p.token,
      app_id: p.app_id,
      tenant_key: p.tenant_key,
    },
    event: {
      sender: {
        sender_id: { open_id: p.sender_open_id, union_id: `on_${hex(16)}`, user_id: hex(4) },
        sender_type: 'user',
        tenant_key: p.tenant_key,
      },
      message,
    },
  };
}

export interface CardActionEnvelope {
  schema: '2.0';
  header: LarkEventHeader;
  event: {
    operator: { tenant_key: string; open_id: string; union_id: string; user_id: string };
    /** The delayed-update token (valid 30 minutes, usable twice); not the Verification Token. */
    token: string;
    action: {
      value: unknown;
      tag: string;
      name?: string;
      form_value?: Record<string, unknown>;
      timezone?: string;
    };
    host: 'im_message';
    context: { open_message_id: string; open_chat_id: string };
  };
}

/** A `card.action.trigger` callback envelope (schema 2.0), as sent when a card button is clicked. */
export function cardActionEvent(p: {
  event_id?: string;
  app_id: string;
  tenant_key: string;
  /** The Verification Token (header.token). */
  token: string;
  operator_open_id: string;
  value: unknown;
  open_message_id: string;
  open_chat_id: string;
  /** Default 'button'. */
  tag?: string;
  name?: string;
  form_value?: Record<string, unknown>;
  /** The delayed-update token (event.token); default a fresh `c-…`. */
  update_token?: string;
  /** Milliseconds since the epoch; default now. */
  create_time?: number;
}): CardActionEnvelope {
  const action: CardActionEnvelope['event']['action'] = { value: p.value, tag: p.tag ?? 'button', timezone: 'Asia/Shanghai' };
  if (p.name !== undefined) action.name = p.name;
  if (p.form_value !== undefined) action.form_value = p.form_value;
  return {
    schema: '2.0',
    header: {
      event_id: p.event_id ?? hex(16),
      event_type: 'card.action.trigger',
      create_time: String(p.create_time ?? Date.now()),
      token: p.token,
      app_id: p.app_id,
      tenant_key: p.tenant_key,
    },
    event: {
      operator: { tenant_key: p.tenant_key, open_id: p.operator_open_id, union_id: `on_${hex(16)}`, user_id: hex(4) },
      token: p.update_token ?? `c-${randomUUID()}`,
      action,
      host: 'im_message',
      context: { open_message_id: p.open_message_id, open_chat_id: p.open_chat_id },
    },
  };
}

/** The URL-verification challenge Lark sends when a request URL is saved in the console. */
export function urlVerificationEvent(p: { token: string; challenge?: string }): {
  challenge: string;
  token: string;
  type: 'url_verification';
} {
  return { challenge: p.challenge ?? randomUUID(), token: p.token, type: 'url_verification' };
}
