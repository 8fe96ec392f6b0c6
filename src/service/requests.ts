import { handleText, type DeferredCommand } from '../core/handle.ts';
import { message, type Message } from '../core/message.ts';
import { claim } from '../jobs/dedupe.ts';
import { decideUpgradeOp } from '../jobs/upgrade-decisions.ts';
import { SETTING_VERBS } from '../core/verbs.ts';
import type { Command } from '../../commands/index.ts';
import type { Plan } from '../core/resolve.ts';
import { decideApproval } from './approval-decisions.ts';
import { suggestReplicas } from '../scaling/suggest.ts';
import { answer } from './answers.ts';
import { oncePerDelivery } from './once.ts';
import { opMessage } from './messages.ts';
import { requestOperation } from './new-operation.ts';
import { noteRequest, requestAttributes } from './request-trace.ts';
import type { Inbound, Reply } from './inbound-types.ts';
import type { Services } from './services.ts';

export { decideApproval } from './approval-decisions.ts';
export type { Inbound, Reply } from './inbound-types.ts';

/**
 * The request side, shared by every surface: a line of chat (or CLI) from a known person with
 * the platform's delivery id becomes a queued operation, a pending approval, a refusal, or an
 * answer. Deliveries repeat (Slack, Lark and queues all deliver at least once): the delivery id
 * maps to one operation for 48 hours, the approval id to one job, so a repeat never runs twice.
 */
const JOB_VERBS = new Set(['deploy', 'promote', 'scale', 'autoscale', 'rollback', 'restart', 'upgrade']);

/** Answers a query or setting that policy allowed; undefined when it has no answer yet. */
export type Answerer = (s: Services, command: Command, plan: Plan, actor: string, channel: string | undefined) => Promise<Message | undefined>;

/**
 * `answerer` answers the verbs that are not jobs. The default knows the bot's own settings and
 * queries; the dispatcher (src/service/dispatch.ts, what the adapters and the CLI call) adds
 * the alert verbs.
 */
export async function submit(s: Services, inbound: Inbound, answerer: Answerer = answer): Promise<Reply> {
  const now = s.clock();
  const { locks, freezes } = await s.policyState(now);
  const outcome = handleText(inbound.text, { config: s.config, actor: inbound.actor, now, locks, freezes, ...(inbound.parse === undefined ? {} : { parse: inbound.parse }) });
  noteRequest(requestAttributes(outcome, s.config));
  if (outcome.kind === 'error' || outcome.kind === 'answer') return { message: outcome.message };
  if (outcome.kind === 'approval') {
    const c = outcome.command;
    const id = c.verb === 'cancel' ? c.args.id : c.args.request;
    return decideApproval(s, id, c.verb, inbound.actor, { reason: c.args.reason });
  }
  if (outcome.kind === 'deferred') return decideDeferred(s, inbound, outcome.command, outcome.plan, answerer);
  const { command, plan, decision } = outcome;
  if (decision.kind === 'deny') return { message: outcome.message };
  // A suggestion changes nothing: it is answered now, and its Apply button asks policy again.
  if (plan.suggest !== undefined) return { message: await suggestReplicas(s, plan, inbound.actor ?? '', inbound.deliveryId) };
  if (!JOB_VERBS.has(command.verb)) {
    // Queries and settings change no workload, so an approval rule is not asked for them.
    // A setting acts once per delivery, as a job does (a replayed /lock or /silence does nothing).
    const run = () => answerer(s, command, plan, inbound.actor ?? '', inbound.channel);
    if (SETTING_VERBS.has(command.verb)) {
      const once = await oncePerDelivery(s, inbound.deliveryId, async () => (await run()) ?? notYet(command.verb));
      return { message: once.message, ...(once.repeat ? { repeat: true } : {}) };
    }
    const answered = await run();
    if (answered !== undefined) return { message: answered };
    return { message: notYet(command.verb) };
  }
  return requestOperation(s, inbound, plan, decision, outcome.message);
}

function notYet(verb: string): Message {
  return message(`/${verb} is not available yet`, 'info', { text: `/${verb} is parsed and checked, but not carried out yet.` });
}

/**
 * Typed decisions on an operation or an alert: policy is asked against their target (the
 * upgrade's env and apps, the alert group's env and app) by the same functions the buttons use.
 * The alert verbs reach alerts/ through `answerer` (the dispatcher's), never by import here.
 */
async function decideDeferred(s: Services, inbound: Inbound, command: DeferredCommand, plan: Plan, answerer: Answerer): Promise<Reply> {
  switch (command.verb) {
    case 'continue':
    case 'retry':
    case 'abort': {
      const seen = await claim(s.redis, s.prefix, `delivery:${inbound.deliveryId}`, command.args.op);
      if (!seen.first) return { message: message('Already received', 'info', { text: `This decision on ${seen.value} was already received.` }), opId: seen.value, repeat: true };
      const rollback = command.verb === 'abort' && command.args.rollback === true;
      return decideUpgrade(s, command.args.op, command.verb, inbound.actor, { rollback, reason: command.args.reason });
    }
    case 'ack':
    case 'silence': {
      // Acts once per delivery, as the Acknowledge and Silence buttons do.
      const once = await oncePerDelivery(s, inbound.deliveryId, async () => (await answerer(s, command, plan, inbound.actor ?? '', inbound.channel)) ?? message(`/${command.verb}`, 'error', { text: 'Nothing to do.' }));
      return { message: once.message, ...(once.repeat ? { repeat: true } : {}) };
    }
  }
}

/** /continue, /retry, /abort [--rollback] on a paused batch upgrade: taken once, then queued as a job of the same operation. */
export async function decideUpgrade(s: Services, opId: string, kind: 'continue' | 'retry' | 'abort', actor: string | undefined, options: { rollback?: boolean; reason?: string | undefined } = {}): Promise<Reply> {
  const d = await decideUpgradeOp(s, opId, kind, actor, options);
  if (d.kind === 'refused') return { message: message(d.title, d.status, { text: d.text, context: [`operation ${opId}`] }), opId };
  return { message: d.op === undefined ? message(`/${kind} ${opId}`, 'pending', { text: `Queued: ${d.summary}.` }) : opMessage(d.op, { text: `Queued: ${d.summary}.` }), opId };
}

/**
 * "Request again" on a blocked operation: its request as first typed, made afresh by `actor`
 * (policy and approvals as for any new request). One click of one person makes one request,
 * however often it is delivered.
 */
export async function askAgain(s: Services, opId: string, actor: string | undefined, channel: string): Promise<Reply> {
  const op = await s.ops.get(opId);
  if (op?.request === undefined) return { message: message('Nothing to ask again', 'error', { text: `There is no operation ${opId} whose request I kept.` }) };
  return submit(s, { text: op.request, actor, deliveryId: `again:${opId}:${actor ?? 'unknown'}`, channel });
}
