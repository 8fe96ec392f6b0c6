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

/**
 * What an Approve or Reject button carries: the request's id and the digest of the exact change
 * the card showed (the spec and its dry-run diff). A click counts only for that change: a card
 * of another version of the request is refused ("digest_mismatch"), never counted.
 */
export function approvalButtonValue(approvalId: string, digest: string): string {
  return `${approvalId}${DIGEST_MARK}${digest}`;
}

/** The id and digest of a button's value; a bare id (cards from before digests) has no digest. */
export function approvalOfButton(value: string): { readonly id: string; readonly digest: string | undefined } {
  const at = value.indexOf(DIGEST_MARK);
  return at < 0 ? { id: value, digest: undefined } : { id: value.slice(0, at), digest: value.slice(at + DIGEST_MARK.length) };
}

/** Approval ids are `apr-` and hex: the mark can't occur in one. */
const DIGEST_MARK = '@';

/** Approve / Reject for a pending request; Approve asks first when `confirmIn` names the environment. */
export function approvalButtons(approval: Pick<ApprovalState, 'id' | 'digest'>, confirmIn: string | undefined): Button[] {
  const confirm = confirmIn === undefined ? {} : { confirm: `Approve this change in ${confirmIn}? It runs as soon as enough approvals are in.` };
  const value = approvalButtonValue(approval.id, approval.digest);
  return [
    { label: 'Approve', action: 'approve', value, style: 'primary', ...confirm },
    { label: 'Reject', action: 'reject', value, style: 'danger' },
  ];
}

export function approvalRequestMessage(base: Message, approval: ApprovalState, opId: string, confirmIn?: string): Message {
  return {
    ...base,
    buttons: approvalButtons(approval, confirmIn),
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
