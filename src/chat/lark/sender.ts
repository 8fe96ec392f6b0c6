import * as lark from '@larksuiteoapi/node-sdk';
import type { Config } from '../../config/schema.ts';
import type { Log } from '../../log.ts';
import type { ChannelSender, OutboxItem, SendOutcome } from '../../notify/outbox.ts';
import { renderLarkCard } from './render.ts';

/**
 * Sends outbox items to Lark/Feishu with one `lark.Client`. The SDK neither retries nor waits out
 * rate limits, and answers business errors on HTTP 200 with `code != 0` without throwing: every
 * answer is checked here and classified for the outbox, which retries per chat.
 *
 * - A post, and an upsert's first send: `im.message.create` (an interactive card, receive_id_type
 *   chat_id), or `im.message.reply` when it goes under a message (`threadRef`: a command's
 *   answer under the command). Overflow text chunks follow as text replies under the card.
 * - An upsert that was sent before: `im.message.patch` of that card; a recalled card is sent
 *   again rather than the update lost.
 * - Pace: 250 ms per chat, at most 4 a second, under Lark's 5 per second per chat (shared by all
 *   bots in the chat) and the 5 per second per message for patches.
 */
export type LarkConfig = NonNullable<Config['lark']>;

export const LARK_PACE_MS = 250;
/** No answer within this long: the request is given up and tried again (transient). */
export const LARK_TIMEOUT_MS = 10_000;

/** Business codes that mean "too fast, wait" (app frequency limit; per-chat / per-user limit). */
const RATE_LIMIT_CODES = new Set([99991400, 230020]);
/** The tenant token was refused: fetch a new one and try again. */
const TOKEN_CODES = new Set([99991661, 99991663]);
/** Patching a card that is gone (recalled): send it again instead. */
const GONE_CODES = new Set([230011]);

