import { describe, expect, it } from 'vitest';
import {
  CHANGING_OUTCOMES,
  decide,
  describeOutcome,
  expire,
  openApproval,
  reminderDue,
  waitingOn,
  type ApprovalEvent,
  type ApprovalOutcome,
  type ApprovalState,
  type NewApproval,
} from '../../../src/core/approval.ts';

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

function pending(required: number, over: Partial<ApprovalState> = {}): ApprovalState {
  const r = openApproval({ id: 'ap-1', requester: 'alice', approvers: ['bob', 'carol', 'dave'], required, digest: 'sha256:aaa', now: T0, expiresInSeconds: 3600 });
  if (!r.ok) throw new Error(r.error);
  return { ...r.value, ...over };
}

const approvedBy = (state: ApprovalState, ...people: string[]): ApprovalState => ({ ...state, approvals: people.map((person) => ({ person, at: at(1) })) });

const ev = (kind: ApprovalEvent['kind'], actor: string, minutes = 5, digest?: string): ApprovalEvent => ({ kind, actor, now: at(minutes), digest });

type Row = [name: string, state: ApprovalState, event: ApprovalEvent, outcome: ApprovalOutcome, status: ApprovalState['status'], approvals: string[]];

/** [case, state before, decision, outcome, status after, approvers counted after] */
const rows: Row[] = [
  ['the only approval needed completes it', pending(1), ev('approve', 'bob'), { kind: 'approved' }, 'approved', ['bob']],
  ['first of two is recorded, one more needed', pending(2), ev('approve', 'bob'), { kind: 'recorded', remaining: 1 }, 'pending', ['bob']],
  ['second of two completes it', approvedBy(pending(2), 'bob'), ev('approve', 'carol'), { kind: 'approved' }, 'approved', ['bob', 'carol']],
  ['first of three: two more needed', pending(3), ev('approve', 'dave'), { kind: 'recorded', remaining: 2 }, 'pending', ['dave']],
  ['same person again counts once', approvedBy(pending(2), 'bob'), ev('approve', 'bob'), { kind: 'already_counted', remaining: 1 }, 'pending', ['bob']],
  ['requester approving own request', pending(1), ev('approve', 'alice'), { kind: 'self_approval' }, 'pending', []],
  ['requester rejecting own request (cancel instead)', pending(1), ev('reject', 'alice'), { kind: 'self_approval' }, 'pending', []],
  ['someone outside the approvers approving', pending(1), ev('approve', 'erin'), { kind: 'not_eligible', why: 'not_an_approver' }, 'pending', []],
  ['someone outside the approvers rejecting', pending(1), ev('reject', 'erin'), { kind: 'not_eligible', why: 'not_an_approver' }, 'pending', []],
  ['an approver rejects', pending(1), ev('reject', 'carol'), { kind: 'rejected' }, 'rejected', []],
  ['an approver who approved may still reject', approvedBy(pending(2), 'bob'), ev('reject', 'bob'), { kind: 'rejected' }, 'rejected', ['bob']],
  ['requester cancels', approvedBy(pending(2), 'bob'), ev('cancel', 'alice'), { kind: 'cancelled' }, 'cancelled', ['bob']],
  ['an approver cannot cancel', pending(1), ev('cancel', 'bob'), { kind: 'not_eligible', why: 'only_requester_cancels' }, 'pending', []],
  ['approval at the deadline expires it', pending(1), ev('approve', 'bob', 60), { kind: 'expired' }, 'expired', []],
  ['rejection after the deadline expires it', pending(1), ev('reject', 'bob', 61), { kind: 'expired' }, 'expired', []],
  ['cancel after the deadline expires it', pending(1), ev('cancel', 'alice', 90), { kind: 'expired' }, 'expired', []],
  ['one minute before the deadline still counts', pending(1), ev('approve', 'bob', 59), { kind: 'approved' }, 'approved', ['bob']],
  ['approve after approved', { ...approvedBy(pending(1), 'bob'), status: 'approved' }, ev('approve', 'carol'), { kind: 'closed', status: 'approved' }, 'approved', ['bob']],
  ['approve after rejected (reject wins)', { ...pending(1), status: 'rejected', rejectedBy: 'carol' }, ev('approve', 'bob'), { kind: 'closed', status: 'rejected' }, 'rejected', []],
  ['cancel after cancelled (replay)', { ...pending(1), status: 'cancelled' }, ev('cancel', 'alice'), { kind: 'closed', status: 'cancelled' }, 'cancelled', []],
  ['approve after expired', { ...pending(1), status: 'expired' }, ev('approve', 'bob', 120), { kind: 'closed', status: 'expired' }, 'expired', []],
  ['closed wins over a wrong digest', { ...pending(1), status: 'approved' }, ev('approve', 'bob', 5, 'sha256:bbb'), { kind: 'closed', status: 'approved' }, 'approved', []],
  ['approval bound to another digest', pending(1), ev('approve', 'bob', 5, 'sha256:bbb'), { kind: 'digest_mismatch' }, 'pending', []],
  ['rejection bound to another digest', pending(1), ev('reject', 'bob', 5, 'sha256:bbb'), { kind: 'digest_mismatch' }, 'pending', []],
  ['the matching digest is accepted', pending(1), ev('approve', 'bob', 5, 'sha256:aaa'), { kind: 'approved' }, 'approved', ['bob']],
  ['digest is checked before who acts', pending(1), ev('approve', 'alice', 5, 'sha256:bbb'), { kind: 'digest_mismatch' }, 'pending', []],
];

