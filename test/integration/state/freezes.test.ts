import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.ts';
import { createFreezes, type FreezeRequest, type Freezes } from '../../../src/state/freezes.ts';

/** Ad-hoc freezes on a real Redis, each test under its own prefix; all removed at the end. */
const { redis, root } = testRedis('freezes');

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const fresh = (): Freezes => createFreezes(redis, `${root}${randomUUID()}:`);
const freeze = (by: string, env: string, untilMinutes: number, minutes = 0, reason = 'incident 2311'): FreezeRequest => ({ env, by, reason, until: at(untilMinutes), now: at(minutes) });

describe('freezes: setting one', () => {
  // [case, freezes before, the request, outcome kind, who froze it after, until (minutes) after]
  const rows: [string, FreezeRequest[], FreezeRequest, string, string, number][] = [
    ['a thawed env', [], freeze('bob', 'prod', 120), 'frozen', 'bob', 120],
    ['a replay of the same freeze', [freeze('bob', 'prod', 120)], freeze('bob', 'prod', 120, 1), 'already_frozen', 'bob', 120],
    ['a shorter freeze leaves the longer one', [freeze('bob', 'prod', 120)], freeze('carol', 'prod', 60, 1), 'already_frozen', 'bob', 120],
    ['a longer freeze replaces it', [freeze('bob', 'prod', 120)], freeze('carol', 'prod', 240, 1), 'frozen', 'carol', 240],
    ['after the old one ended, any new one applies', [freeze('bob', 'prod', 120)], freeze('carol', 'prod', 150, 130), 'frozen', 'carol', 150],
    ['another env is separate', [freeze('bob', 'staging', 120)], freeze('carol', 'prod', 60), 'frozen', 'carol', 60],
  ];

  it.each(rows)('%s', async (_name, before, req, kind, by, until) => {
    const freezes = fresh();
    for (const f of before) await freezes.freeze(f);
    const out = await freezes.freeze(req);
    expect(out.kind).toBe(kind);
    expect(out.freeze.by).toBe(by);
    expect(out.freeze.until).toEqual(at(until));
  });

  it('says which freeze a longer one replaced', async () => {
    const freezes = fresh();
    await freezes.freeze(freeze('bob', 'prod', 60, 0, 'first'));
    expect(await freezes.freeze(freeze('carol', 'prod', 90, 5, 'second'))).toEqual({
      kind: 'frozen',
      freeze: { env: 'prod', by: 'carol', reason: 'second', until: at(90) },
      replaced: { env: 'prod', by: 'bob', reason: 'first', until: at(60) },
    });
  });

  it('refuses a freeze that ends before it starts', async () => {
    await expect(fresh().freeze(freeze('bob', 'prod', 10, 20))).rejects.toBeInstanceOf(RangeError);
  });
});

describe('freezes: lifting and listing', () => {
  it.each([
    ['an active freeze is lifted', 30, 'unfrozen'],
    ['an ended freeze has nothing to lift', 121, 'not_frozen'],
  ] as const)('%s', async (_name, minutes, kind) => {
    const freezes = fresh();
    await freezes.freeze(freeze('bob', 'prod', 120));
    expect((await freezes.unfreeze({ env: 'prod', by: 'carol', now: at(minutes) })).kind).toBe(kind);
    expect(await freezes.active(at(minutes))).toEqual([]);
  });

  it('is idempotent: a replayed unfreeze finds nothing to do', async () => {
    const freezes = fresh();
    await freezes.freeze(freeze('bob', 'prod', 120));
    expect(await freezes.unfreeze({ env: 'prod', by: 'carol', now: at(1) })).toEqual({
      kind: 'unfrozen',
      by: 'carol',
      freeze: { env: 'prod', by: 'bob', reason: 'incident 2311', until: at(120) },
    });
    expect((await freezes.unfreeze({ env: 'prod', by: 'carol', now: at(2) })).kind).toBe('not_frozen');
  });

  it('lists freezes in force as the core AdhocFreeze, by env, cleaning ended ones', async () => {
    const prefix = `${root}${randomUUID()}:`;
    const freezes = createFreezes(redis, prefix);
    await freezes.freeze(freeze('bob', 'staging', 30, 0, 'load test'));
    await freezes.freeze(freeze('carol', 'prod', 120));
    expect(await freezes.active(at(1))).toEqual([
      { env: 'prod', by: 'carol', reason: 'incident 2311', until: at(120) },
      { env: 'staging', by: 'bob', reason: 'load test', until: at(30) },
    ]);
    expect((await freezes.active(at(31))).map((f) => f.env)).toEqual(['prod']);
    expect(await redis.hkeys(`${prefix}freezes`)).toEqual(['prod']);
    const ttl = await redis.pttl(`${prefix}freezes`);
    expect(ttl).toBeGreaterThan(119 * 60_000);
    expect(ttl).toBeLessThanOrEqual(120 * 60_000);
  });

  it('10 concurrent freezes of one env: the longest stands', async () => {
    const freezes = fresh();
    await Promise.all(Array.from({ length: 10 }, (_, i) => freezes.freeze(freeze(`p${i}`, 'prod', 60 + i * 10))));
    expect(await freezes.active(at(1))).toEqual([{ env: 'prod', by: 'p9', reason: 'incident 2311', until: at(150) }]);
  });
});