export function larkDomain(domain: LarkConfig['domain']): lark.Domain | string {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** The SDK's logger, into ours at warn and above (its info lines are start-up chatter). */
export function sdkLogger(log: Log): lark.Logger {
  // Never throws: the SDK logs from inside its connection handling, where a throw would stop it.
  const one = (x: unknown): string => {
    if (typeof x === 'string') return x;
    if (x instanceof Error) return x.message;
    try {
      return JSON.stringify(x) ?? String(x);
    } catch {
      return String(x);
    }
  };
  const text = (m: unknown[]) => m.map(one).join(' ');
  return {
    error: (...m: unknown[]) => log.error({ lark: text(m) }, 'lark sdk'),
    warn: (...m: unknown[]) => log.warn({ lark: text(m) }, 'lark sdk'),
    info: () => undefined,
    debug: () => undefined,
    trace: () => undefined,
  };
}

/** The SDK's axios instance with a timeout on every call (the SDK sets none). */
function timedHttp(base: lark.HttpInstance, timeoutMs: number): lark.HttpInstance {
  return {
    request: (o) => base.request({ timeout: timeoutMs, ...o }),
    get: (url, o) => base.get(url, { timeout: timeoutMs, ...o }),
    delete: (url, o) => base.delete(url, { timeout: timeoutMs, ...o }),
    head: (url, o) => base.head(url, { timeout: timeoutMs, ...o }),
    options: (url, o) => base.options(url, { timeout: timeoutMs, ...o }),
    post: (url, data, o) => base.post(url, data, { timeout: timeoutMs, ...o }),
    put: (url, data, o) => base.put(url, data, { timeout: timeoutMs, ...o }),
    patch: (url, data, o) => base.patch(url, data, { timeout: timeoutMs, ...o }),
  };
}

export interface LarkApi {
  readonly client: lark.Client;
  /** Its own token cache (not the SDK's process-wide one), so a refused token can be dropped. */
  readonly cache: lark.DefaultCache;
}

export function createLarkClient(cfg: LarkConfig, log: Log): LarkApi {
  const cache = new lark.DefaultCache();
  const client = new lark.Client({
    appId: cfg.appId,
    appSecret: cfg.appSecret,
    domain: larkDomain(cfg.domain),
    // The SDK treats LoggerLevel.fatal (0) as unset; warn and the logger's own filter do the job.
    loggerLevel: lark.LoggerLevel.warn,
    logger: sdkLogger(log),
    cache,
    // The SDK's own default instance (typed as a plain AxiosInstance, though its interceptor already unwraps `data`).
    httpInstance: timedHttp(lark.defaultHttpInstance as unknown as lark.HttpInstance, LARK_TIMEOUT_MS),
  });
  return { client, cache };
}

interface AxiosLike {
  readonly isAxiosError?: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly response?: { readonly status: number; readonly headers?: Record<string, unknown>; readonly data?: unknown };
}

function resetMs(headers: Record<string, unknown> | undefined): number {
  const raw = headers?.['x-ogw-ratelimit-reset'];
  const seconds = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : 1000;
}

function codeOf(data: unknown): { code: number; msg: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { code?: unknown; msg?: unknown };
  return typeof d.code === 'number' ? { code: d.code, msg: typeof d.msg === 'string' ? d.msg : '' } : undefined;
}

/** An Open API answer `{ code, msg }` with `code != 0` (HTTP 200 or 4xx), as an outcome. */
export function classifyLarkCode(code: number, msg: string, headers?: Record<string, unknown>): SendOutcome {
  if (RATE_LIMIT_CODES.has(code)) return { kind: 'rate_limited', retryAfterMs: resetMs(headers) };
  if (TOKEN_CODES.has(code)) return { kind: 'transient', error: `code ${code}: ${msg}` };
  return { kind: 'permanent', error: `code ${code}: ${msg}` };
}

/** What a thrown error (an AxiosError from the SDK, or anything else) means for the outbox. */
export function classifyLarkError(e: unknown): SendOutcome {
  const a = (typeof e === 'object' && e !== null ? e : {}) as AxiosLike;
  const res = a.response;
  if (res === undefined) {
    // Connection refused or reset, DNS, timeout: the request may not have arrived; try again.
    return { kind: 'transient', error: a.code ?? a.message ?? String(e) };
  }
  if (res.status === 429) return { kind: 'rate_limited', retryAfterMs: resetMs(res.headers) };
  if (res.status >= 500 || res.status === 408) return { kind: 'transient', error: `HTTP ${res.status}` };
  const c = codeOf(res.data);
  if (c !== undefined) return classifyLarkCode(c.code, c.msg, res.headers);
  return { kind: 'permanent', error: `HTTP ${res.status}` };
}

type Answer = { readonly ok: true; readonly messageId: string | undefined } | { readonly ok: false; readonly outcome: SendOutcome; readonly code: number | undefined };

/** Runs one API call and folds its three ways of failing (throw, code != 0, no data) into one. */
async function attempt(call: () => Promise<{ code?: number | undefined; msg?: string | undefined; data?: { message_id?: string | undefined } | undefined }>): Promise<Answer> {
  try {
    const r = await call();
    if (r.code !== undefined && r.code !== 0) return { ok: false, outcome: classifyLarkCode(r.code, r.msg ?? ''), code: r.code };
    return { ok: true, messageId: r.data?.message_id };
  } catch (e) {
    const res = (e as AxiosLike).response;
    return { ok: false, outcome: classifyLarkError(e), code: codeOf(res?.data)?.code };
  }
}

export function createLarkSender(api: LarkApi, openIdOf: (person: string) => string | undefined): ChannelSender {
  const { client, cache } = api;
  const send = (chatId: string, threadRef: string | undefined, msgType: 'text' | 'interactive', content: string) =>
    attempt(() =>
      threadRef === undefined
        ? client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: chatId, msg_type: msgType, content } })
        : client.im.v1.message.reply({ path: { message_id: threadRef }, data: { msg_type: msgType, content } }),
    );
  const settle = (a: Answer & { ok: false }): SendOutcome => {
    if (a.code !== undefined && TOKEN_CODES.has(a.code)) cache.values.clear();
    return a.outcome;
  };

  return {
    paceMs: LARK_PACE_MS,
    async deliver(item: OutboxItem, ctx): Promise<SendOutcome> {
      if (item.kind === 'post' && item.raw !== undefined) {
        const r = await send(ctx.channelId, ctx.threadRef, 'text', JSON.stringify({ text: item.raw }));
        return r.ok ? { kind: 'sent', ref: r.messageId } : settle(r);
      }
      const { card, overflow } = renderLarkCard(item.message, { openIdOf });
      const content = JSON.stringify(card);
      if (item.kind === 'upsert' && ctx.ref !== undefined) {
        const ref = ctx.ref;
        const r = await attempt(() => client.im.v1.message.patch({ path: { message_id: ref }, data: { content } }));
        if (r.ok) return { kind: 'sent', ref };
        if (r.code === undefined || !GONE_CODES.has(r.code)) return settle(r);
      }
      const r = await send(ctx.channelId, ctx.threadRef, 'interactive', content);
      if (!r.ok) return settle(r);
      if (r.messageId === undefined) return { kind: 'permanent', error: 'Lark answered without a message_id' };
      return { kind: 'sent', ref: r.messageId, followUps: overflow };
    },
  };
}
