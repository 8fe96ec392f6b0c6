import { err, ok, type Result } from './result.ts';

/**
 * The four-eyes approval of one request, as a pure state machine: `decide` takes a state and one
 * person's click and returns the next state with what happened. The Redis store runs it inside
 * a transaction, so every rule about who may approve lives here and is tested as a table.
 *
 * Chat platforms deliver clicks at least once and people double-click, so every decision is
 * safe to repeat: a second approval by the same person counts once, a click on a closed request
 * changes nothing and says why.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type ClosedStatus = Exclude<ApprovalStatus, 'pending'>;

export interface ApprovalVote {
  readonly person: string;
  readonly at: Date;
}

export interface ApprovalState {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly requester: string;
  /** The people who may approve; the requester is never among them. */
  readonly approvers: readonly string[];
  /** How many distinct approvals complete the request. */
  readonly required: number;
  readonly approvals: readonly ApprovalVote[];
  readonly rejectedBy?: string;
  /** Why it was rejected or cancelled, as the person typed it. */
  readonly reason?: string;
  /**
   * Hash of the exact change (the job spec) this approval is for. A button bound to another
   * digest (a stale card after the request was re-made) must not approve this one.
   */
  readonly digest: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** When it stopped being pending; records are kept for a while after this. */
  readonly closedAt?: Date;
}

export type DecisionKind = 'approve' | 'reject' | 'cancel';

export interface ApprovalEvent {
  readonly kind: DecisionKind;
  readonly actor: string;
  readonly now: Date;
  /** The digest the clicked button was bound to; when given it must match. */
  readonly digest?: string | undefined;
  /** Free text for a rejection or cancellation. */
  readonly reason?: string | undefined;
}

export type ApprovalOutcome =
  /** This approval completed the request: run it (exactly one caller sees this). */
  | { readonly kind: 'approved' }
  /** Counted; `remaining` more approvals are needed. */
  | { readonly kind: 'recorded'; readonly remaining: number }
  /** The same person approved again: nothing changed. */
  | { readonly kind: 'already_counted'; readonly remaining: number }
  | { readonly kind: 'rejected' }
  | { readonly kind: 'cancelled' }
  /** The requester tried to approve or reject their own request. */
  | { readonly kind: 'self_approval' }
  | { readonly kind: 'not_eligible'; readonly why: 'not_an_approver' | 'only_requester_cancels' }
  /** The request ran out of time at this click; the state is now expired. */
  | { readonly kind: 'expired' }
  /** Not pending any more; `status` says what it became. */
  | { readonly kind: 'closed'; readonly status: ClosedStatus }
  | { readonly kind: 'digest_mismatch' };

export type OutcomeKind = ApprovalOutcome['kind'];

export interface Decided {
  readonly state: ApprovalState;
  readonly outcome: ApprovalOutcome;
}

/** Outcomes after which the state differs from before, so a store must write it. */
export const CHANGING_OUTCOMES: ReadonlySet<OutcomeKind> = new Set(['approved', 'recorded', 'rejected', 'cancelled', 'expired']);

export interface NewApproval {
  readonly id: string;
  readonly requester: string;
  readonly approvers: readonly string[];
  readonly required: number;
  readonly digest: string;
  readonly now: Date;
  readonly expiresInSeconds: number;
}

export type NewApprovalProblem = 'required_below_one' | 'too_few_approvers' | 'bad_expiry' | 'empty_digest';

/** A fresh pending approval. The requester is dropped from the approvers (four eyes). */
export function openApproval(input: NewApproval): Result<ApprovalState, NewApprovalProblem> {
  const approvers = [...new Set(input.approvers)].filter((p) => p !== input.requester).sort();
  if (!Number.isInteger(input.required) || input.required < 1) return err('required_below_one');
  if (approvers.length < input.required) return err('too_few_approvers');
  if (!(input.expiresInSeconds > 0) || !Number.isFinite(input.expiresInSeconds)) return err('bad_expiry');
  if (input.digest === '') return err('empty_digest');
  return ok({
    id: input.id,
    status: 'pending',
    requester: input.requester,
    approvers,
    required: input.required,
    approvals: [],
    digest: input.digest,
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + input.expiresInSeconds * 1000),
  });
}

/** The state as it stands at `now`: a pending request past its deadline is expired. */
export function expire(state: ApprovalState, now: Date): ApprovalState {
  if (state.status !== 'pending' || now < state.expiresAt) return state;
  // It expired at its deadline, not when someone happened to look.
  return { ...state, status: 'expired', closedAt: state.expiresAt };
}

function remaining(state: ApprovalState): number {
  return Math.max(0, state.required - state.approvals.length);
}