describe('approval decide', () => {
  it.each(rows)('%s', (_name, before, event, outcome, status, approvals) => {
    const { state, outcome: got } = decide(before, event);
    expect(got).toEqual(outcome);
    expect(state.status).toBe(status);
    expect(state.approvals.map((a) => a.person)).toEqual(approvals);
    // A store writes only when the outcome says something changed; the rest must be no-ops.
    if (CHANGING_OUTCOMES.has(got.kind)) expect(state).not.toBe(before);
    else expect(state).toBe(before);
    expect(describeOutcome(got, state, event.actor)).toMatch(/\S/);
  });

  it('covers every outcome kind', () => {
    const all = new Set(rows.map((r) => r[3].kind));
    expect([...all].sort()).toEqual(
      ['already_counted', 'approved', 'cancelled', 'closed', 'digest_mismatch', 'expired', 'not_eligible', 'recorded', 'rejected', 'self_approval'].sort(),
    );
  });

  it.each([
    ['approved', ev('approve', 'bob', 7), { closedAt: at(7) }],
    ['rejected', { ...ev('reject', 'carol', 8), reason: 'not during the sale' }, { closedAt: at(8), rejectedBy: 'carol', reason: 'not during the sale' }],
    ['cancelled', { ...ev('cancel', 'alice', 9), reason: 'wrong tag' }, { closedAt: at(9), reason: 'wrong tag' }],
    ['expired', ev('approve', 'bob', 75), { closedAt: at(60) }],
  ] as const)('records when and by whom it closed: %s', (_status, event, fields) => {
    expect(decide(pending(1), event).state).toMatchObject(fields);
  });

  it('keeps each approval with its time, in order', () => {
    const one = decide(pending(3), ev('approve', 'carol', 2)).state;
    const two = decide(one, ev('approve', 'bob', 3)).state;
    expect(two.approvals).toEqual([
      { person: 'carol', at: at(2) },
      { person: 'bob', at: at(3) },
    ]);
    expect(waitingOn(two)).toEqual(['dave']);
  });
});

describe('openApproval', () => {
  const base: NewApproval = { id: 'ap-2', requester: 'alice', approvers: ['bob', 'alice', 'carol', 'bob'], required: 2, digest: 'sha256:x', now: T0, expiresInSeconds: 1800 };

  it('drops the requester and duplicates from the approvers and sets the deadline', () => {
    const r = openApproval(base);
    expect(r).toEqual({
      ok: true,
      value: { id: 'ap-2', status: 'pending', requester: 'alice', approvers: ['bob', 'carol'], required: 2, approvals: [], digest: 'sha256:x', createdAt: T0, expiresAt: at(30) },
    });
  });

  it.each([
    ['no approval required', { required: 0 }, 'required_below_one'],
    ['fractional count', { required: 1.5 }, 'required_below_one'],
    ['more required than people other than the requester', { required: 3 }, 'too_few_approvers'],
    ['only the requester could approve', { approvers: ['alice'], required: 1 }, 'too_few_approvers'],
    ['no time to decide', { expiresInSeconds: 0 }, 'bad_expiry'],
    ['infinite time', { expiresInSeconds: Infinity }, 'bad_expiry'],
    ['nothing to bind to', { digest: '' }, 'empty_digest'],
  ] as const)('refuses %s', (_name, over, problem) => {
    expect(openApproval({ ...base, ...over })).toEqual({ ok: false, error: problem });
  });
});

describe('expire', () => {
  it.each([
    ['pending before the deadline stays', pending(1), at(59), 'pending'],
    ['pending at the deadline expires', pending(1), at(60), 'expired'],
    ['pending long after expires', pending(1), at(600), 'expired'],
    ['approved stays approved after the deadline', { ...pending(1), status: 'approved' }, at(600), 'approved'],
    ['rejected stays rejected', { ...pending(1), status: 'rejected' }, at(600), 'rejected'],
  ] as const)('%s', (_name, state, now, status) => {
    expect(expire(state, now).status).toBe(status);
  });

  it('dates the expiry at the deadline, not at the read', () => {
    expect(expire(pending(1), at(600)).closedAt).toEqual(at(60));
  });
});

describe('reminderDue', () => {
  it.each([
    ['long before the deadline', pending(1), at(10), 600, false],
    ['just inside the window', pending(1), at(50), 600, true],
    ['exactly at the window start', pending(1), at(50), 600, true],
    ['one second before the window', pending(1), new Date(at(50).getTime() - 1000), 600, false],
    ['at the deadline (expired, too late)', pending(1), at(60), 600, false],
    ['closed requests need no reminder', { ...pending(1), status: 'approved' }, at(55), 600, false],
  ] as const)('%s', (_name, state, now, before, due) => {
    expect(reminderDue(state, now, before)).toBe(due);
  });
});
