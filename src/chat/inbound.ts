import { actionOf } from './action-id.ts';
import { afterAck } from './after-ack.ts';
import { SCALING_CLICK_HANDLERS } from '../scaling/actions.ts';
import { handleText } from '../core/handle.ts';
import { message, type Message } from '../core/message.ts';
import type { ParseOptions } from '../core/parse.ts';
import { refreshOp } from '../notify/op-notifier.ts';
import { platformLabel } from './channel.ts';
import type { Outbox } from '../notify/outbox.ts';
import { approvalOfButton } from '../service/messages.ts';
import { showOpIn } from '../service/op-live.ts';
import { ALERT_CLICK_HANDLERS, submitRequest } from '../service/dispatch.ts';
import { askAgain, decideApproval, decideUpgrade, type Reply } from '../service/requests.ts';
import { inRequestSpan, noteRequest, replyAttributes } from '../service/request-trace.ts';
import type { Services } from '../service/services.ts';

/**
 * What every chat adapter does with a line of text or a button click, once it has verified
 * the request and knows who sent it. Split in two because of the platforms' 3-second rule:
 * `precheck` is parse and policy only (no Kubernetes, one Redis read), so its refusals can go
 * into the ack itself; `carryOut` does the work after the ack. Operations get one live
 * message in the channel they were asked in, kept current by the notifier.
 */
export interface ChatRequest {
  /** "slack:C0123", "lark:oc_…", "console:ops". */
  readonly channel: string;
  readonly actor: string | undefined;
  readonly text: string;
  /** The platform's id for this delivery: a repeat of it is the same request. */
  readonly deliveryId: string;
  /** Put the operation's live message in this thread (a mention inside a thread). */
  readonly threadRef?: string | undefined;
  readonly parse?: ParseOptions;
}

export type Precheck = { readonly kind: 'stop'; readonly message: Message } | { readonly kind: 'go' };

export async function precheck(s: Services, text: string, actor: string | undefined, parse?: ParseOptions): Promise<Precheck> {
  const now = s.clock();
  const { locks, freezes } = await s.policyState(now);
  const outcome = handleText(text, { config: s.config, actor, now, locks, freezes, ...(parse === undefined ? {} : { parse }) });
  if (outcome.kind === 'error' || outcome.kind === 'answer') return { kind: 'stop', message: outcome.message };
  if (outcome.kind === 'decided' && outcome.decision.kind === 'deny') return { kind: 'stop', message: outcome.message };
  return { kind: 'go' };
}

export interface Carried {
  /** What to tell the person who asked (privately where the platform allows). */
  readonly message: Message;
  /** Whether the request has a live message in the channel (then `message` is only a note). */
  readonly live: boolean;
  readonly reply: Reply;
  /** For the requester alone, where the platform can say it privately: the new operation waits behind others, or was superseded. */
  readonly tell?: Message | undefined;
}

/**
 * Carries out a request in its own `chat command` span (a new trace; an operation it creates
 * lives in that trace). Precheck's refusals happen before it and have no span.
 */
export function carryOut(s: Services, outbox: Outbox, req: ChatRequest): Promise<Carried> {
  return afterAck(() => carryOutNow(s, outbox, req));
}

function carryOutNow(s: Services, outbox: Outbox, req: ChatRequest): Promise<Carried> {
  return inRequestSpan('chat command', { 'chatops.platform': platformLabel(req.channel) }, async () => {
    const reply = await submitRequest(s, { text: req.text, actor: req.actor, deliveryId: req.deliveryId, channel: req.channel, ...(req.parse === undefined ? {} : { parse: req.parse }) });
    noteRequest(replyAttributes(reply));
    if (reply.opId === undefined) return { message: reply.message, live: false, reply };
    // A new operation shows in the channel it was asked in; a decision on one (typed /approve,
    // /continue) refreshes the message wherever the operation already shows.
    const isNewOp = reply.created === true;
    if (isNewOp) await showOpIn(s, reply.opId, req.channel, req.threadRef);
    await refreshOp(s, outbox, reply.opId);
    const tell = isNewOp && reply.queueNote !== undefined ? message(`${reply.opId}: queued`, 'pending', { text: reply.queueNote }) : undefined;
    return { message: reply.message, live: isNewOp, reply, tell };
  });
}

