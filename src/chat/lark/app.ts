import type { IncomingMessage, ServerResponse } from 'node:http';
import * as lark from '@larksuiteoapi/node-sdk';
import type { Message } from '../../core/message.ts';
import { claim, dedupeKey } from '../../jobs/dedupe.ts';
import type { Log } from '../../log.ts';
import type { ChannelSender, Outbox } from '../../notify/outbox.ts';
import type { Metrics } from '../../server/metrics.ts';
import { message } from '../../core/message.ts';
import { loadOpView } from '../../service/op-live.ts';
import type { Services } from '../../service/services.ts';
import { personById, within } from '../identity.ts';
import { carryOut, click, clickActionOf, precheck } from '../inbound.ts';
import { larkOpenIdOf, larkPerson } from './identity.ts';
import { renderLarkCard } from './render.ts';
import { createLarkClient, createLarkSender, larkDomain, sdkLogger, type LarkConfig } from './sender.ts';
import { GatedDispatcher, type Gate, type Refusal } from './gated-dispatcher.ts';
import { envelopeHeader, envelopeProblem, type EnvelopeHeader, type RejectReason } from './verify.ts';
import { createLarkWebhook } from './webhook.ts';

/**
 * The Lark/Feishu adapter. Events arrive by webhook (`POST /lark/events` on the bot's server) or
 * over the SDK's long connection (WSClient); both end in one EventDispatcher with two handlers:
 *
 * - `im.message.receive_v1`: a group message that @mentions the bot, or a direct message. The
 *   handler returns at once (Lark wants an answer within 3 s and redelivers otherwise) and the
 *   work goes on after: parse and policy, refusals answered as a reply to the message, anything
 *   else carried out, operations shown as one live card in the chat.
 * - `card.action.trigger`: a button click, decided by the same click handlers as Slack's and
 *   answered within 3 s with a toast for the clicker and the operation's card as it now stands,
 *   so the clicked card changes at once; the outbox's patch that follows is the same card.
 *
 * Before the dispatcher sees anything: in webhook mode the signature over the raw bytes, the
 * timestamp window and the decryption (webhook.ts with verify.ts, not the SDK's check); in both
 * modes the gate below, in front of the SDK's dispatcher (gated-dispatcher.ts), checks the
 * envelope's app and tenant (and, for webhooks, the Verification Token), and the event id,
 * claimed in Redis so a redelivery to any replica acts once.
 */
