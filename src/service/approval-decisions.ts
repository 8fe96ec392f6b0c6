import { message, type Message } from '../core/message.ts';
import type { OpStatus } from '../jobs/operations.ts';
import { enqueue } from '../jobs/queue.ts';
import { leaveQueue } from '../jobs/queue-gate.ts';
import { runtimeBlock } from '../jobs/run-policy.ts';
import { checkedAtApproval, staleDiff } from '../jobs/preview.ts';
import { approvalDigest, jobPayload, type JobPayload } from '../jobs/spec.ts';
import { KubeError } from '../kube/errors.ts';
import { inOperationTrace } from '../telemetry/spans.ts';
import { approvalOutcomeMessage } from './messages.ts';
import type { Reply } from './inbound-types.ts';
import { queueGate, type Services } from './services.ts';

/**
 * Approve / reject / cancel, from a button or typed. An approval that completes is checked once
 * more before anything is queued: policy as it stands now (a freeze since the request, someone
 * else's lock, a config that no longer allows the requester) blocks it, and the operation's live
 * message says why; otherwise its job is queued once. A request that ends here leaves the
 * operation queue, so whoever waits behind it goes on.
 */
export function pendingKey(s: Services, approvalId: string): string {
  return `${s.prefix}pending:${approvalId}`;
}

/**
 * One person's decision on a request. `digest`: what a clicked button was bound to (the change
 * its card showed); a typed /approve names only the id and decides on the request as it stands.
 */
export async function decideApproval(s: Services, id: string, kind: 'approve' | 'reject' | 'cancel', actor: string | undefined, options: DecideOptions = {}): Promise<Reply> {
  if (actor === undefined) return { message: message('Not allowed', 'denied', { text: "I don't know who you are, so you can't decide on requests." }) };
  const raw = await s.redis.get(pendingKey(s, id));
  const pending = raw === null ? undefined : jobPayload.parse(JSON.parse(raw));
  if (pending === undefined) return (await applyDecision(s, id, kind, actor, options, undefined)).reply;
  // Each decision is a span of the operation's trace, under the request that asked for it
  // (and linked to the click or command that carried it); a completing one enqueues under it.
  const attributes = { 'chatops.op_id': pending.opId, 'chatops.approval_id': id, 'chatops.env': pending.spec.env, 'chatops.app': pending.spec.app };
  return inOperationTrace(pending, `approval ${kind}`, attributes, async (span) => {
    const { reply, outcome } = await applyDecision(s, id, kind, actor, options, pending);
    span.setAttribute('chatops.approval_outcome', outcome);
    return reply;
  });
}

export interface DecideOptions {
  readonly reason?: string | undefined;
  readonly digest?: string | undefined;
}

async function applyDecision(s: Services, id: string, kind: 'approve' | 'reject' | 'cancel', actor: string, options: DecideOptions, pending: JobPayload | undefined): Promise<{ reply: Reply; outcome: string }> {
  const { reason, digest } = options;
  const now = s.clock();
  if (kind === 'approve' && pending?.preview !== undefined && (await wouldCount(s, id, actor, digest, now))) {
    const stale = await staleNote(s, checkedAtApproval(pending.spec, pending.preview));
    if (stale !== undefined) return { reply: { message: stale, approvalId: id, opId: pending.opId }, outcome: 'stale_diff' };
  }
  const r = await s.approvals.decide(id, { kind, actor, now, ...(reason === undefined ? {} : { reason }), ...(digest === undefined ? {} : { digest }) });
  if (r.state === undefined) return { reply: { message: message('No such request', 'error', { text: `There is no pending request ${id}.` }) }, outcome: r.outcome.kind };
  const state = r.state;
  const opId = pending?.opId;
  const reply = (extra: Partial<Reply> = {}): { reply: Reply; outcome: string } => ({
    reply: { message: approvalOutcomeMessage(r.outcome, state, actor), approvalId: id, ...(opId === undefined ? {} : { opId }), ...extra },
    outcome: r.outcome.kind,
  });
  const audit = (k: 'approved' | 'rejected' | 'cancelled' | 'expired' | 'blocked', summary: string, who = actor) =>
    s.audit.append({ at: now, kind: k, actor: who, opId, approvalId: id, app: pending?.spec.app, env: pending?.spec.env, summary, detail: { outcome: r.outcome.kind }, traceId: pending?.traceId }, { dedupeKey: `${id}:${k}:${who}` });

  switch (r.outcome.kind) {
    case 'approved': {
      if (pending === undefined || opId === undefined) return reply();
      // The approval is bound to the exact change; a stored payload that differs is not run.
      if (approvalDigest(pending) !== state.digest) return { reply: { message: message('Not run', 'denied', { text: 'The stored change does not match what was approved; nothing was queued.' }) }, outcome: 'digest_mismatch' };
      const approvedBy = state.approvals.map((a) => a.person);
      // Policy once more, as it stands now: what changed since the request wins over the approval.
      const block = await runtimeBlock(s.config, (t) => s.policyState(t), { ...pending, approvedBy }, now);
      if (block !== undefined) {
        const summary = `Approved by ${approvedBy.join(', ')}, but not run: ${block}`;
        await audit('approved', `approved by ${approvedBy.join(', ')}`);
        await s.ops.update(opId, { status: 'blocked', approvedBy, summary, queuedBehind: '', result: { outcome: 'blocked', summary, targets: [] } }, now);
        await audit('blocked', summary, 'bot');
        await leaveQueue(queueGate(s), opId);
        const m = approvalOutcomeMessage(r.outcome, state, actor);
        return { reply: { message: { ...m, status: 'denied', text: `${m.text ?? ''} ${summary}. Nothing was run.`.trim() }, approvalId: id, opId }, outcome: 'blocked' };
      }
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
    case 'expired': {
      await audit(r.outcome.kind, `${r.outcome.kind} by ${actor}`);
      const status: OpStatus = r.outcome.kind;
      if (opId !== undefined) {
        await s.ops.update(opId, { status, summary: `${r.outcome.kind} by ${actor}`, queuedBehind: '' }, now);
        await leaveQueue(queueGate(s), opId);
      }
      return reply();
    }
    default:
      return reply();
  }
}

/** Whether an Approve by `actor` would count now (pending, theirs to give, not given yet): only then is the diff read again. */
async function wouldCount(s: Services, id: string, actor: string, digest: string | undefined, now: Date): Promise<boolean> {
  const a = await s.approvals.get(id, now);
  return a?.status === 'pending' && (digest === undefined || a.digest === digest) && a.approvers.includes(actor) && !a.approvals.some((v) => v.person === actor);
}

/**
 * An approval is for the diff it shows: before an Approve counts, the changed fields of what
 * would run at once are read again, and one someone else moved since refuses the click (the job
 * would refuse to run).
 */
async function staleNote(s: Services, preview: NonNullable<JobPayload['preview']>): Promise<Message | undefined> {
  let stale: string[];
  try {
    stale = await staleDiff(preview, s.gatewayFor);
  } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    return message('Not approved', 'error', { text: `I couldn't check that the change shown is still current: ${e.message}. Nothing was approved; try again.` });
  }
  if (stale.length === 0) return undefined;
  return message('Not approved: the change shown is stale', 'denied', { text: `Since the request was made, ${stale.join('; ')}. Nothing was approved; ask again to see what it would change now.` });
}