/**
 * A button click: the same decision functions as the typed commands, so the same policy and
 * four-eyes rules apply. The live message is rebuilt afterwards (buttons gone once decided);
 * the returned message is for the clicker alone ("already approved by bob", "not yours to
 * approve"). Repeated deliveries of one click act once: the approval counts a person once and
 * an upgrade decision is taken once per pause.
 *
 * Registration is data: each button action names its handler here, and every adapter routes
 * clicks through this table (a platform may suffix an action id with -N to keep ids unique).
 */
export interface Click {
  readonly value: string;
  readonly actor: string | undefined;
  /** The channel the clicked message is in ("slack:C0123"). */
  readonly channel: string;
  /**
   * The platform's id for this click (Slack's trigger id and action time, Lark's event id, the
   * console's request id): a repeat of it is the same click, and a setting it makes acts once.
   */
  readonly deliveryId: string;
}

export type ClickHandler = (s: Services, outbox: Outbox, c: Click) => Promise<Reply>;

/** An Approve or Reject click: it counts only for the change its card showed (the digest it carries). */
function decideByButton(s: Services, c: Click, kind: 'approve' | 'reject'): Promise<Reply> {
  const { id, digest } = approvalOfButton(c.value);
  return decideApproval(s, id, kind, c.actor, { digest });
}

const decideAndRefresh =
  (kind: 'approve' | 'reject' | 'continue' | 'retry' | 'abort', options: { rollback?: boolean } = {}): ClickHandler =>
  async (s, outbox, c) => {
    const reply = kind === 'approve' || kind === 'reject' ? await decideByButton(s, c, kind) : await decideUpgrade(s, c.value, kind, c.actor, options);
    if (reply.opId !== undefined) await refreshOp(s, outbox, reply.opId);
    return reply;
  };

/** "Request again" on a blocked operation: the same request, typed afresh by the clicker (once per person). */
const requestAgain: ClickHandler = async (s, outbox, c) => {
  const reply = await askAgain(s, c.value, c.actor, c.channel);
  if (reply.opId !== undefined) {
    if (reply.created === true) await showOpIn(s, reply.opId, c.channel);
    await refreshOp(s, outbox, reply.opId);
  }
  return reply;
};

export const CLICK_HANDLERS: Readonly<Record<string, ClickHandler>> = {
  approve: decideAndRefresh('approve'),
  reject: decideAndRefresh('reject'),
  continue: decideAndRefresh('continue'),
  retry: decideAndRefresh('retry'),
  abort: decideAndRefresh('abort'),
  abort_rollback: decideAndRefresh('abort', { rollback: true }),
  request_again: requestAgain,
  // Alert messages: acknowledge, silence 1h/4h/24h, roll back the change the alert followed.
  ...ALERT_CLICK_HANDLERS,
  // Suggestions (/scale … suggest): Apply.
  ...SCALING_CLICK_HANDLERS,
};

/** The registered action of a platform action id ("approve-2" → "approve"), if any. */
export function clickActionOf(actionId: string): string | undefined {
  const base = actionOf(actionId);
  return Object.hasOwn(CLICK_HANDLERS, base) ? base : undefined;
}

/** Runs the action's handler in a `chat click <action>` span (a new trace, as a command's). */
export async function click(s: Services, outbox: Outbox, action: string, c: Click): Promise<Reply | undefined> {
  const handler = Object.hasOwn(CLICK_HANDLERS, action) ? CLICK_HANDLERS[action] : undefined;
  if (handler === undefined) return undefined;
  return inRequestSpan(`chat click ${action}`, { 'chatops.platform': platformLabel(c.channel), 'chatops.action': action }, async () => {
    const reply = await handler(s, outbox, c);
    noteRequest(replyAttributes(reply));
    return reply;
  });
}
