import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

/**
 * A fake of the Slack Web API at the network edge: a node:http server on 127.0.0.1 that speaks
 * the wire format @slack/web-api's WebClient uses (POST `/api/<method>`, form-encoded bodies with
 * non-scalar arguments JSON-encoded, `Authorization: Bearer <token>`, HTTP 200 with an
 * `{ ok, error? }` envelope, HTTP 429 with `Retry-After`), keeps the messages it was sent, checks
 * Block Kit limits the way Slack answers them (`invalid_blocks`), and can be scripted to fail.
 *
 * Point a WebClient at it with `slackApiUrl: fake.url`, and put `fake.responseUrl(id)` into the
 * `response_url` of signed payloads (see slack-sign.ts) so Bolt's `respond()` lands here too.
 */

export interface FakeSlackUser {
  email?: string;
  /** The user's own team; another than the fake's (FAKE_SLACK_IDENTITY.team_id) is a Slack Connect member of another organisation. */
  team_id?: string;
  name?: string;
  /** Whether Slack has confirmed the email (users.info `is_email_confirmed`); default true, as for most members. */
  email_confirmed?: boolean;
  /** A guest (`is_restricted`). */
  restricted?: boolean;
}

export interface FakeSlackApiOptions {
  /** The bot token (`xoxb-…`) every method except apps.connections.open requires. */
  token: string;
  /** users.info / users.lookupByEmail answer from this table, keyed by user id. */
  users?: Record<string, FakeSlackUser>;
  /** apps.connections.open returns `{ ok: true, url: socketUrl() }` (e.g. FakeSocketMode.url). */
  socketUrl?: () => string;
  /** What auth.test answers; defaults to FAKE_SLACK_IDENTITY. */
  identity?: Partial<FakeSlackIdentity>;
}

export interface FakeSlackIdentity {
  team_id: string;
  team: string;
  user_id: string;
  user: string;
  bot_id: string;
  app_id: string;
}

export const FAKE_SLACK_IDENTITY: FakeSlackIdentity = {
  team_id: 'T000FAKE',
  team: 'Fake Team',
  user_id: 'U000FAKEBOT',
  user: 'opsbot',
  bot_id: 'B000FAKEBOT',
  app_id: 'A000FAKEAPP',
};

/** One request the fake received on `/api/<method>`, whatever it answered. */
export interface RecordedCall {
  method: string;
  /** The parsed arguments: form fields as strings, `blocks`/`attachments`/`metadata`/… parsed from JSON. */
  args: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** What the fake answered: 'ok', the Slack error code (e.g. 'invalid_auth'), 'http_429', 'http_500' or 'hang'. */
  outcome: string;
}

/** One POST to a `response_url` (`/response/<id>`). */
export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
  /** 'ok', or 'invalid_blocks' when the blocks broke a limit (answered with HTTP 400). */
  outcome: string;
}

/** The current state of a message in a channel. */
export interface FakeMessage {
  ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  thread_ts?: string;
  /** How many times chat.update (or a replace_original response_url post) changed it. */
  updates: number;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  thread_ts?: string;
}

/** A Block Kit limit a received message broke; the call was answered `invalid_blocks`. */
export interface BlockViolation {
  /** The API method, or `response_url`. */
  method: string;
  errors: string[];
  at: number;
}

/** `delayMs`: not a failure, a slow answer (served normally after that long). */
export type FakeFailure = { status: 429; retryAfterSeconds: number } | { status: 500 } | { hang: true } | { delayMs: number };

