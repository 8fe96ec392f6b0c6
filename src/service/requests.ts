import { openApproval } from '../core/approval.ts';
import { handleText } from '../core/handle.ts';
import { linksFor } from '../core/links.ts';
import { message, type Message } from '../core/message.ts';
import type { ParseOptions } from '../core/parse.ts';
import { BindError, bindSpec } from '../jobs/bind.ts';
import { claim, dedupeKey } from '../jobs/dedupe.ts';
import type { OpRecord } from '../jobs/operations.ts';
import { enqueue } from '../jobs/queue.ts';
import { idFrom, jobPayload, specDigest, type JobPayload } from '../jobs/spec.ts';
import { inOperationTrace } from '../telemetry/spans.ts';
import { decideUpgradeOp } from '../jobs/upgrade-decisions.ts';
import { KubeError } from '../kube/errors.ts';
import { suggestReplicas } from '../scaling/suggest.ts';
import { answer } from './answers.ts';
import { saveOpBase } from './op-live.ts';
import { approvalOutcomeMessage, approvalRequestMessage, confirmsApprovals, opMessage } from './messages.ts';
import { newOpTrace, noteRequest, requestAttributes } from './request-trace.ts';
import type { Services } from './services.ts';

/**
 * The request side, shared by every surface: a line of chat (or CLI) from a known person with
 * the platform's delivery id becomes a queued operation, a pending approval, a refusal, or an
 * answer. Deliveries repeat (Slack, Lark and queues all deliver at least once): the delivery id
 * maps to one operation for 48 hours, the approval id to one job, so a repeat never runs twice.
 */
export interface Inbound {
  readonly text: string;
  /** The person as named in config, or undefined for an unknown chat user. */
  readonly actor: string | undefined;
  /** The platform's id for this delivery (Slack envelope id, Lark event id, a CLI nonce). */
  readonly deliveryId: string;
  readonly parse?: ParseOptions;
  /** The chat channel it was typed in ("slack:C0123"): settings such as /subscribe belong to it. */
  readonly channel?: string | undefined;
}

export interface Reply {
  readonly message: Message;
  readonly opId?: string;
  readonly approvalId?: string;
  /** Whether this delivery was seen before (nothing new was done). */
  readonly repeat?: boolean;
  /** Whether this request created the operation `opId` (queued it or sent it for approval). */
  readonly created?: boolean;
}

const JOB_VERBS = new Set(['deploy', 'scale', 'autoscale', 'rollback', 'restart', 'upgrade']);

