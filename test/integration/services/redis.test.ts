import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The test command starts a real Redis for the suites that need one (the job engine, approvals,
 * the outbox). This checks that what it started is what they will rely on.
 */
const url = process.env['REDIS_URL'];

describe('test Redis', () => {
  const redis = new Redis(url ?? 'redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(() => {
    redis.disconnect();
  });

  it('is given to the tests on loopback', () => {
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers, and keeps an append-only file so queued work survives a restart', async () => {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    const key = `test:${process.pid}:${Date.now()}`;
    await redis.set(key, 'v', 'EX', 10);
    expect(await redis.get(key)).toBe('v');
  });
});
