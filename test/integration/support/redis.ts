import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';

/**
 * A client on the test Redis (REDIS_URL, started by npm test) and a key root unique to this
 * test file; every key under it is removed when the file's tests end, so files run in parallel
 * and leave nothing behind. Call it at the top of a test file.
 */
export function testRedis(area: string): { redis: Redis; root: string; url: string } {
  const url = process.env['REDIS_URL'];
  if (url === undefined) throw new Error('REDIS_URL is not set: run npm test, or start one with scripts/services/redis.sh');
  const redis = new Redis(url);
  const root = `test:${area}:${randomUUID()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${root}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return { redis, root, url };
}
