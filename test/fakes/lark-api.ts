import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { larkCardProblems } from '../../src/chat/lark/limits.ts';

/**
 * A fake Lark/Feishu Open API on 127.0.0.1, enough for `lark.Client` (pass `url` as its `domain`)
 * and for `lark.WSClient`'s endpoint discovery. Proven against the real SDK by
 * test/integration/fakes/lark-fakes.test.ts.
 *
 * Routes:
 * - `POST /open-apis/auth/v3/tenant_access_token/internal` (route `token`)
 * - `POST /open-apis/im/v1/messages?receive_id_type=…` (route `message.create`)
 * - `PATCH /open-apis/im/v1/messages/:id` (route `message.patch`, interactive messages only)
 * - `POST /open-apis/im/v1/messages/:id/reply` (route `message.reply`)
 * - `POST /callback/ws/endpoint` (route `ws.endpoint`, answers `opts.wsUrl()`)
 * - `GET /open-apis/contact/v3/users/:user_id?user_id_type=open_id` (route `contact.user.get`,
 *   answers from `opts.users`; an unknown user is HTTP 400 code 41050, as for a user outside the
 *   app's contact range)
 *
 * Errors follow the Open API: a JSON body `{ code, msg }`. Validation and authorization failures
 * are HTTP 400 (the IM error tables list HTTP 400 for 230001/230002/230020/230025/230099), which
 * the SDK turns into a thrown AxiosError; only HTTP 200 with `code != 0` comes back as a value.
 * Cards (create, reply, patch) are checked with src/chat/lark/limits.ts `larkCardProblems`: any
 * problem is a 230099 "Failed to create card content" naming the problems; over 30 KB is 230025.
 */

export type LarkRoute = 'token' | 'message.create' | 'message.patch' | 'message.reply' | 'ws.endpoint' | 'contact.user.get';

export type LarkFailure =
  /** HTTP 429, `x-ogw-ratelimit-limit` and `x-ogw-ratelimit-reset` headers, body code 99991400. */
  | { status: 429; resetSeconds: number }
  /** A business error: HTTP 200 (or 400, as the real IM API answers 230020) with this code. */
  | { status: 200 | 400; code: number; msg?: string }
  /** A gateway/server error with a non-JSON body. */
  | { status: 500 | 502 | 503 }
  /** Never answers (until releaseHung() or close()). */
  | { hang: true };

export interface LarkCall {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body (undefined when empty, the raw text when not JSON). */
  body: unknown;
  /** Date.now() when the request arrived. */
  at: number;
  route: LarkRoute | undefined;
  /** The HTTP status answered (undefined while a request hangs). */
  status: number | undefined;
  /** The `code` of the JSON answer, when there was one. */
  code: number | undefined;
}

export interface LarkMessageState {
  message_id: string;
  /** The chat (or the receive_id for open_id/user_id/… sends); for replies, the parent's chat ('' if the parent is unknown). */
  chat_id: string;
  receive_id_type: string;
  msg_type: string;
  /** The current content, parsed from its JSON string. */
  content: unknown;
  /** How many PATCHes changed it. */
  updates: number;
  /** Earlier contents, oldest first. */
  history: unknown[];
  parent_id: string | undefined;
  replies: LarkMessageState[];
  create_time: string;
  update_time: string;
}

export interface WsClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