function close(state: ApprovalState, status: ClosedStatus, now: Date, extra: { rejectedBy?: string; reason?: string | undefined }): ApprovalState {
  const next: { -readonly [K in keyof ApprovalState]: ApprovalState[K] } = { ...state, status, closedAt: now };
  if (extra.rejectedBy !== undefined) next.rejectedBy = extra.rejectedBy;
  if (extra.reason !== undefined && extra.reason !== '') next.reason = extra.reason;
  return next;
}

/**
 * One person's decision. Checks run in this order: closed, expired, digest, who is acting. So
 * a stale button on a closed request says "already approved" rather than "wrong digest", and
 * nothing is counted against an expired or re-made request.
 */
export function decide(state: ApprovalState, event: ApprovalEvent): Decided {
  const same = (outcome: ApprovalOutcome): Decided => ({ state, outcome });
  if (state.status !== 'pending') return same({ kind: 'closed', status: state.status });
  const current = expire(state, event.now);
  if (current !== state) return { state: current, outcome: { kind: 'expired' } };
  if (event.digest !== undefined && event.digest !== state.digest) return same({ kind: 'digest_mismatch' });

  const { actor, now } = event;
  switch (event.kind) {
    case 'cancel':
      if (actor !== state.requester) return same({ kind: 'not_eligible', why: 'only_requester_cancels' });
      return { state: close(state, 'cancelled', now, { reason: event.reason }), outcome: { kind: 'cancelled' } };
    case 'reject':
      // The requester withdraws with cancel; a rejection is someone else's judgement.
      if (actor === state.requester) return same({ kind: 'self_approval' });
      if (!state.approvers.includes(actor)) return same({ kind: 'not_eligible', why: 'not_an_approver' });
      return { state: close(state, 'rejected', now, { rejectedBy: actor, reason: event.reason }), outcome: { kind: 'rejected' } };
    case 'approve': {
      if (actor === state.requester) return same({ kind: 'self_approval' });
      if (!state.approvers.includes(actor)) return same({ kind: 'not_eligible', why: 'not_an_approver' });
      if (state.approvals.some((a) => a.person === actor)) return same({ kind: 'already_counted', remaining: remaining(state) });
      const counted: ApprovalState = { ...state, approvals: [...state.approvals, { person: actor, at: now }] };
      const left = remaining(counted);
      if (left > 0) return { state: counted, outcome: { kind: 'recorded', remaining: left } };
      return { state: { ...counted, status: 'approved', closedAt: now }, outcome: { kind: 'approved' } };
    }
  }
}

/**
 * Whether a reminder to the approvers is due: still pending and within `beforeSeconds` of the
 * deadline. This is a window, not a one-shot: send it once with a dedupe claim on the id.
 */
export function reminderDue(state: ApprovalState, now: Date, beforeSeconds: number): boolean {
  if (state.status !== 'pending' || now >= state.expiresAt) return false;
  return state.expiresAt.getTime() - now.getTime() <= beforeSeconds * 1000;
}

/** Approvers who have not approved yet, for the reminder and the card. */
export function waitingOn(state: ApprovalState): string[] {
  const done = new Set(state.approvals.map((a) => a.person));
  return state.approvers.filter((p) => !done.has(p));
}

/** One sentence for the person who clicked. */
export function describeOutcome(outcome: ApprovalOutcome, state: ApprovalState, actor: string): string {
  switch (outcome.kind) {
    case 'approved':
      return `Approved by ${state.approvals.map((a) => a.person).join(', ')}; starting the change requested by ${state.requester}.`;
    case 'recorded':
      return `Your approval is recorded; ${outcome.remaining} more needed.`;
    case 'already_counted':
      return `You already approved this; ${outcome.remaining} more needed.`;
    case 'rejected':
      return `Rejected by ${actor}${state.reason === undefined ? '' : `: ${state.reason}`}.`;
    case 'cancelled':
      return `Cancelled by ${actor}${state.reason === undefined ? '' : `: ${state.reason}`}.`;
    case 'self_approval':
      return 'You cannot approve or reject your own request; ask one of the approvers, or cancel it.';
    case 'not_eligible':
      return outcome.why === 'only_requester_cancels'
        ? `Only ${state.requester}, who asked for it, can cancel this request.`
        : `You are not among the approvers of this request (${state.approvers.join(', ')}).`;
    case 'expired':
      return `This request expired at ${state.expiresAt.toISOString()}; ask again if it is still needed.`;
    case 'closed':
      return `This request is already ${outcome.status}${closedBy(outcome.status, state)}.`;
    case 'digest_mismatch':
      return 'This button belongs to a different version of the request; use the latest approval card.';
  }
}

function closedBy(status: ClosedStatus, state: ApprovalState): string {
  if (status === 'rejected' && state.rejectedBy !== undefined) return ` by ${state.rejectedBy}`;
  if (status === 'approved' && state.approvals.length > 0) return ` by ${state.approvals.map((a) => a.person).join(', ')}`;
  return '';
}
