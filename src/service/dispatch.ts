import { ackGroup, rollbackRequest, silenceGroup, splitSilenceValue } from '../alerts/actions.ts';
import { alertAnswer } from '../alerts/answers.ts';
import { alertKey } from '../alerts/message.ts';
import { message } from '../core/message.ts';
import { refreshOp } from '../notify/op-notifier.ts';
import type { Outbox } from '../notify/outbox.ts';
import { answer } from './answers.ts';
import { showOpIn } from './op-live.ts';
import { oncePerDelivery } from './once.ts';
import { submit, type Answerer, type Inbound, type Reply } from './requests.ts';
import type { Services } from './services.ts';

/**
 * The one module that knows both the request path and the alerts: typed alert verbs reach
 * src/alerts/answers.ts through `answerAll`, and the alert buttons (acknowledge, silence, roll
 * back) are handled here, so that alerts/ never imports the request path and the request path
 * never imports alerts/ (no import circle; test/unit/architecture/import-cycles.test.ts).
 * The chat adapters and the CLI submit through `submitRequest`.
 */
const ALERT_VERBS = new Set(['subscribe', 'unsubscribe', 'subscriptions', 'silence', 'ack']);

export const answerAll: Answerer = (s, command, plan, actor, channel) => (ALERT_VERBS.has(command.verb) ? alertAnswer(s, command, actor, channel) : answer(s, command, plan, actor));

/** A line of chat or CLI text, with every verb answered. */
export function submitRequest(s: Services, inbound: Inbound): Promise<Reply> {
  return submit(s, inbound, answerAll);
}

/** A click on an alert message's button. */
export interface AlertClick {
  readonly value: string;
  readonly actor: string | undefined;
  /** The channel the clicked message is in ("slack:C0123"). */
  readonly channel: string;
  /** The platform's id for this click: a repeat of it is the same click. */
  readonly deliveryId: string;
}

/** Acknowledge and Silence act once per delivery: a replayed Silence click creates no second silence. */
async function once(s: Services, c: AlertClick, act: () => ReturnType<typeof ackGroup>): Promise<Reply> {
  const r = await oncePerDelivery(s, c.deliveryId, act);
  return { message: r.message, ...(r.repeat ? { repeat: true } : {}) };
}

/** Rolls back the change the alert followed, as a typed request would (policy, approvals and locks apply). */
async function rollbackFromAlert(s: Services, outbox: Outbox, c: AlertClick): Promise<Reply> {
  const r = await rollbackRequest(s, c.value, c.actor);
  if (r.kind === 'answer') return { message: r.message };
  const threadRef = await outbox.ref(c.channel, alertKey(r.groupId));
  const reply = await submitRequest(s, { text: r.text, actor: c.actor, deliveryId: r.deliveryId });
  if (reply.opId !== undefined) {
    if (reply.created === true) await showOpIn(s, reply.opId, c.channel, threadRef);
    await refreshOp(s, outbox, reply.opId);
  }
  return reply;
}

/** The button actions of alert messages, for CLICK_HANDLERS in src/chat/inbound.ts. */
export const ALERT_CLICK_HANDLERS = {
  ack: (s: Services, outbox: Outbox, c: AlertClick): Promise<Reply> => once(s, c, () => ackGroup(s, outbox, c.value, c.actor)),
  silence: (s: Services, outbox: Outbox, c: AlertClick): Promise<Reply> => {
    const v = splitSilenceValue(c.value);
    if (v === undefined) return Promise.resolve({ message: message('Unknown silence', 'error', { text: 'That button carries no duration.' }) });
    return once(s, c, () => silenceGroup(s, outbox, v.id, v.seconds, c.actor));
  },
  // Keyed by alert group and person rather than by delivery: one person's clicks on one alert
  // (repeats and double clicks alike) ask for one rollback.
  rollback: rollbackFromAlert,
} as const;
