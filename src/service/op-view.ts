import { waitingOn, type ApprovalState } from '../core/approval.ts';
import { hhmmUtc } from '../core/clock.ts';
import type { Button, Field, Link, Message } from '../core/message.ts';
import { message } from '../core/message.ts';
import type { ProgressEvent } from '../jobs/context.ts';
import type { OpRecord, OpStatus } from '../jobs/operations.ts';
import { approvalButtons, OP_STATUS } from './messages.ts';

/**
 * The one live message of an operation, as it stands now. Chat shows it where the request was
 * made and edits it in place as the operation moves: the approval request with its buttons,
 * then "approved by bob at 10:02" with the buttons gone, progress while it runs, the decision
 * buttons while a batch upgrade is paused, and the outcome with its links at the end. Pure:
 * the caller loads the pieces.
 */
export interface OpViewInput {
  readonly op: OpRecord;
  /** The message of the request as first answered (plan fields, targets or batches, mentions). */
  readonly base?: Message | undefined;
  readonly approval?: ApprovalState | undefined;
  readonly lastEvent?: ProgressEvent | undefined;
  readonly links: readonly Link[];
  /** The approve button asks first (prod): the question's environment. */
  readonly confirmIn?: string | undefined;
}

const WORDS: Readonly<Record<OpStatus, string>> = {
  awaiting_approval: 'awaiting approval',
  queued: 'queued',
  running: 'running',
  paused: 'paused, waiting for a decision',
  succeeded: 'succeeded',
  failed: 'failed',
  blocked: 'blocked',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
};

/** The heading of the section where a rollback's plan says where it lands (service/new-operation.ts). */
export const LANDS_ON = 'Lands on';

const FINISHED: ReadonlySet<OpStatus> = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);

export function opView(i: OpViewInput): Message {
  const { op, base, approval } = i;
  const what = `${op.kind === 'upgrade' ? 'Batch upgrade' : capitalize(op.kind)} ${op.app} in ${op.env}`;
  const fields: Field[] = [...(base?.fields ?? []), { label: 'Requested by', value: op.requestedBy }];
  const context: string[] = [`operation ${op.id}`, `trace ${op.traceId}`];
  if (approval !== undefined) {
    if (approval.approvals.length > 0) fields.push({ label: 'Approved by', value: approval.approvals.map((a) => `${a.person} at ${hhmmUtc(a.at)}`).join(', ') });
    if (approval.status === 'rejected' && approval.rejectedBy !== undefined) fields.push({ label: 'Rejected by', value: `${approval.rejectedBy}${approval.reason === undefined ? '' : `: ${approval.reason}`}` });
    if (approval.status === 'pending') context.push(`request ${approval.id}`, `expires ${approval.expiresAt.toISOString()}`);
  }
  let text = op.summary;
  if (op.status === 'awaiting_approval' && approval !== undefined) {
    const missing = approval.required - approval.approvals.length;
    text = `${base?.text ?? ''}${approval.approvals.length > 0 ? ` ${approval.approvals.length} of ${approval.required} approvals in; waiting for ${missing} more from ${waitingOn(approval).join(', ')}.` : ''}`.trim();
  }
  // Waiting its turn behind another operation on the same workloads: say whom for.
  const queued = (op.status === 'queued' || op.status === 'awaiting_approval') && op.queuedBehind !== undefined && op.queuedBehind !== '' ? op.queuedBehind : undefined;
  if (queued !== undefined) text = text === '' ? queued : `${text.replace(/[.\s]*$/, '')}. ${queued}`;
  const results = (op.result?.targets ?? []).map((t) => `${t.cluster} ${t.workload}: ${t.outcome.replace('_', ' ')}: ${t.message}`);
  // Where a rollback lands (revision, image, age, health) stays in view after it ran.
  const landing = (base?.sections ?? []).filter((x) => x.heading === LANDS_ON);
  const sections = FINISHED.has(op.status) || op.status === 'paused' ? (results.length > 0 ? [{ heading: 'Workloads', lines: results }, ...landing] : (base?.sections ?? [])) : (base?.sections ?? []);
  const running = op.status === 'running' || op.status === 'queued';
  const progress =
    running && i.lastEvent !== undefined
      ? { done: Math.max(0, Math.min(100, Math.round(i.lastEvent.percent))), total: 100, label: progressLabel(i.lastEvent) }
      : op.status === 'succeeded'
        ? { done: 100, total: 100 }
        : undefined;
  return message(`${what}: ${WORDS[op.status]}`, OP_STATUS[op.status], {
    text,
    fields,
    ...(progress === undefined ? {} : { progress }),
    sections,
    buttons: buttonsFor(op, approval, i.confirmIn),
    links: [...i.links],
    context,
    thread: { key: op.id, update: true },
    ...(op.status === 'awaiting_approval' && base?.mentions !== undefined ? { mentions: base.mentions } : {}),
  });
}

function buttonsFor(op: OpRecord, approval: ApprovalState | undefined, confirmIn: string | undefined): Button[] {
  if (op.status === 'awaiting_approval' && approval?.status === 'pending') return approvalButtons(approval, confirmIn);
  if (op.status === 'paused' && op.kind === 'upgrade') {
    return [
      { label: 'Continue', action: 'continue', value: op.id, style: 'primary' },
      { label: 'Retry batch', action: 'retry', value: op.id },
      { label: 'Abort', action: 'abort', value: op.id },
      // Authorized as a rollback: it works during a freeze and under someone else's lock.
      { label: 'Abort and roll back', action: 'abort_rollback', value: op.id, style: 'danger', confirm: `Abort ${op.id} and put the old image back on every workload it already upgraded?` },
    ];
  }
  // Blocked (a freeze, a lock, someone changed the workload since): the same request, asked afresh.
  if (op.status === 'blocked' && op.request !== undefined) return [{ label: 'Request again', action: 'request_again', value: op.id }];
  return [];
}

function progressLabel(e: ProgressEvent): string {
  const where = [e.batch === undefined ? undefined : `batch ${e.batch}`, e.workload, e.cluster].filter((x) => x !== undefined).join(' ');
  return where === '' ? e.message : `${where}: ${e.message}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
