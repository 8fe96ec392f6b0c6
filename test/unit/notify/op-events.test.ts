import { describe, expect, it } from 'vitest';
import type { OpRecord } from '../../../src/jobs/operations.ts';
import { opEvents } from '../../../src/notify/op-events.ts';

/** The events an operation's record says happened, each under the key it is counted once by. */
type Row = [string, Pick<OpRecord, 'status' | 'approvalId' | 'approvedBy'>, string[]];

const rows: Row[] = [
  ['queued without approval: nothing yet', { status: 'queued', approvedBy: [] }, []],
  ['succeeded without approval: ended', { status: 'succeeded', approvedBy: [] }, ['ended op-ended:op-1']],
  ['blocked at run time: ended', { status: 'blocked', approvedBy: [] }, ['ended op-ended:op-1']],
  ['waiting for approval: requested', { status: 'awaiting_approval', approvalId: 'apr-1', approvedBy: [] }, ['approval:requested approval-requested:op-1']],
  ['approved and queued', { status: 'queued', approvalId: 'apr-1', approvedBy: ['bob'] }, ['approval:requested approval-requested:op-1', 'approval:approved approval-approved:op-1']],
  ['approved, then failed', { status: 'failed', approvalId: 'apr-1', approvedBy: ['bob'] }, ['approval:requested approval-requested:op-1', 'approval:approved approval-approved:op-1', 'ended op-ended:op-1']],
  ['approved upgrade aborted later: still approved, not cancelled', { status: 'cancelled', approvalId: 'apr-1', approvedBy: ['bob'] }, ['approval:requested approval-requested:op-1', 'approval:approved approval-approved:op-1', 'ended op-ended:op-1']],
  ['rejected', { status: 'rejected', approvalId: 'apr-1', approvedBy: [] }, ['approval:requested approval-requested:op-1', 'approval:rejected approval-ended:op-1', 'ended op-ended:op-1']],
  ['expired', { status: 'expired', approvalId: 'apr-1', approvedBy: [] }, ['approval:requested approval-requested:op-1', 'approval:expired approval-ended:op-1', 'ended op-ended:op-1']],
  ['cancelled by the requester', { status: 'cancelled', approvalId: 'apr-1', approvedBy: [] }, ['approval:requested approval-requested:op-1', 'approval:cancelled approval-ended:op-1', 'ended op-ended:op-1']],
];

describe('opEvents', () => {
  it.each(rows)('%s', (_case, rec, expected) => {
    const got = opEvents({ id: 'op-1', ...rec }).map((e) => (e.kind === 'ended' ? `ended ${e.key}` : `approval:${e.event} ${e.key}`));
    expect(got).toEqual(expected);
  });
});