export async function submit(s: Services, inbound: Inbound): Promise<Reply> {
  const now = s.clock();
  const { locks, freezes } = await s.policyState(now);
  const outcome = handleText(inbound.text, { config: s.config, actor: inbound.actor, now, locks, freezes, ...(inbound.parse === undefined ? {} : { parse: inbound.parse }) });
  noteRequest(requestAttributes(outcome, s.config));
  if (outcome.kind === 'error' || outcome.kind === 'answer') return { message: outcome.message };
  if (outcome.kind === 'approval') {
    const c = outcome.command;
    const id = c.verb === 'cancel' ? c.args.id : c.args.request;
    return decideApproval(s, id, c.verb, inbound.actor, c.args.reason);
  }
  const { command, plan, decision } = outcome;
  if (command.verb === 'continue' || command.verb === 'retry' || command.verb === 'abort') {
    // Policy for decisions is asked against the upgrade they decide on (its env and apps), in decideUpgrade.
    const seen = await claim(s.redis, s.prefix, `delivery:${inbound.deliveryId}`, command.args.op);
    if (!seen.first) return { message: message('Already received', 'info', { text: `This decision on ${seen.value} was already received.` }), opId: seen.value, repeat: true };
    const rollback = command.verb === 'abort' && command.args.rollback === true;
    return decideUpgrade(s, command.args.op, command.verb, inbound.actor, { rollback, reason: command.args.reason });
  }
  if (decision.kind === 'deny') return { message: outcome.message };
  // A suggestion changes nothing: it is answered now, and its Apply button asks policy again.
  if (plan.suggest !== undefined) return { message: await suggestReplicas(s, plan, inbound.actor ?? '', inbound.deliveryId) };
  if (!JOB_VERBS.has(command.verb)) {
    // Queries and settings change no workload, so an approval rule is not asked for them.
    const answered = await answer(s, command, plan, inbound.actor ?? '', inbound.channel);
    if (answered !== undefined) return { message: answered };
    return { message: message(`/${command.verb} is not available yet`, 'info', { text: `/${command.verb} is parsed and checked, but not carried out yet.` }) };
  }
  if (plan.dryRun) return { message: { ...outcome.message, context: [...outcome.message.context, 'dry run: nothing was queued'] } };
  const actor = inbound.actor ?? '';

  const opId = idFrom('op', inbound.deliveryId);
  const first = await claim(s.redis, s.prefix, `delivery:${inbound.deliveryId}`, opId);
  if (!first.first) {
    const op = await s.ops.get(first.value);
    return { message: op === undefined ? message('Already received', 'info', { text: `This request was already received as ${first.value}.` }) : opMessage(op, { text: `Already received: ${op.summary}` }), opId: first.value, repeat: true };
  }

  let payload: JobPayload;
  try {
    const spec = await bindSpec(s.config, plan, s.gatewayFor, opId);
    // The operation's trace is this request's: its approvals, job and steps continue it.
    const { traceId, parentSpanId } = newOpTrace();
    payload = jobPayload.parse({ opId, spec, requestedBy: actor, approvedBy: [], traceId, parentSpanId, requestedAt: now.toISOString(), ...(plan.reason === undefined ? {} : { reason: plan.reason }) });
  } catch (e) {
    // Nothing was created; let the same delivery be tried again once the cause is fixed.
    await s.redis.del(dedupeKey(s.prefix, `delivery:${inbound.deliveryId}`));
    if (e instanceof BindError || e instanceof KubeError) {
      return { message: message("I couldn't prepare that", 'error', { text: e.message, context: ['nothing was changed'] }) };
    }
    throw e;
  }
  const base: OpRecord = {
    id: opId,
    kind: payload.spec.kind,
    status: 'queued',
    env: payload.spec.env,
    app: payload.spec.app,
    requestedBy: actor,
    approvedBy: [],
    summary: `${payload.spec.kind} of ${payload.spec.app} in ${payload.spec.env} requested by ${actor}`,
    traceId: payload.traceId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };

  // The plan as first answered: the live chat message of the operation is built on it.
  await saveOpBase(s, opId, outcome.message);
  if (decision.kind === 'approval') {
    const approvalId = idFrom('apr', opId);
    const opened = openApproval({ id: approvalId, requester: actor, approvers: decision.approvers, required: decision.count, digest: specDigest(payload.spec), now, expiresInSeconds: decision.expiresIn.seconds });
    if (!opened.ok) return { message: message("I couldn't open an approval", 'error', { text: opened.error }) };
    await s.redis.set(pendingKey(s, approvalId), JSON.stringify({ ...payload, approvalId }), 'EX', decision.expiresIn.seconds + 7 * 24 * 3600);
    const { approval } = await s.approvals.create(opened.value);
    await s.ops.create({ ...base, status: 'awaiting_approval', approvalId });
    await s.audit.append({ at: now, kind: 'requested', actor, opId, approvalId, app: payload.spec.app, env: payload.spec.env, summary: `${base.summary}; waiting for ${decision.count} approval(s) from ${decision.from.join(', ')}`, detail: { digest: approval.digest, spec: payload.spec }, traceId: payload.traceId }, { dedupeKey: `${opId}:requested` });
    return { created: true, message: approvalRequestMessage(outcome.message, approval, opId, confirmsApprovals(payload.spec.env, s.config.environments[payload.spec.env]?.confirmApprovals) ? payload.spec.env : undefined), opId, approvalId };
  }

  await s.ops.create(base);
  await s.audit.append({ at: now, kind: 'requested', actor, opId, app: payload.spec.app, env: payload.spec.env, summary: base.summary, detail: { spec: payload.spec }, traceId: payload.traceId }, { dedupeKey: `${opId}:requested` });
  await enqueue(s.queue, payload);
  const op = (await s.ops.get(opId)) ?? base;
  return { created: true, message: opMessage(op, { text: `Queued: ${base.summary}.`, links: linksFor(s.config.links, { jobId: opId, traceId: payload.traceId, app: payload.spec.app, env: payload.spec.env }) }), opId };
}

function pendingKey(s: Services, approvalId: string): string {
  return `${s.prefix}pending:${approvalId}`;
}

