import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { claim, dedupeKey, DEFAULT_DEDUPE_TTL_SECONDS } from '../../../src/jobs/dedupe.ts';

/** Dedupe claims on a real Redis, under this file's own prefix; all removed at the end. */
const url = process.env['REDIS_URL'];
if (url === undefined) throw new Error('REDIS_URL is not set: run npm test, or start one with scripts/services/redis.sh');
const redis = new Redis(url);
const prefix = `test:dedupe:${randomUUID()}:`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('dedupe claim', () => {
  it('the first claim wins; a replay gets the first value back', async () => {
    const key = `slack:${randomUUID()}`;
    expect(await claim(redis, prefix, key, 'op-1')).toEqual({ first: true });
    expect(await claim(redis, prefix, key, 'op-2')).toEqual({ first: false, value: 'op-1' });
    expect(await redis.get(dedupeKey(prefix, key))).toBe('op-1');
  });

  it.each([
    ['the default of 48 hours', undefined, DEFAULT_DEDUPE_TTL_SECONDS],
    ['a ttl given by the caller', 90, 90],
  ])('keeps the key for %s', async (_name, ttl, expected) => {
    const key = `ttl:${randomUUID()}`;
    await claim(redis, prefix, key, 'v', ttl);
    const left = await redis.ttl(dedupeKey(prefix, key));
    expect(left).toBeGreaterThan(expected - 5);
    expect(left).toBeLessThanOrEqual(expected);
  });

  it('a claim is free again once its key has expired', async () => {
    const key = `short:${randomUUID()}`;
    await claim(redis, prefix, key, 'a', 1);
    await redis.pexpire(dedupeKey(prefix, key), 1); // rather than waiting a second
    await new Promise((r) => setTimeout(r, 20));
    expect(await claim(redis, prefix, key, 'b')).toEqual({ first: true });
  });

  it('a replay does not extend the window', async () => {
    const key = `window:${randomUUID()}`;
    await claim(redis, prefix, key, 'a', 100);
    await claim(redis, prefix, key, 'b', 100_000);
    expect(await redis.ttl(dedupeKey(prefix, key))).toBeLessThanOrEqual(100);
  });

  it('20 concurrent claims: exactly one is first and all others see its value', async () => {
    const key = `burst:${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(redis, prefix, key, `op-${i}`)));
    const firsts = results.flatMap((r, i) => (r.first ? [`op-${i}`] : []));
    expect(firsts).toHaveLength(1);
    expect(results.filter((r) => !r.first).map((r) => (r.first ? '' : r.value))).toEqual(Array(19).fill(firsts[0]));
  });

  it('20 concurrent claims from separate connections: still exactly one first', async () => {
    const key = `conns:${randomUUID()}`;
    const clients = Array.from({ length: 5 }, () => redis.duplicate());
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(clients[i % clients.length] as Redis, prefix, key, `op-${i}`)));
      expect(results.filter((r) => r.first)).toHaveLength(1);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });

  it.each([0, -1, 1.5])('refuses a ttl of %s seconds', async (ttl) => {
    await expect(claim(redis, prefix, 'x', 'v', ttl)).rejects.toBeInstanceOf(RangeError);
  });
});