export interface FakeLarkApi {
  /** `http://127.0.0.1:PORT`: the SDK's `domain`. */
  readonly url: string;
  /** Every request, in arrival order (the live array). */
  readonly calls: LarkCall[];
  /** The top-level messages sent to this chat (or receive_id), in order, each with its replies. */
  messages(chatId: string): LarkMessageState[];
  /** One message (top-level or reply) by id. */
  message(messageId: string): LarkMessageState | undefined;
  /** Replies to a message id, including ids the fake never saw (for example an inbound user message). */
  repliesTo(messageId: string): LarkMessageState[];
  /** Tokens issued so far. */
  readonly tokens: readonly string[];
  /** Invalidates every issued token: the next API call gets 99991663 until a new token is fetched. */
  revokeTokens(): void;
  /** The next `n` requests on `route` fail this way (after being recorded). */
  failNext(route: LarkRoute, n: number, failure: LarkFailure): void;
  /** From now on every `every`-th request on `route` fails this way (the 1st, the (every+1)-th, …), until clearFailures(). */
  storm(route: LarkRoute, every: number, failure: LarkFailure): void;
  clearFailures(): void;
  /** How many requests are hanging. */
  hanging(): number;
  /** Destroys the sockets of hanging requests (the client sees a socket hang up). */
  releaseHung(): void;
  /** Resolves with the predicate's first truthy value, checked after every request and every 20 ms. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const ROUTE_TOKEN = '/open-apis/auth/v3/tenant_access_token/internal';
const ROUTE_MESSAGES = '/open-apis/im/v1/messages';
const ROUTE_WS = '/callback/ws/endpoint';
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
const MSG_TYPES = new Set([
  'text',
  'post',
  'image',
  'file',
  'audio',
  'media',
  'sticker',
  'interactive',
  'share_chat',
  'share_user',
  'system',
]);
/** Request-body limits from the IM docs: text 150 KB; cards and rich text (post) 30 KB. */
const TEXT_LIMIT = 150 * 1024;
const CARD_LIMIT = 30 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly code: number;
  readonly msg: string;
  constructor(status: number, code: number, msg: string) {
    super(`${status} ${code} ${msg}`);
    this.status = status;
    this.code = code;
    this.msg = msg;
  }
}

const bad = (code: number, msg: string) => new HttpError(400, code, msg);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `content`, which must be a JSON string; throws the API's 230001 otherwise. */
function parseContent(content: unknown): unknown {
  if (typeof content !== 'string') throw bad(230001, 'invalid request parameter: content must be a JSON string');
  try {
    return JSON.parse(content);
  } catch {
    throw bad(230001, 'invalid request parameter: content is not valid JSON');
  }
}

