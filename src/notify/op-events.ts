import type { OpRecord } from '../jobs/operations.ts';

/**
 * Events read off an operation's record for metrics: it ended, an approval was asked for it,
 * and what became of that approval. The notifier sees each change of every operation (the
 * stream of changes, handed out across API replicas) but not the transitions themselves, so
 * each event is derived from the record as it is now and counted once under its `key` (a
 * Redis claim), whichever replica sees it first. Pure.
 */
export type ApprovalEvent = 'requested' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export type OpEvent = { readonly kind: 'ended'; readonly key: string } | { readonly kind: 'approval'; readonly event: ApprovalEvent; readonly key: string };

const ENDED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);
const APPROVAL_ENDS: ReadonlySet<string> = new Set(['rejected', 'expired', 'cancelled']);

export function opEvents(op: Pick<OpRecord, 'id' | 'status' | 'approvalId' | 'approvedBy'>): OpEvent[] {
  const out: OpEvent[] = [];
  if (op.approvalId !== undefined) {
    out.push({ kind: 'approval', event: 'requested', key: `approval-requested:${op.id}` });
    // approvedBy is written only when the last needed approval came in.
    if (op.approvedBy.length > 0) out.push({ kind: 'approval', event: 'approved', key: `approval-approved:${op.id}` });
    else if (APPROVAL_ENDS.has(op.status)) out.push({ kind: 'approval', event: op.status as ApprovalEvent, key: `approval-ended:${op.id}` });
  }
  if (ENDED.has(op.status)) out.push({ kind: 'ended', key: `op-ended:${op.id}` });
  return out;
}