export interface LarkAdapter {
  /** Webhook mode: the handler for POST /lark/events. */
  readonly requestListener: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  readonly sender: ChannelSender;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LarkAdapterOptions {
  readonly s: Services;
  readonly outbox: Outbox;
  readonly lark: LarkConfig;
  readonly log: Log;
  readonly metrics: Metrics;
  readonly now?: () => number;
}

/** How long a click waits for an email lookup of an unknown clicker before treating them as unknown. */
const CLICK_LOOKUP_MS = 1500;

type Toast = { readonly type: 'success' | 'error' | 'info' | 'warning'; readonly content: string };
type CardAnswer = { readonly toast: Toast; readonly card?: { readonly type: 'raw'; readonly data: unknown } };

interface ReceiveEvent {
  readonly event_id?: string;
  readonly sender?: { readonly sender_id?: { readonly open_id?: string }; readonly sender_type?: string };
  readonly message?: {
    readonly message_id?: string;
    readonly chat_id?: string;
    readonly chat_type?: string;
    readonly message_type?: string;
    readonly content?: string;
    readonly mentions?: readonly { readonly key?: string; readonly id?: { readonly open_id?: string }; readonly name?: string }[];
  };
}

interface CardActionEvent {
  readonly event_id?: string;
  /** The callback's own token (card callbacks of schema 1.0 carry no event id). */
  readonly token?: string;
  readonly operator?: { readonly open_id?: string };
  readonly action?: { readonly value?: unknown };
  readonly context?: { readonly open_message_id?: string; readonly open_chat_id?: string };
}

function toastOf(m: Message): Toast {
  const type = m.status === 'succeeded' ? 'success' : m.status === 'error' || m.status === 'failed' || m.status === 'denied' ? 'error' : 'info';
  return { type, content: m.text ?? m.title };
}

export function createLarkAdapter(o: LarkAdapterOptions): LarkAdapter {
  const { s, outbox, log, metrics } = o;
  const cfg = o.lark;
  const now = o.now ?? Date.now;
  const api = createLarkClient(cfg, log);
  const openIdOf = larkOpenIdOf(s);
  const sender = createLarkSender(api, openIdOf);
  const who = (openId: string | undefined) => (openId === undefined || openId === '' ? Promise.resolve(undefined) : larkPerson(s, api.client, openId));
  const inflight = new Set<Promise<void>>();

  const refuse = (reason: RejectReason, extra: { eventId?: string; status: 200 | 401 | 413; answer?: unknown; seen?: Record<string, string | undefined> }): Refusal => {
    metrics.rejected.inc({ platform: 'lark', reason });
    // Ids only (event, and for a wrong app or tenant the ones that came): never a body, token or key.
    log.warn({ reason, ...(extra.eventId === undefined ? {} : { eventId: extra.eventId }), ...extra.seen, status: extra.status }, 'lark request refused');
    return { status: extra.status, answer: extra.answer ?? {} };
  };

  const cardOf = async (opId: string): Promise<CardAnswer['card']> => {
    const view = await loadOpView(s, opId);
    return view === undefined ? undefined : { type: 'raw', data: renderLarkCard(view, { openIdOf }).card };
  };

  /** Our checks on a decrypted envelope; undefined when it may go to the handlers. */
  const gate: Gate = async (envelope) => {
    const h: EnvelopeHeader | undefined = envelopeHeader(envelope);
    if (h === undefined) return refuse('unsupported event schema', { status: 200 });
    const isCard = h.eventType === 'card.action.trigger';
    // The long connection was authenticated when it opened and carries no signature or token check of its own.
    const problem = envelopeProblem(h, { appId: cfg.appId, tenantKey: cfg.tenantKey, verificationToken: cfg.mode === 'webhook' ? cfg.verificationToken : undefined });
    if (problem === 'wrong verification token') return refuse(problem, { eventId: h.eventId, status: 401 });
    if (problem !== undefined) {
      // Signed with our key, so sent by Lark: a non-200 would only make Lark retry it for hours.
      const answer = isCard ? { toast: { type: 'error', content: 'This bot serves another organisation; nothing was done.' } } : {};
      return refuse(problem, { eventId: h.eventId, status: 200, answer, seen: { appId: h.appId, tenantKey: h.tenantKey } });
    }
    const seen = await claim(s.redis, s.prefix, `lark-event:${h.eventId}`, '-');
    if (!seen.first) {
      let answer: unknown = {};
      if (isCard) {
        const card = seen.value.startsWith('op-') ? await cardOf(seen.value) : undefined;
        answer = { toast: { type: 'info', content: 'Already received.' }, ...(card === undefined ? {} : { card }) } satisfies CardAnswer;
      }
      return refuse('replayed event', { eventId: h.eventId, status: 200, answer });
    }
    return undefined;
  };

  const track = (work: Promise<void>) => {
    const p = work.catch((e: unknown) => log.error({ err: e }, 'lark message failed after its ack'));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const onMessage = async (ev: ReceiveEvent): Promise<void> => {
    const m = ev.message;
    const eventId = ev.event_id;
    if (m?.chat_id === undefined || m.message_id === undefined || eventId === undefined) return;
    if (ev.sender?.sender_type !== undefined && ev.sender.sender_type !== 'user') return;
    const mentions = m.mentions ?? [];
    // With im:message.group_at_msg the bot only gets group messages that mention it; with the
    // wider group_msg scope, a message that mentions no one is not addressed to the bot.
    if (m.chat_type === 'group' && mentions.length === 0) return;
    const channel = `lark:${m.chat_id}`;
    const answerId = `lark-event:${eventId}:answer`;
    const threadRef = m.message_id;
    let text: string | undefined;
    try {
      const parsed = JSON.parse(m.content ?? '') as { text?: unknown };
      if (m.message_type === 'text' && typeof parsed.text === 'string') text = parsed.text;
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      await outbox.post(channel, message('Text only', 'info', { text: 'I read plain text messages only. Try "help".' }), { dedupeId: answerId, threadRef });
      return;
    }
    // `@_user_1` → the config person mentioned, or the open_id (one word, so a leading mention of the bot is dropped by the parser).
    const names: Record<string, string> = {};
    for (const x of mentions) {
      const id = x.id?.open_id;
      if (x.key === undefined || id === undefined) continue;
      names[x.key] = personById(s.config, 'lark', id) ?? id;
    }
    const parse = { mentions: names };
    const actor = await who(ev.sender?.sender_id?.open_id);
    const pre = await precheck(s, text, actor, parse);
    if (pre.kind === 'stop') {
      metrics.commands.inc({ platform: 'lark', outcome: 'answered' });
      await outbox.post(channel, pre.message, { dedupeId: answerId, threadRef });
      return;
    }
    metrics.commands.inc({ platform: 'lark', outcome: 'carried_out' });
    const done = await carryOut(s, outbox, { channel, actor, text, deliveryId: `lark-event:${eventId}`, parse });
    if (!done.live) await outbox.post(channel, done.message, { dedupeId: answerId, threadRef });
  };

  const onCardAction = async (ev: CardActionEvent): Promise<CardAnswer> => {
    const value = ev.action?.value as { action?: unknown; value?: unknown } | undefined;
    const kind = typeof value?.action === 'string' ? clickActionOf(value.action) : undefined;
    const id = value?.value;
    if (kind === undefined || typeof id !== 'string' || ev.context?.open_chat_id === undefined) {
      return { toast: { type: 'error', content: 'I do not know this button; nothing was done.' } };
    }
    metrics.clicks.inc({ platform: 'lark', action: kind });
    try {
      // An unknown clicker costs an email lookup; within the 3 s answer, give it a bounded time (it is cached when it finishes).
      const actor = await within(CLICK_LOOKUP_MS, who(ev.operator?.open_id), undefined);
      // The gate already dropped a redelivered event id; the click still carries it, like Slack's and the console's.
      const deliveryId = `lark-click:${ev.event_id ?? ev.token ?? `${ev.context.open_message_id ?? ''}:${id}`}`;
      const reply = await click(s, outbox, kind, { value: id, actor, channel: `lark:${ev.context.open_chat_id}`, deliveryId });
      if (reply === undefined) return { toast: { type: 'error', content: 'I do not know this button; nothing was done.' } };
      const card = reply.opId === undefined ? undefined : await cardOf(reply.opId);
      // A redelivery of this event answers with the operation's card too.
      if (reply.opId !== undefined && ev.event_id !== undefined) await s.redis.set(dedupeKey(s.prefix, `lark-event:${ev.event_id}`), reply.opId, 'KEEPTTL', 'XX');
      return { toast: toastOf(reply.message), ...(card === undefined ? {} : { card }) };
    } catch (e) {
      log.error({ err: e, action: kind }, 'lark card action failed');
      return { toast: { type: 'error', content: 'Something went wrong on my side; nothing may have been done. Check "jobs" and try again.' } };
    }
  };

  const dispatcher = new GatedDispatcher(
    {
      // Only for the long connection's frames, which arrive in clear; webhooks are decrypted in verify.ts.
      ...(cfg.encryptKey === undefined ? {} : { encryptKey: cfg.encryptKey }),
      loggerLevel: lark.LoggerLevel.warn,
      logger: sdkLogger(log),
    },
    gate,
  ).register<{ 'card.action.trigger': (data: CardActionEvent) => Promise<CardAnswer> }>({
    'im.message.receive_v1': (data) => {
      track(onMessage(data));
    },
    'card.action.trigger': (data) => onCardAction(data),
  });

  let ws: lark.WSClient | undefined;
  return {
    requestListener: cfg.mode === 'webhook' ? createLarkWebhook({ cfg, now, log, metrics, refuse, gate, dispatch: (envelope) => dispatcher.dispatch(envelope) }) : undefined,
    sender,
    async start() {
      if (cfg.mode !== 'ws') return;
      ws = new lark.WSClient({
        appId: cfg.appId,
        appSecret: cfg.appSecret,
        domain: larkDomain(cfg.domain),
        loggerLevel: lark.LoggerLevel.warn,
        logger: sdkLogger(log),
        onError: (e: unknown) => log.error({ err: e }, 'lark long connection failed'),
      });
      await ws.start({ eventDispatcher: dispatcher });
    },
    async stop() {
      ws?.close({ force: true });
      ws = undefined;
      await Promise.allSettled([...inflight]);
    },
  };
}