function checkContent(msgType: unknown, content: unknown, bodyBytes: number): unknown {
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) {
    throw bad(230001, `invalid request parameter: unknown msg_type ${JSON.stringify(msgType)}`);
  }
  const parsed = parseContent(content);
  // Cards and posts: the content (the card's JSON) against 30 KB, as limits.ts measures it. The
  // docs word it as the request body, whose JSON escaping adds bytes: a card close to the limit
  // may fare worse on the real API. Text: the whole request body against 150 KB.
  const card = msgType === 'interactive' || msgType === 'post';
  const limit = card ? CARD_LIMIT : TEXT_LIMIT;
  const size = card && typeof content === 'string' ? Buffer.byteLength(content) : bodyBytes;
  if (size > limit) {
    throw bad(230025, `The length of the message content reaches its limit (${limit} bytes for ${msgType})`);
  }
  if (msgType === 'text' && !(isRecord(parsed) && typeof parsed['text'] === 'string')) {
    throw bad(230001, 'invalid request parameter: text content must be {"text": string}');
  }
  if (msgType === 'interactive') {
    const problems = larkCardProblems(parsed);
    if (problems.length > 0) throw bad(230099, `Failed to create card content, ${problems.join('; ')}`);
  }
  return parsed;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeLarkApi(opts: {
  appId: string;
  appSecret: string;
  /** The WebSocket URL `/callback/ws/endpoint` hands out (for example `() => fakeWs.url()`). */
  wsUrl?: () => string;
  /** Overrides of the ClientConfig sent with the WS URL (seconds; ReconnectCount -1 = forever). */
  wsClientConfig?: Partial<WsClientConfig>;
  /** `expire` of issued tokens, seconds (default 7200; the SDK refreshes 3 minutes early). */
  tokenTtlSeconds?: number;
  tenantKey?: string;
  /** The directory for `contact.v3.user.get`, by open_id. */
  users?: Record<string, { email?: string; enterprise_email?: string; name?: string }>;
}): Promise<FakeLarkApi> {
  const calls: LarkCall[] = [];
  const tokens: string[] = [];
  const valid = new Set<string>();
  const byId = new Map<string, LarkMessageState>();
  const topLevel: LarkMessageState[] = [];
  const repliesByParent = new Map<string, LarkMessageState[]>();
  const failures = new Map<LarkRoute, { n: number; failure: LarkFailure }[]>();
  const storms = new Map<LarkRoute, { every: number; seen: number; failure: LarkFailure }>();
  const hung = new Set<ServerResponse>();
  const listeners = new Set<() => void>();
  const tenantKey = opts.tenantKey ?? 'fake-tenant';
  let seq = 0;

  const notify = () => {
    for (const l of [...listeners]) l();
  };

  const takeFailure = (route: LarkRoute): LarkFailure | undefined => {
    const storm = storms.get(route);
    if (storm !== undefined) {
      storm.seen += 1;
      if ((storm.seen - 1) % storm.every === 0) return storm.failure;
    }
    const queue = failures.get(route);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.n -= 1;
    if (head.n <= 0) queue.shift();
    return head.failure;
  };

  const newMessage = (p: {
    chat_id: string;
    receive_id_type: string;
    msg_type: string;
    content: unknown;
    parent_id?: string;
  }): LarkMessageState => {
    seq += 1;
    const now = String(Date.now());
    const m: LarkMessageState = {
      message_id: `om_${randomBytes(12).toString('hex')}${seq.toString(16).padStart(8, '0')}`,
      chat_id: p.chat_id,
      receive_id_type: p.receive_id_type,
      msg_type: p.msg_type,
      content: p.content,
      updates: 0,
      history: [],
      parent_id: p.parent_id,
      replies: [],
      create_time: now,
      update_time: now,
    };
    byId.set(m.message_id, m);
    return m;
  };

  /** The `data` of a send/reply answer: the message as the Open API describes it. */
  const messageData = (m: LarkMessageState) => ({
    message_id: m.message_id,
    ...(m.parent_id !== undefined ? { root_id: m.parent_id, parent_id: m.parent_id } : {}),
    msg_type: m.msg_type,
    create_time: m.create_time,
    update_time: m.update_time,
    deleted: false,
    updated: m.updates > 0,
    chat_id: m.chat_id,
    sender: { id: opts.appId, id_type: 'app_id', sender_type: 'app', tenant_key: tenantKey },
    body: { content: JSON.stringify(m.content) },
  });

  const authorize = (req: IncomingMessage) => {
    const auth = req.headers.authorization;
    if (auth === undefined || auth === '') {
      throw bad(99991661, 'Missing access token for authorization. Please make a request with token attached.');
    }
    const m = /^Bearer (.+)$/.exec(auth);
    if (m?.[1] === undefined || !valid.has(m[1])) {
      throw bad(99991663, 'Invalid access token for authorization. Please make a request with token attached.');
    }
  };

  const handle = (route: LarkRoute, req: IncomingMessage, body: unknown, raw: Buffer, query: Record<string, string>, id: string | undefined): { status: number; json: unknown } => {
    if (route === 'token') {
      if (!isRecord(body) || body['app_id'] !== opts.appId) throw bad(10003, 'invalid param: app_id');
      if (body['app_secret'] !== opts.appSecret) throw bad(10014, 'app secret invalid');
      const token = `t-fake-${randomBytes(16).toString('hex')}`;
      tokens.push(token);
      valid.add(token);
      return { status: 200, json: { code: 0, msg: 'ok', tenant_access_token: token, expire: opts.tokenTtlSeconds ?? 7200 } };
    }
    if (route === 'ws.endpoint') {
      if (!isRecord(body) || body['AppID'] !== opts.appId || body['AppSecret'] !== opts.appSecret) {
        // `data: {}` matters: the SDK destructures data.URL before looking at code, and a missing
        // data would turn this into a (retried forever) TypeError instead of a terminal error.
        return { status: 200, json: { code: 514, msg: 'auth failed', data: {} } };
      }
      if (opts.wsUrl === undefined) {
        return { status: 200, json: { code: 403, msg: 'the fake Lark API was started without wsUrl', data: {} } };
      }
      const ClientConfig: WsClientConfig = {
        PingInterval: 120,
        ReconnectCount: -1,
        ReconnectInterval: 120,
        ReconnectNonce: 30,
        ...opts.wsClientConfig,
      };
      return { status: 200, json: { code: 0, msg: 'ok', data: { URL: opts.wsUrl(), ClientConfig } } };
    }
    authorize(req);
    if (route === 'contact.user.get') {
      const userId = id ?? '';
      if (query['user_id_type'] !== 'open_id') throw bad(99992402, `field validation failed: user_id_type ${JSON.stringify(query['user_id_type'])} (the fake knows open_id only)`);
      const user = opts.users?.[userId];
      if (user === undefined) throw bad(41050, 'no user authority error');
      return { status: 200, json: { code: 0, msg: 'success', data: { user: { open_id: userId, name: user.name ?? userId, ...(user.email === undefined ? {} : { email: user.email }), ...(user.enterprise_email === undefined ? {} : { enterprise_email: user.enterprise_email }) } } } };
    }
    if (!isRecord(body)) throw new HttpError(400, 9499, 'Bad Request: the body must be a JSON object');
    if (route === 'message.create') {
      const type = query['receive_id_type'];
      if (type === undefined || !RECEIVE_ID_TYPES.has(type)) {
        throw bad(99992402, `field validation failed: receive_id_type ${JSON.stringify(type)}`);
      }
      const receiveId = body['receive_id'];
      if (typeof receiveId !== 'string' || receiveId === '') throw bad(99992402, 'field validation failed: receive_id is required');
      const content = checkContent(body['msg_type'], body['content'], raw.length);
      const m = newMessage({ chat_id: receiveId, receive_id_type: type, msg_type: String(body['msg_type']), content });
      topLevel.push(m);
      return { status: 200, json: { code: 0, msg: 'success', data: messageData(m) } };
    }
    const target = id ?? '';
    if (route === 'message.reply') {
      const content = checkContent(body['msg_type'], body['content'], raw.length);
      const parent = byId.get(target);
      const m = newMessage({
        chat_id: parent?.chat_id ?? '',
        receive_id_type: 'chat_id',
        msg_type: String(body['msg_type']),
        content,
        parent_id: target,
      });
      parent?.replies.push(m);
      const list = repliesByParent.get(target) ?? [];
      list.push(m);
      repliesByParent.set(target, list);
      return { status: 200, json: { code: 0, msg: 'success', data: messageData(m) } };
    }
    // message.patch: updates a card the app sent.
    const m = byId.get(target);
    if (m === undefined) throw bad(230001, `invalid request parameter: message ${target} not found`);
    if (m.msg_type !== 'interactive') throw bad(230001, 'invalid request parameter: only interactive (card) messages can be patched');
    const content = checkContent('interactive', body['content'], raw.length);
    m.history.push(m.content);
    m.content = content;
    m.updates += 1;
    m.update_time = String(Date.now());
    return { status: 200, json: { code: 0, msg: 'success', data: {} } };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(u.searchParams);
      const text = raw.toString('utf8');
      let body: unknown = undefined;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const method = req.method ?? 'GET';
      let route: LarkRoute | undefined;
      let id: string | undefined;
      const mm = /^\/open-apis\/im\/v1\/messages\/([^/]+)(\/reply)?$/.exec(u.pathname);
      const mu = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(u.pathname);
      if (method === 'POST' && u.pathname === ROUTE_TOKEN) route = 'token';
      else if (method === 'POST' && u.pathname === ROUTE_WS) route = 'ws.endpoint';
      else if (method === 'POST' && u.pathname === ROUTE_MESSAGES) route = 'message.create';
      else if (mm !== null && method === 'PATCH' && mm[2] === undefined) {
        route = 'message.patch';
        id = decodeURIComponent(mm[1] ?? '');
      } else if (mm !== null && method === 'POST' && mm[2] === '/reply') {
        route = 'message.reply';
        id = decodeURIComponent(mm[1] ?? '');
      } else if (mu !== null && method === 'GET') {
        route = 'contact.user.get';
        id = decodeURIComponent(mu[1] ?? '');
      }
      const call: LarkCall = { method, path: u.pathname, query, body, at: Date.now(), route, status: undefined, code: undefined };
      calls.push(call);

      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        call.status = status;
        if (isRecord(json) && typeof json['code'] === 'number') call.code = json['code'];
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(json));
        notify();
      };

      if (route === undefined) {
        send(404, { code: 404, msg: `the fake Lark API has no ${method} ${u.pathname}` });
        return;
      }
      const failure = takeFailure(route);
      if (failure !== undefined) {
        if ('hang' in failure) {
          hung.add(res);
          res.on('close', () => hung.delete(res));
          notify();
          return;
        }
        if (failure.status === 429) {
          send(
            429,
            { code: 99991400, msg: 'request trigger frequency limit' },
            { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(failure.resetSeconds) },
          );
          return;
        }
        if (failure.status === 200 || failure.status === 400) {
          send(failure.status, { code: failure.code, msg: failure.msg ?? 'This operation triggers the frequency limit.' });
          return;
        }
        call.status = failure.status;
        res.writeHead(failure.status, { 'content-type': 'text/plain' });
        res.end('internal server error');
        notify();
        return;
      }
      try {
        const out = handle(route, req, body, raw, query, id);
        send(out.status, out.json);
      } catch (e) {
        if (e instanceof HttpError) send(e.status, { code: e.code, msg: e.msg });
        else send(500, { code: 500, msg: `fake Lark API bug: ${String(e)}` });
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const snapshot = (m: LarkMessageState): LarkMessageState => structuredClone(m);

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get tokens() {
      return [...tokens];
    },
    messages: (chatId) => topLevel.filter((m) => m.chat_id === chatId).map(snapshot),
    message: (messageId) => {
      const m = byId.get(messageId);
      return m === undefined ? undefined : snapshot(m);
    },
    repliesTo: (messageId) => (repliesByParent.get(messageId) ?? []).map(snapshot),
    revokeTokens: () => valid.clear(),
    failNext: (route, n, failure) => {
      const queue = failures.get(route) ?? [];
      queue.push({ n, failure });
      failures.set(route, queue);
    },
    storm: (route, every, failure) => {
      storms.set(route, { every: Math.max(1, every), seen: 0, failure });
    },
    clearFailures: () => {
      failures.clear();
      storms.clear();
    },
    hanging: () => hung.size,
    releaseHung: () => {
      for (const res of hung) res.socket?.destroy();
      hung.clear();
    },
    waitFor: <T>(predicate: () => T | undefined | null | false, timeoutMs = 5000) =>
      new Promise<T>((resolve, reject) => {
        const check = (): boolean => {
          const v = predicate();
          if (v === undefined || v === null || v === false) return false;
          cleanup();
          resolve(v);
          return true;
        };
        const timer = setInterval(check, 20);
        const deadline = setTimeout(() => {
          cleanup();
          const recent = calls.slice(-5).map((c) => `${c.method} ${c.path} → ${c.status ?? 'pending'}${c.code !== undefined ? ` code ${c.code}` : ''}`);
          reject(new Error(`fake Lark API: waitFor timed out after ${timeoutMs} ms; last calls: ${recent.join(', ') || 'none'}`));
        }, timeoutMs);
        const listener = () => {
          check();
        };
        function cleanup() {
          clearInterval(timer);
          clearTimeout(deadline);
          listeners.delete(listener);
        }
        listeners.add(listener);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.socket?.destroy();
        hung.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