export interface FakeSlackApi {
  /** Base URL for WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  readonly url: string;
  /**
   * A `response_url` on this fake. When `message` is given, `replace_original` / `delete_original`
   * posts to it edit / delete that message (as Slack does for the message a click came from).
   */
  responseUrl(id: string, message?: { channel: string; ts: string }): string;
  readonly calls: RecordedCall[];
  readonly responses: ResponseUrlPost[];
  readonly violations: BlockViolation[];
  /** The messages of a channel (thread replies included) in post order, as they stand now. */
  messages(channel: string): FakeMessage[];
  /** chat.postEphemeral posts to a channel, in order. */
  ephemerals(channel: string): FakeEphemeral[];
  /** The next `n` calls to `method` ('*' for any) get `failure` instead of being served. Queued after earlier failNext calls. */
  failNext(method: string, n: number, failure: FakeFailure): void;
  /** Every `every`-th call to `method` ('*' for any) from now on gets HTTP 429, until clearFailures(). */
  storm(method: string, opts: { every: number; retryAfterSeconds: number }): void;
  clearFailures(): void;
  /** Resolves with the first recorded call (past or future) that matches; rejects after timeoutMs. */
  waitFor(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Ends hung requests and stops the server. */
  close(): Promise<void>;
}

/** Arguments Slack decodes from JSON when they arrive as form fields. */
const JSON_ARGS = new Set(['blocks', 'attachments', 'metadata', 'view', 'user_auth_blocks']);

interface StoredMessage extends FakeMessage {
  channel: string;
  deleted: boolean;
}

interface ScriptedFailure {
  method: string;
  remaining: number;
  failure: FakeFailure;
}

interface Storm {
  method: string;
  every: number;
  retryAfterSeconds: number;
  seen: number;
}

type Answer =
  | { kind: 'json'; status: number; body: Record<string, unknown>; headers?: Record<string, string> }
  | { kind: 'hang' };

class BadRequest extends Error {}

export async function startFakeSlackApi(opts: FakeSlackApiOptions): Promise<FakeSlackApi> {
  const identity: FakeSlackIdentity = { ...FAKE_SLACK_IDENTITY, ...opts.identity };
  const users = opts.users ?? {};
  const calls: RecordedCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const violations: BlockViolation[] = [];
  const messages: StoredMessage[] = [];
  const ephemerals: FakeEphemeral[] = [];
  const responseTargets = new Map<string, { channel: string; ts: string }>();
  let failures: ScriptedFailure[] = [];
  let storms: Storm[] = [];
  let tsCounter = 0;
  const waiters = new Set<(call: RecordedCall) => void>();
  const hung = new Set<ServerResponse>();

  /** Unique, increasing message timestamps: 1700000000.000100, 1700000000.000200, … */
  function nextTs(): string {
    tsCounter += 1;
    const micros = tsCounter * 100;
    const seconds = 1_700_000_000 + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  function record(call: RecordedCall): void {
    calls.push(call);
    for (const w of [...waiters]) w(call);
  }

  function scriptedFailure(method: string): FakeFailure | undefined {
    const scripted = failures.find((f) => f.remaining > 0 && (f.method === method || f.method === '*'));
    if (scripted !== undefined) {
      scripted.remaining -= 1;
      failures = failures.filter((f) => f.remaining > 0);
      return scripted.failure;
    }
    let stormed: FakeFailure | undefined;
    for (const s of storms) {
      if (s.method !== method && s.method !== '*') continue;
      s.seen += 1;
      if (s.seen % s.every === 0 && stormed === undefined) stormed = { status: 429, retryAfterSeconds: s.retryAfterSeconds };
    }
    return stormed;
  }

  function failureAnswer(failure: Exclude<FakeFailure, { delayMs: number }>): Answer {
    if ('hang' in failure) return { kind: 'hang' };
    if (failure.status === 429) {
      return { kind: 'json', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(failure.retryAfterSeconds) } };
    }
    return { kind: 'json', status: 500, body: { ok: false, error: 'internal_error' } };
  }

  const ok = (body: Record<string, unknown> = {}): Answer => ({ kind: 'json', status: 200, body: { ok: true, ...body } });
  const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({ kind: 'json', status: 200, body: { ok: false, error, ...extra } });

  function blocksError(method: string, errors: string[]): Answer {
    violations.push({ method, errors, at: Date.now() });
    return fail('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
  }

  function findMessage(channel: string, ts: string): StoredMessage | undefined {
    return messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  }

  /**
   * A user object shaped as users.info returns it: the user's own `team_id` (for a Slack Connect
   * member of another organisation, their team, also in `profile.team`), `is_email_confirmed`,
   * the guest flags, and the email in `profile` (with users:read.email).
   */
  function userObject(id: string, u: FakeSlackUser): Record<string, unknown> {
    const name = u.name ?? id.toLowerCase();
    const team = u.team_id ?? identity.team_id;
    return {
      id,
      team_id: team,
      name,
      deleted: false,
      color: '9f69e7',
      real_name: name,
      tz: 'UTC',
      tz_label: 'Coordinated Universal Time',
      tz_offset: 0,
      profile: { real_name: name, display_name: name, real_name_normalized: name, display_name_normalized: name, team, ...(u.email !== undefined ? { email: u.email } : {}) },
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: u.restricted === true,
      is_ultra_restricted: false,
      is_bot: false,
      is_app_user: false,
      updated: 1_700_000_000,
      is_email_confirmed: u.email !== undefined && u.email_confirmed !== false,
      who_can_share_contact_card: 'EVERYONE',
    };
  }

  function serve(method: string, args: Record<string, unknown>, bearer: string | undefined): Answer {
    const token = bearer ?? (typeof args['token'] === 'string' && args['token'] !== '' ? args['token'] : undefined);
    if (token === undefined) return fail('not_authed');
    const appToken = token.startsWith('xapp-');
    if (method === 'apps.connections.open') {
      if (!appToken) return fail(token === opts.token ? 'not_allowed_token_type' : 'invalid_auth');
      if (opts.socketUrl === undefined) return fail('invalid_auth', { detail: 'the fake has no socketUrl' });
      return ok({ url: opts.socketUrl() });
    }
    if (appToken) return fail('not_allowed_token_type');
    if (token !== opts.token) return fail('invalid_auth');

    const str = (k: string): string | undefined => (typeof args[k] === 'string' ? args[k] : typeof args[k] === 'number' ? String(args[k]) : undefined);
    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://fake.slack.test/', team: identity.team, user: identity.user, team_id: identity.team_id, user_id: identity.user_id, bot_id: identity.bot_id, is_enterprise_install: false });
      case 'chat.postMessage':
      case 'chat.postEphemeral':
      case 'chat.update': {
        const channel = str('channel');
        if (channel === undefined || channel === '') return fail('channel_not_found');
        const text = str('text');
        const blocks = args['blocks'];
        if (blocks !== undefined) {
          // chat.update keeps the old text when none is sent, so that text is still the fallback.
          const ts = str('ts');
          const fallback = method === 'chat.update' && text === undefined && ts !== undefined ? findMessage(channel, ts)?.text : text;
          const errors = checkBlocks(blocks, fallback);
          if (errors.length > 0) return blocksError(method, errors);
          const total = blockTextLength(blocks);
          if (total > MAX_BLOCK_TEXT) {
            violations.push({ method, errors: [`${total} characters of block text (Slack stops at about ${MAX_BLOCK_TEXT})`], at: Date.now() });
            return fail('msg_blocks_too_long');
          }
        }
        const blockList = blocks as unknown[] | undefined;
        if (method === 'chat.update') {
          const ts = str('ts');
          const msg = ts === undefined ? undefined : findMessage(channel, ts);
          if (ts === undefined || msg === undefined) return fail('message_not_found');
          if (text !== undefined) msg.text = text;
          if (blockList !== undefined) msg.blocks = blockList;
          msg.updates += 1;
          return ok({ channel, ts, text: msg.text ?? '', message: messageObject(msg) });
        }
        if ((text === undefined || text === '') && blockList === undefined && args['attachments'] === undefined) return fail('no_text');
        const thread = str('thread_ts');
        if (method === 'chat.postEphemeral') {
          const user = str('user');
          if (user === undefined || user === '') return fail('user_not_found');
          const message_ts = nextTs();
          ephemerals.push({ channel, user, message_ts, text, blocks: blockList, ...(thread !== undefined ? { thread_ts: thread } : {}) });
          return ok({ message_ts });
        }
        const msg: StoredMessage = { channel, ts: nextTs(), text, blocks: blockList, updates: 0, deleted: false, ...(thread !== undefined ? { thread_ts: thread } : {}) };
        messages.push(msg);
        return ok({ channel, ts: msg.ts, message: messageObject(msg) });
      }
      case 'users.info': {
        const id = str('user');
        const u = id === undefined ? undefined : users[id];
        if (id === undefined || u === undefined) return fail('user_not_found');
        return ok({ user: userObject(id, u) });
      }
      case 'users.lookupByEmail': {
        const email = str('email');
        const hit = Object.entries(users).find(([, u]) => email !== undefined && u.email === email);
        if (hit === undefined) return fail('users_not_found');
        return ok({ user: userObject(hit[0], hit[1]) });
      }
      default:
        return fail('unknown_method', { req_method: method });
    }
  }

  function messageObject(m: StoredMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: identity.user_id,
      bot_id: identity.bot_id,
      app_id: identity.app_id,
      team: identity.team_id,
      ts: m.ts,
      text: m.text ?? '',
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    };
  }

