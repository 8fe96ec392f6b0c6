import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.ts';
import { createLocks, type LockRequest, type Locks, type UnlockRequest } from '../../../src/state/locks.ts';

/** Locks on a real Redis, each test under its own prefix; all removed at the end. */
const { redis, root } = testRedis('locks');

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const fresh = (): Locks => createLocks(redis, `${root}${randomUUID()}:`);

const lock = (holder: string, env: string, app?: string, minutes = 0, ttlSeconds = 3600, reason?: string): LockRequest => ({ env, app, holder, reason, ttlSeconds, now: at(minutes) });
const unlock = (by: string, env: string, app?: string, minutes = 1, force?: boolean): UnlockRequest => ({ env, app, by, now: at(minutes), force });

type Op = { lock: LockRequest } | { unlock: UnlockRequest };

/** [case, what happened before, the request, outcome kind, holder named in the outcome] */
const lockRows: [string, Op[], LockRequest, string, string][] = [
  ['a free env', [], lock('bob', 'prod'), 'locked', 'bob'],
  ['an env held by someone else', [{ lock: lock('carol', 'prod') }], lock('bob', 'prod', undefined, 1), 'held', 'carol'],
  ['an app while someone holds the whole env', [{ lock: lock('carol', 'prod') }], lock('bob', 'prod', 'web', 1), 'held', 'carol'],
  ['the whole env while someone holds an app in it', [{ lock: lock('carol', 'prod', 'web') }], lock('bob', 'prod', undefined, 1), 'held', 'carol'],
  ['another app in the same env', [{ lock: lock('carol', 'prod', 'web') }], lock('bob', 'prod', 'api', 1), 'locked', 'bob'],
  ['the same app in another env', [{ lock: lock('carol', 'staging', 'web') }], lock('bob', 'prod', 'web', 1), 'locked', 'bob'],
  ['an app inside one\'s own env lock', [{ lock: lock('bob', 'prod') }], lock('bob', 'prod', 'web', 1), 'locked', 'bob'],
  ['an env someone else held until it ran out', [{ lock: lock('carol', 'prod', undefined, 0, 60) }], lock('bob', 'prod', undefined, 2), 'locked', 'bob'],
  ['an env someone else unlocked', [{ lock: lock('carol', 'prod') }, { unlock: unlock('carol', 'prod') }], lock('bob', 'prod', undefined, 2), 'locked', 'bob'],
];

describe('locks: taking one', () => {
  it.each(lockRows)('%s', async (_name, before, req, kind, holder) => {
    const locks = fresh();
    for (const op of before) {
      if ('lock' in op) await locks.lock(op.lock);
      else await locks.unlock(op.unlock);
    }
    const out = await locks.lock(req);
    expect(out.kind).toBe(kind);
    expect(out.lock.holder).toBe(holder);
  });

  it('names the holder, reason and deadline when refused', async () => {
    const locks = fresh();
    await locks.lock(lock('carol', 'prod', 'web', 0, 7200, 'db migration'));
    expect(await locks.lock(lock('bob', 'prod', 'web', 5))).toEqual({
      kind: 'held',
      lock: { env: 'prod', app: 'web', holder: 'carol', reason: 'db migration', expiresAt: at(120) },
    });
  });

  it('extends for the same holder and keeps the reason when none is given', async () => {
    const locks = fresh();
    const first = await locks.lock(lock('bob', 'prod', undefined, 0, 3600, 'release 42'));
    expect(first).toMatchObject({ kind: 'locked', extended: false });
    const again = await locks.lock(lock('bob', 'prod', undefined, 30, 3600));
    expect(again).toEqual({ kind: 'locked', extended: true, lock: { env: 'prod', holder: 'bob', reason: 'release 42', expiresAt: at(90) } });
    expect(await locks.active(at(31))).toHaveLength(1);
  });

  it('20 people locking the same env at once: exactly one holds it, the rest are told who', async () => {
    const locks = fresh();
    const people = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const results = await Promise.all(people.map((p) => locks.lock(lock(p, 'prod'))));
    const winners = results.filter((r) => r.kind === 'locked');
    expect(winners).toHaveLength(1);
    const holder = winners[0]?.lock.holder;
    expect(results.filter((r) => r.kind === 'held').every((r) => r.lock.holder === holder)).toBe(true);
  });
});