/** /continue, /retry, /abort [--rollback] on a paused batch upgrade: taken once, then queued as a job of the same operation. */
export async function decideUpgrade(s: Services, opId: string, kind: 'continue' | 'retry' | 'abort', actor: string | undefined, options: { rollback?: boolean; reason?: string | undefined } = {}): Promise<Reply> {
  const d = await decideUpgradeOp(s, opId, kind, actor, options);
  if (d.kind === 'refused') return { message: message(d.title, d.status, { text: d.text, context: [`operation ${opId}`] }), opId };
  return { message: d.op === undefined ? message(`/${kind} ${opId}`, 'pending', { text: `Queued: ${d.summary}.` }) : opMessage(d.op, { text: `Queued: ${d.summary}.` }), opId };
}

/** Approve / reject / cancel (buttons or typed). An approval that completes queues the job once. */
export async function decideApproval(s: Services, id: string, kind: 'approve' | 'reject' | 'cancel', actor: string | undefined, reason?: string): Promise<Reply> {
  if (actor === undefined) return { message: message('Not allowed', 'denied', { text: "I don't know who you are, so you can't decide on requests." }) };
  const raw = await s.redis.get(pendingKey(s, id));
  const pending = raw === null ? undefined : jobPayload.parse(JSON.parse(raw));
  if (pending === undefined) return (await applyDecision(s, id, kind, actor, reason, undefined)).reply;
  // Each decision is a span of the operation's trace, under the request that asked for it
  // (and linked to the click or command that carried it); a completing one enqueues under it.
  const attributes = { 'chatops.op_id': pending.opId, 'chatops.approval_id': id, 'chatops.env': pending.spec.env, 'chatops.app': pending.spec.app };
  return inOperationTrace(pending, `approval ${kind}`, attributes, async (span) => {
    const { reply, outcome } = await applyDecision(s, id, kind, actor, reason, pending);
    span.setAttribute('chatops.approval_outcome', outcome);
    return reply;
  });
}

async function applyDecision(s: Services, id: string, kind: 'approve' | 'reject' | 'cancel', actor: string, reason: string | undefined, pending: JobPayload | undefined): Promise<{ reply: Reply; outcome: string }> {
  const now = s.clock();
  const r = await s.approvals.decide(id, { kind, actor, now, ...(reason === undefined ? {} : { reason }) });
  if (r.state === undefined) return { reply: { message: message('No such request', 'error', { text: `There is no pending request ${id}.` }) }, outcome: r.outcome.kind };
  const state = r.state;
  const opId = pending?.opId;
  const reply = (extra: Partial<Reply> = {}): { reply: Reply; outcome: string } => ({
    reply: { message: approvalOutcomeMessage(r.outcome, state, actor), approvalId: id, ...(opId === undefined ? {} : { opId }), ...extra },
    outcome: r.outcome.kind,
  });
  const audit = (k: 'approved' | 'rejected' | 'cancelled' | 'expired', summary: string) =>
    s.audit.append({ at: now, kind: k, actor, opId, approvalId: id, app: pending?.spec.app, env: pending?.spec.env, summary, detail: { outcome: r.outcome.kind }, traceId: pending?.traceId }, { dedupeKey: `${id}:${k}:${actor}` });

  switch (r.outcome.kind) {
    case 'approved': {
      if (pending === undefined || opId === undefined) return reply();
      // The approval is bound to the exact change; a stored payload that differs is not run.
      if (specDigest(pending.spec) !== state.digest) return { reply: { message: message('Not run', 'denied', { text: 'The stored change does not match what was approved; nothing was queued.' }) }, outcome: 'digest_mismatch' };
      const approvedBy = state.approvals.map((a) => a.person);
      // The record and the audit entry are independent; both precede the enqueue, so the
      // worker never finds the operation still "awaiting approval".
      await Promise.all([audit('approved', `approved by ${approvedBy.join(', ')}`), s.ops.update(opId, { status: 'queued', approvedBy }, now)]);
      await enqueue(s.queue, { ...pending, approvedBy });
      return reply();
    }
    case 'recorded':
      await audit('approved', `approval by ${actor} recorded`);
      return reply();
    case 'rejected':
    case 'cancelled':
    case 'expired':
      await audit(r.outcome.kind, `${r.outcome.kind} by ${actor}`);
      if (opId !== undefined) await s.ops.update(opId, { status: r.outcome.kind, summary: `${r.outcome.kind} by ${actor}` }, now);
      return reply();
    default:
      return reply();
  }
}