  function serveResponseUrl(id: string, body: Record<string, unknown>): Answer {
    const at = Date.now();
    const text = typeof body['text'] === 'string' ? body['text'] : undefined;
    if (body['blocks'] !== undefined && body['delete_original'] !== true) {
      const errors = checkBlocks(body['blocks'], text);
      if (errors.length > 0) {
        responses.push({ id, body, at, outcome: 'invalid_blocks' });
        violations.push({ method: 'response_url', errors, at });
        return { kind: 'json', status: 400, body: { ok: false, error: 'invalid_blocks', errors } };
      }
    }
    responses.push({ id, body, at, outcome: 'ok' });
    const target = responseTargets.get(id);
    const msg = target === undefined ? undefined : findMessage(target.channel, target.ts);
    if (msg !== undefined) {
      if (body['delete_original'] === true) msg.deleted = true;
      else if (body['replace_original'] === true) {
        msg.text = text;
        msg.blocks = body['blocks'] as unknown[] | undefined;
        msg.updates += 1;
      }
    }
    return { kind: 'json', status: 200, body: { ok: true } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    let answer: Answer;
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const respMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (apiMatch?.[1] !== undefined) {
      const method = apiMatch[1];
      let args: Record<string, unknown>;
      try {
        args = { ...Object.fromEntries(url.searchParams), ...parseArgs(req.headers['content-type'], raw) };
      } catch (e) {
        const call = { method, args: {}, at: Date.now(), outcome: 'invalid_form_data' };
        record(call);
        send(res, { kind: 'json', status: 200, body: { ok: false, error: 'invalid_form_data', detail: (e as Error).message } });
        return;
      }
      const auth = req.headers.authorization;
      const bearer = auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
      const failure = scriptedFailure(method);
      if (failure !== undefined && 'delayMs' in failure) await new Promise((r) => setTimeout(r, failure.delayMs));
      answer = failure !== undefined && !('delayMs' in failure) ? failureAnswer(failure) : serve(method, args, bearer);
      const outcome = answer.kind === 'hang' ? 'hang' : answer.status !== 200 ? `http_${answer.status}` : answer.body['ok'] === true ? 'ok' : String(answer.body['error']);
      record({ method, args, at: Date.now(), outcome });
    } else if (respMatch?.[1] !== undefined && req.method === 'POST') {
      let body: Record<string, unknown>;
      try {
        body = parseArgs(req.headers['content-type'], raw);
      } catch {
        send(res, { kind: 'json', status: 400, body: { ok: false, error: 'invalid_payload' } });
        return;
      }
      answer = serveResponseUrl(decodeURIComponent(respMatch[1]), body);
    } else {
      answer = { kind: 'json', status: 404, body: { ok: false, error: 'not_found' } };
    }
    send(res, answer);
  }

  function send(res: ServerResponse, answer: Answer): void {
    if (answer.kind === 'hang') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/api/`,
    responseUrl(id, message) {
      if (message !== undefined) responseTargets.set(id, message);
      return `${base}/response/${encodeURIComponent(id)}`;
    },
    calls,
    responses,
    violations,
    messages(channel) {
      return messages
        .filter((m) => m.channel === channel && !m.deleted)
        .map((m) => ({ ts: m.ts, text: m.text, blocks: m.blocks, updates: m.updates, ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}) }));
    },
    ephemerals(channel) {
      return ephemerals.filter((e) => e.channel === channel);
    },
    failNext(method, n, failure) {
      if (n > 0) failures.push({ method, remaining: n, failure });
    },
    storm(method, { every, retryAfterSeconds }) {
      if (!(every >= 1)) throw new Error('storm: every must be >= 1');
      storms.push({ method, every, retryAfterSeconds, seen: 0 });
    },
    clearFailures() {
      failures = [];
      storms = [];
    },
    waitFor(predicate, timeoutMs = 2000) {
      const hit = calls.find(predicate);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`fake Slack API: no matching call within ${timeoutMs} ms; calls so far: ${calls.map((c) => `${c.method}→${c.outcome}`).join(', ') || 'none'}`));
        }, timeoutMs);
        const waiter = (call: RecordedCall): void => {
          if (!predicate(call)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(call);
        };
        waiters.add(waiter);
      });
    },
    async close() {
      for (const res of hung) res.destroy();
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses a form-encoded or JSON body the way Slack does; JSON-valued form fields (blocks, …) are decoded. */
function parseArgs(contentType: string | undefined, raw: string): Record<string, unknown> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (raw === '') return {};
  let args: Record<string, unknown>;
  if (type === 'application/json') {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadRequest('JSON body must be an object');
    args = { ...(parsed as Record<string, unknown>) };
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    args = {};
    for (const [k, v] of Object.entries(parseQuery(raw))) args[k] = Array.isArray(v) ? v[v.length - 1] : v;
  } else {
    throw new BadRequest(`unsupported content-type ${type}`);
  }
  for (const k of JSON_ARGS) {
    const v = args[k];
    if (typeof v === 'string' && v !== '') {
      try {
        args[k] = JSON.parse(v);
      } catch {
        // left as the string it was; the block checks report it
      }
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Block Kit limits (messages). Independent of src/chat so that the fake checks the bot's output
// against Slack's documented limits, not against the bot's own idea of them. Error strings follow
// Slack's `invalid_blocks` answers: "<problem> [json-pointer:/blocks/0/text/text]".

const MAX_BLOCKS = 50;
/**
 * Slack's undocumented cap on the text of all blocks together (`msg_blocks_too_long`, seen at
 * about 13k characters; a maintainer quoted 12,000 in bolt-js #2509). The fake uses 12,000.
 */
export const MAX_BLOCK_TEXT = 12_000;

/** The total length of every text object (and markdown block) in the blocks. */
export function blockTextLength(blocks: unknown): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isObj(v)) {
      if ((v['type'] === 'plain_text' || v['type'] === 'mrkdwn' || v['type'] === 'markdown') && typeof v['text'] === 'string') n += v['text'].length;
      else for (const x of Object.values(v)) walk(x);
    }
  };
  walk(blocks);
  return n;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  return isObj(v) && typeof v['text'] === 'string' ? v['text'] : undefined;
}

/** Returns the Block Kit limits `blocks` breaks (empty when valid). `text` is the message's top-level text. */
export function checkBlocks(blocks: unknown, text: string | undefined): string[] {
  const errors: string[] = [];
  const err = (msg: string, pointer: string): void => {
    errors.push(`${msg} [json-pointer:${pointer}]`);
  };
  if (!Array.isArray(blocks)) {
    err('must be an array of blocks', '/blocks');
    return errors;
  }
  if (blocks.length > MAX_BLOCKS) err(`must provide an array with no more than ${MAX_BLOCKS} items`, '/blocks');
  if (blocks.length > 0 && (text === undefined || text.trim() === '')) err('top-level text (the notification fallback) must be present when blocks are sent', '/text');
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();

  const checkTextObject = (t: unknown, p: string, max: number, plainOnly = false): void => {
    if (!isObj(t)) return err('must be a text object', p);
    if (t['type'] !== 'plain_text' && t['type'] !== 'mrkdwn') err('must be plain_text or mrkdwn', `${p}/type`);
    if (plainOnly && t['type'] !== 'plain_text') err('must be plain_text', `${p}/type`);
    const s = textOf(t);
    if (s === undefined || s.length === 0) err('must be more than 0 characters', `${p}/text`);
    else if (s.length > max) err(`must be less than ${max + 1} characters`, `${p}/text`);
  };

  const checkElement = (el: unknown, p: string): void => {
    if (!isObj(el)) return err('must be an element object', p);
    const actionId = el['action_id'];
    if (typeof actionId === 'string') {
      if (actionId.length > 255) err('must be less than 256 characters', `${p}/action_id`);
      if (actionIds.has(actionId)) err(`action_id "${actionId}" is already used in this message`, `${p}/action_id`);
      actionIds.add(actionId);
    }
    if (el['type'] === 'button') {
      checkTextObject(el['text'], `${p}/text`, 75, true);
      if (typeof el['value'] === 'string' && el['value'].length > 2000) err('must be less than 2001 characters', `${p}/value`);
      if (typeof el['url'] === 'string' && el['url'].length > 3000) err('must be less than 3001 characters', `${p}/url`);
      if (el['style'] !== undefined && el['style'] !== 'primary' && el['style'] !== 'danger') err('must be primary or danger', `${p}/style`);
    }
    const confirm = el['confirm'];
    if (confirm !== undefined) {
      if (!isObj(confirm)) err('must be a confirmation dialog object', `${p}/confirm`);
      else {
        checkTextObject(confirm['title'], `${p}/confirm/title`, 100, true);
        checkTextObject(confirm['text'], `${p}/confirm/text`, 300);
        checkTextObject(confirm['confirm'], `${p}/confirm/confirm`, 30, true);
        checkTextObject(confirm['deny'], `${p}/confirm/deny`, 30, true);
      }
    }
  };

  blocks.forEach((b: unknown, i) => {
    const p = `/blocks/${i}`;
    if (!isObj(b) || typeof b['type'] !== 'string') return err('must be a block object with a type', p);
    const blockId = b['block_id'];
    if (blockId !== undefined) {
      if (typeof blockId !== 'string' || blockId.length > 255) err('must be a string of less than 256 characters', `${p}/block_id`);
      else if (blockIds.has(blockId)) err(`block_id "${blockId}" is already used in this message`, `${p}/block_id`);
      if (typeof blockId === 'string') blockIds.add(blockId);
    }
    switch (b['type']) {
      case 'section': {
        const fields = b['fields'];
        if (b['text'] === undefined && fields === undefined) err('must provide text or fields', p);
        if (b['text'] !== undefined) checkTextObject(b['text'], `${p}/text`, 3000);
        if (fields !== undefined) {
          if (!Array.isArray(fields)) err('must be an array', `${p}/fields`);
          else {
            if (fields.length > 10) err('must provide an array with no more than 10 items', `${p}/fields`);
            fields.forEach((f: unknown, j) => checkTextObject(f, `${p}/fields/${j}`, 2000));
          }
        }
        if (b['accessory'] !== undefined) checkElement(b['accessory'], `${p}/accessory`);
        break;
      }
      case 'header':
        checkTextObject(b['text'], `${p}/text`, 150, true);
        break;
      case 'actions': {
        const els = b['elements'];
        if (!Array.isArray(els) || els.length === 0) err('must provide a non-empty array of elements', `${p}/elements`);
        else {
          if (els.length > 25) err('must provide an array with no more than 25 items', `${p}/elements`);
          els.forEach((el: unknown, j) => checkElement(el, `${p}/elements/${j}`));
        }
        break;
      }
      case 'context': {
        const els = b['elements'];
        if (!Array.isArray(els) || els.length === 0) err('must provide a non-empty array of elements', `${p}/elements`);
        else {
          if (els.length > 10) err('must provide an array with no more than 10 items', `${p}/elements`);
          els.forEach((el: unknown, j) => {
            if (isObj(el) && (el['type'] === 'mrkdwn' || el['type'] === 'plain_text')) checkTextObject(el, `${p}/elements/${j}`, 3000);
          });
        }
        break;
      }
      case 'markdown': {
        const s = b['text'];
        if (typeof s !== 'string' || s.length === 0) err('must be more than 0 characters', `${p}/text`);
        else if (s.length > 12_000) err('must be less than 12001 characters', `${p}/text`);
        break;
      }
      case 'image':
        if (typeof b['alt_text'] === 'string' && b['alt_text'].length > 2000) err('must be less than 2001 characters', `${p}/alt_text`);
        break;
      default:
        break;
    }
  });
  return errors;
}