describe('locks: unlocking', () => {
  // [case, unlock request, outcome kind, still locked after]
  const rows: [string, UnlockRequest, string, boolean][] = [
    ['by the holder', unlock('bob', 'prod', 'web'), 'unlocked', false],
    ['by someone else', unlock('carol', 'prod', 'web'), 'not_holder', true],
    ['by someone else with force', unlock('carol', 'prod', 'web', 1, true), 'unlocked', false],
    ['a scope that is not locked', unlock('bob', 'prod'), 'not_locked', true],
    ['after it ran out', unlock('bob', 'prod', 'web', 61), 'not_locked', false],
  ];

  it.each(rows)('%s', async (_name, req, kind, stillLocked) => {
    const locks = fresh();
    await locks.lock(lock('bob', 'prod', 'web', 0, 3600));
    const out = await locks.unlock(req);
    expect(out.kind).toBe(kind);
    expect((await locks.active(req.now)).length > 0).toBe(stillLocked);
  });

  it('is idempotent: a replayed unlock finds nothing to do', async () => {
    const locks = fresh();
    await locks.lock(lock('bob', 'prod'));
    expect((await locks.unlock(unlock('bob', 'prod'))).kind).toBe('unlocked');
    expect((await locks.unlock(unlock('bob', 'prod'))).kind).toBe('not_locked');
  });

  it('says when a forced unlock lifted someone else\'s lock', async () => {
    const locks = fresh();
    await locks.lock(lock('bob', 'prod'));
    expect(await locks.unlock(unlock('carol', 'prod', undefined, 1, true))).toMatchObject({ kind: 'unlocked', forced: true, lock: { holder: 'bob' } });
  });
});

describe('locks: active', () => {
  it('returns the core Lock shape, sorted, ignoring and cleaning expired ones', async () => {
    const prefix = `${root}${randomUUID()}:`;
    const locks = createLocks(redis, prefix);
    await locks.lock(lock('bob', 'prod', 'web', 0, 600));
    await locks.lock(lock('carol', 'prod', 'api', 0, 3600));
    await locks.lock(lock('dave', 'dev', undefined, 0, 3600, 'cleanup'));
    expect(await locks.active(at(1))).toEqual([
      { env: 'dev', holder: 'dave', reason: 'cleanup', expiresAt: at(60) },
      { env: 'prod', app: 'api', holder: 'carol', expiresAt: at(60) },
      { env: 'prod', app: 'web', holder: 'bob', expiresAt: at(10) },
    ]);
    expect((await locks.active(at(11))).map((l) => l.holder)).toEqual(['dave', 'carol']);
    expect(await redis.hlen(`${prefix}locks`)).toBe(2);
    expect(await locks.active(at(61))).toEqual([]);
    expect(await redis.exists(`${prefix}locks`)).toBe(0);
  });

  it('gives the hash a Redis TTL up to the last deadline', async () => {
    const prefix = `${root}${randomUUID()}:`;
    const locks = createLocks(redis, prefix);
    await locks.lock(lock('bob', 'prod', 'web', 0, 600));
    await locks.lock(lock('carol', 'prod', 'api', 0, 3600));
    const ttl = await redis.pttl(`${prefix}locks`);
    expect(ttl).toBeGreaterThan(3590_000);
    expect(ttl).toBeLessThanOrEqual(3600_000);
  });

  it.each([
    ['a zero ttl', { ...lock('bob', 'prod'), ttlSeconds: 0 }],
    ['an env with a slash', lock('bob', 'prod/x')],
    ['an empty app', lock('bob', 'prod', '')],
  ])('refuses %s', async (_name, req) => {
    await expect(fresh().lock(req)).rejects.toBeInstanceOf(RangeError);
  });
});
