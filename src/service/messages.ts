import { describeOutcome, type ApprovalState, type ApprovalOutcome } from '../core/approval.ts';
import { message, type Button, type Message, type MessageStatus } from '../core/message.ts';
import { promotionText, utcMinute } from '../core/promote.ts';
import type { OpRecord, OpStatus } from '../jobs/operations.ts';
import type { PromotionSource } from '../jobs/spec.ts';

/** Messages about operations and approvals, in the neutral model every surface renders. */
export const OP_STATUS: Readonly<Record<OpStatus, MessageStatus>> = {
  awaiting_approval: 'needs_approval',
  queued: 'pending',
  running: 'running',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  blocked: 'denied',
  rejected: 'denied',
  expired: 'denied',
  cancelled: 'info',
};

export function opMessage(op: OpRecord, extra: { text?: string; links?: Message['links'] } = {}): Message {
  const lines = (op.result?.targets ?? []).map((t) => `${t.cluster} ${t.workload}: ${t.outcome}: ${t.message}`);
  return message(`${op.kind} ${op.app} in ${op.env}: ${op.status.replace('_', ' ')}`, OP_STATUS[op.status], {
    text: extra.text ?? op.summary,
    fields: [
      { label: 'Operation', value: op.id },
      { label: 'Requested by', value: op.requestedBy },
      ...(op.approvedBy.length > 0 ? [{ label: 'Approved by', value: op.approvedBy.join(', ') }] : []),
    ],
    sections: lines.length > 0 ? [{ heading: 'Workloads', lines }] : [],
    links: extra.links ?? [],
    context: [`trace ${op.traceId}`],
    thread: { key: op.id, update: true },
  });
}

/** Whether an Approve click in this environment asks first: as configured, else yes for prod*. */
export function confirmsApprovals(env: string, configured: boolean | undefined): boolean {
  return configured ?? /^prod/.test(env);
}

/** Approve / Reject for a pending request; Approve asks first when `confirmIn` names the environment. */
export function approvalButtons(approvalId: string, confirmIn: string | undefined): Button[] {
  const confirm = confirmIn === undefined ? {} : { confirm: `Approve this change in ${confirmIn}? It runs as soon as enough approvals are in.` };
  return [
    { label: 'Approve', action: 'approve', value: approvalId, style: 'primary', ...confirm },
    { label: 'Reject', action: 'reject', value: approvalId, style: 'danger' },
  ];
}

export function approvalRequestMessage(base: Message, approval: ApprovalState, opId: string, confirmIn?: string): Message {
  return {
    ...base,
    buttons: approvalButtons(approval.id, confirmIn),
    context: [...base.context, `request ${approval.id}`, `operation ${opId}`, `expires ${approval.expiresAt.toISOString()}`],
    thread: { key: opId, update: false },
  };
}

export function approvalOutcomeMessage(outcome: ApprovalOutcome, state: ApprovalState, actor: string): Message {
  const status: MessageStatus =
    outcome.kind === 'approved' ? 'succeeded' : outcome.kind === 'recorded' || outcome.kind === 'already_counted' ? 'needs_approval' : outcome.kind === 'rejected' || outcome.kind === 'cancelled' ? 'info' : 'denied';
  return message(`Request ${state.id}`, status, { text: describeOutcome(outcome, state, actor), fields: [], context: [`by ${actor}`] });
}

/**
 * A promotion's request as bound: the image it pins and since when the source has run it, in
 * the text (for the approvers) and in fields the live message keeps to the end.
 */
export function withPromotion(base: Message, p: PromotionSource, image: string): Message {
  const since = p.since === undefined ? undefined : new Date(p.since);
  return {
    ...base,
    text: `${promotionText(p.from, image, since)} ${base.text ?? ''}`.trim(),
    fields: [
      ...base.fields,
      { label: 'Promoting', value: `what ${p.from} has run${since === undefined ? '' : ` since ${utcMinute(since)}`}` },
      { label: 'Image', value: image },
    ],
    sections: [...(base.sections ?? []), { heading: `${p.from} runs it on`, lines: p.sources.map((s) => `${s.workload.cluster} (${s.workload.region}) ${s.workload.namespace}/${s.workload.name}: ${s.image}`) }],
  };
}
