import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ApprovalConflictError, createApprovalStore, KEEP_CLOSED_SECONDS, type ApprovalStore } from '../../../src/approvals/store.ts';
import { openApproval, type ApprovalEvent, type ApprovalState } from '../../../src/core/approval.ts';

/**
 * The approval store on a real Redis: the pure rules hold when clicks arrive at once, from one
 * person or many. Each test has its own key prefix, so tests run in parallel with anything else
 * on the same Redis; everything under this file's root prefix is deleted at the end.
 */
const url = process.env['REDIS_URL'];
if (url === undefined) throw new Error('REDIS_URL is not set: run npm test, or start one with scripts/services/redis.sh');
const redis = new Redis(url);
const root = `test:approvals:${randomUUID()}:`;
const stores: ApprovalStore[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const keys = await redis.keys(`${root}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const PEOPLE = Array.from({ length: 10 }, (_, i) => `p${i}`);

function fresh(): { store: ApprovalStore; prefix: string } {
  const prefix = `${root}${randomUUID()}:`;
  const store = createApprovalStore(redis, prefix, { clock: () => at(5) });
  stores.push(store);
  return { store, prefix };
}

function approval(required: number, over: Partial<{ id: string; digest: string; approvers: string[] }> = {}): ApprovalState {
  const r = openApproval({
    id: over.id ?? `ap-${randomUUID()}`,
    requester: 'alice',
    approvers: over.approvers ?? PEOPLE,
    required,
    digest: over.digest ?? 'sha256:aaa',
    now: T0,
    expiresInSeconds: 3600,
  });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const ev = (kind: ApprovalEvent['kind'], actor: string, minutes = 5, digest?: string): ApprovalEvent => ({ kind, actor, now: at(minutes), digest });

function count(kinds: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

describe('approval store: create and read', () => {
  it('creates once; the same id and digest again returns the stored one', async () => {
    const { store } = fresh();
    const a = approval(2);
    expect(await store.create(a)).toEqual({ approval: a, created: true });
    await store.decide(a.id, ev('approve', 'p1'));
    const again = await store.create(a);
    expect(again.created).toBe(false);
    expect(again.approval.approvals.map((v) => v.person)).toEqual(['p1']);
  });

  it('refuses the same id for a different change', async () => {
    const { store } = fresh();
    const a = approval(1);
    await store.create(a);
    await expect(store.create({ ...a, digest: 'sha256:bbb' })).rejects.toBeInstanceOf(ApprovalConflictError);
  });

  it('creates once under 10 concurrent creates', async () => {
    const { store } = fresh();
    const a = approval(1);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.create(a)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('round-trips every field, dates included', async () => {
    const { store } = fresh();
    const a = approval(2);
    await store.create(a);
    await store.decide(a.id, ev('approve', 'p3', 7));
    await store.decide(a.id, { ...ev('reject', 'p4', 8), reason: 'not today' });
    expect(await store.get(a.id)).toEqual({ ...a, status: 'rejected', approvals: [{ person: 'p3', at: at(7) }], rejectedBy: 'p4', reason: 'not today', closedAt: at(8) });
  });

  it('reads a pending request past its deadline as expired, without a write', async () => {
    const { store } = fresh();
    const a = approval(1);
    await store.create(a);
    expect((await store.get(a.id, at(59)))?.status).toBe('pending');
    expect((await store.get(a.id, at(61)))?.status).toBe('expired');
    expect((await store.get(a.id, at(59)))?.status).toBe('pending');
  });

  it('knows nothing of an unknown id', async () => {
    const { store } = fresh();
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.decide('nope', ev('approve', 'p1'))).toEqual({ state: undefined, outcome: { kind: 'not_found' } });
  });

  it('keeps a pending record until 7 days after its deadline, a closed one 7 days after closing', async () => {
    const { store, prefix } = fresh();
    const a = approval(1);
    await store.create(a);
    const pendingTtl = await redis.pttl(`${prefix}approval:${a.id}`);
    expect(pendingTtl).toBeGreaterThan((3600 + KEEP_CLOSED_SECONDS - 5) * 1000);
    expect(pendingTtl).toBeLessThanOrEqual((3600 + KEEP_CLOSED_SECONDS) * 1000);
    await store.decide(a.id, ev('approve', 'p1', 10));
    const closedTtl = await redis.pttl(`${prefix}approval:${a.id}`);
    expect(closedTtl).toBeGreaterThan((KEEP_CLOSED_SECONDS - 5) * 1000);
    expect(closedTtl).toBeLessThanOrEqual(KEEP_CLOSED_SECONDS * 1000);
  });
});

describe('approval store: refusals', () => {
  // [case, required, decisions before, the decision, outcome kind, status stored after]
  const rows: [string, number, ApprovalEvent[], ApprovalEvent, string, string][] = [
    ['self-approval is refused', 1, [], ev('approve', 'alice'), 'self_approval', 'pending'],
    ['an approval after the deadline is refused and expires it', 1, [], ev('approve', 'p1', 60), 'expired', 'expired'],
    ['an approval after expiry says closed', 1, [ev('approve', 'p1', 61)], ev('approve', 'p2', 62), 'closed', 'expired'],
    ['cancel by someone other than the requester is refused', 1, [], ev('cancel', 'p1'), 'not_eligible', 'pending'],
    ['cancel by the requester closes it', 2, [ev('approve', 'p1')], ev('cancel', 'alice'), 'cancelled', 'cancelled'],
    ['an approval bound to another digest is refused', 1, [], ev('approve', 'p1', 5, 'sha256:other'), 'digest_mismatch', 'pending'],
    ['someone outside the approvers is refused', 1, [], ev('approve', 'mallory'), 'not_eligible', 'pending'],
    ['reject wins over later approvals', 1, [ev('reject', 'p2')], ev('approve', 'p1'), 'closed', 'rejected'],
    ['reject after one of two approvals still wins', 2, [ev('approve', 'p1'), ev('reject', 'p2'), ev('approve', 'p3')], ev('approve', 'p4'), 'closed', 'rejected'],
  ];

  it.each(rows)('%s', async (_name, required, before, event, outcome, status) => {
    const { store } = fresh();
    const a = approval(required);
    await store.create(a);
    for (const e of before) await store.decide(a.id, e);
    const d = await store.decide(a.id, event);
    expect(d.outcome.kind).toBe(outcome);
    expect((await store.get(a.id, event.now))?.status).toBe(status);
  });
});

describe('approval store: concurrent clicks', () => {
  it('one approver clicking 10 times at once on a 2-approval request: pending, counted once', async () => {
    const { store } = fresh();
    const a = approval(2);
    await store.create(a);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.decide(a.id, ev('approve', 'p1'))));
    expect(count(results.map((r) => r.outcome.kind))).toEqual({ recorded: 1, already_counted: 9 });
    const stored = await store.get(a.id);
    expect(stored?.status).toBe('pending');
    expect(stored?.approvals.map((v) => v.person)).toEqual(['p1']);
  });

  it('10 approvers at once on a 1-approval request: exactly one sees approved', async () => {
    const { store } = fresh();
    const a = approval(1);
    await store.create(a);
    const results = await Promise.all(PEOPLE.map((p) => store.decide(a.id, ev('approve', p))));
    expect(count(results.map((r) => r.outcome.kind))).toEqual({ approved: 1, closed: 9 });
    const winner = results.find((r) => r.outcome.kind === 'approved');
    const stored = await store.get(a.id);
    expect(stored?.status).toBe('approved');
    expect(stored?.approvals).toHaveLength(1);
    expect(stored).toEqual(winner?.state);
  });

  it('10 approvers clicking through two bot replicas (separate clients): exactly one approved', async () => {
    const { store, prefix } = fresh();
    const other = redis.duplicate();
    const replica = createApprovalStore(other, prefix);
    try {
      const a = approval(1);
      await store.create(a);
      const results = await Promise.all(PEOPLE.map((p, i) => (i % 2 === 0 ? store : replica).decide(a.id, ev('approve', p))));
      expect(count(results.map((r) => r.outcome.kind))).toEqual({ approved: 1, closed: 9 });
    } finally {
      await replica.close();
      other.disconnect();
    }
  });

  it('10 approvers at once on a 3-approval request: approved once with exactly three approvals', async () => {
    const { store } = fresh();
    const a = approval(3);
    await store.create(a);
    const results = await Promise.all(PEOPLE.map((p) => store.decide(a.id, ev('approve', p))));
    expect(count(results.map((r) => r.outcome.kind))).toEqual({ recorded: 2, approved: 1, closed: 7 });
    expect((await store.get(a.id))?.approvals).toHaveLength(3);
  });

  it('a rejection racing approvals: whichever lands first closes it, nothing counts after', async () => {
    const { store } = fresh();
    const a = approval(2);
    await store.create(a);
    const events = [ev('reject', 'p0'), ...PEOPLE.slice(1).map((p) => ev('approve', p))];
    const results = await Promise.all(events.map((e) => store.decide(a.id, e)));
    const stored = await store.get(a.id);
    const kinds = count(results.map((r) => r.outcome.kind));
    if (stored?.status === 'rejected') {
      expect(kinds['rejected']).toBe(1);
      expect(kinds['approved']).toBeUndefined();
      expect(stored.approvals.length).toBeLessThan(2);
    } else {
      expect(stored?.status).toBe('approved');
      expect(kinds['approved']).toBe(1);
      expect(kinds['rejected']).toBeUndefined();
    }
  });
});

describe('approval store: pending list and expiry sweep', () => {
  it('lists open requests soonest deadline first, without closed or expired ones', async () => {
    const { store } = fresh();
    const later = { ...approval(1), expiresAt: at(90) };
    const sooner = approval(1);
    const approved = approval(1);
    const lapsed = { ...approval(1), expiresAt: at(3) };
    for (const a of [later, sooner, approved, lapsed]) await store.create(a);
    await store.decide(approved.id, ev('approve', 'p1'));
    expect((await store.listPending(at(5))).map((a) => a.id)).toEqual([sooner.id, later.id]);
    expect((await store.listPending(at(70))).map((a) => a.id)).toEqual([later.id]);
  });

  it('expires what is due exactly once across concurrent sweepers', async () => {
    const { store } = fresh();
    const due = [approval(1), approval(1), approval(1)];
    const notDue = { ...approval(1), expiresAt: at(120) };
    for (const a of [...due, notDue]) await store.create(a);
    const sweeps = await Promise.all(Array.from({ length: 5 }, () => store.expireDue(at(61))));
    const expired = sweeps.flat();
    expect(expired.map((a) => a.id).sort()).toEqual(due.map((a) => a.id).sort());
    expect(expired.every((a) => a.status === 'expired' && a.closedAt?.getTime() === at(60).getTime())).toBe(true);
    expect(await store.expireDue(at(61))).toEqual([]);
    expect((await store.listPending(at(61))).map((a) => a.id)).toEqual([notDue.id]);
  });
});
