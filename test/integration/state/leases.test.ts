import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLeases, leaseKey, type Leases } from '../../../src/jobs/leases.ts';

/**
 * Workload leases on a real Redis (real time: leases expire by Redis TTL, so the TTLs here are
 * a few hundred milliseconds). Each test uses its own key under this file's prefix.
 */
const url = process.env['REDIS_URL'];
if (url === undefined) throw new Error('REDIS_URL is not set: run npm test, or start one with scripts/services/redis.sh');
const redis = new Redis(url);
const prefix = `test:leases:${randomUUID()}:`;
const leases: Leases = createLeases(redis, prefix);

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const workload = () => leaseKey({ cluster: 'gz', namespace: 'shop-prod', kind: 'Deployment', name: `web-${randomUUID().slice(0, 8)}` });

describe('leases', () => {
  it('names a workload by cluster, namespace, kind and name', () => {
    expect(leaseKey({ cluster: 'gz', namespace: 'shop-prod', kind: 'Deployment', name: 'web' })).toBe('gz/shop-prod/Deployment/web');
  });

  // [case, what op-a did first, then op-b's call, expected result]
  const rows: [string, (k: string) => Promise<unknown>, (k: string) => Promise<unknown>, unknown][] = [
    ['a free workload is acquired', async () => {}, (k) => leases.acquire(k, 'op-b', 5000), { acquired: true }],
    ['a held one names its holder', (k) => leases.acquire(k, 'op-a', 5000), (k) => leases.acquire(k, 'op-b', 5000), expect.objectContaining({ acquired: false, holder: 'op-a' })],
    ['the holder acquiring again extends it', (k) => leases.acquire(k, 'op-b', 5000), (k) => leases.acquire(k, 'op-b', 5000), { acquired: true }],
    ['renew by another is refused', (k) => leases.acquire(k, 'op-a', 5000), (k) => leases.renew(k, 'op-b', 5000), false],
    ['renew by the holder works', (k) => leases.acquire(k, 'op-b', 5000), (k) => leases.renew(k, 'op-b', 5000), true],
    ['renew of a lapsed lease is refused', async () => {}, (k) => leases.renew(k, 'op-b', 5000), false],
    ['release by another is refused', (k) => leases.acquire(k, 'op-a', 5000), (k) => leases.release(k, 'op-b'), false],
    ['release by the holder works', (k) => leases.acquire(k, 'op-b', 5000), (k) => leases.release(k, 'op-b'), true],
    ['a released lease can be taken', async (k) => { await leases.acquire(k, 'op-a', 5000); await leases.release(k, 'op-a'); }, (k) => leases.acquire(k, 'op-b', 5000), { acquired: true }],
  ];

  it.each(rows)('%s', async (_name, first, then, expected) => {
    const k = workload();
    await first(k);
    expect(await then(k)).toEqual(expected);
  });

  it('a refused release leaves the holder in place', async () => {
    const k = workload();
    await leases.acquire(k, 'op-a', 5000);
    await leases.release(k, 'op-b');
    expect(await leases.holder(k)).toBe('op-a');
  });

  it('20 concurrent acquires: exactly one wins and the rest name it', async () => {
    const k = workload();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => leases.acquire(k, `op-${i}`, 5000)));
    const winners = results.flatMap((r, i) => (r.acquired ? [`op-${i}`] : []));
    expect(winners).toHaveLength(1);
    expect(results.every((r) => r.acquired || r.holder === winners[0])).toBe(true);
    expect(await leases.holder(k)).toBe(winners[0]);
  });

  it('a crashed owner\'s lease expires, so another operation can take it', async () => {
    const k = workload();
    await leases.acquire(k, 'op-crashed', 150);
    expect((await leases.acquire(k, 'op-next', 5000)).acquired).toBe(false);
    await sleep(250);
    expect(await leases.acquire(k, 'op-next', 5000)).toEqual({ acquired: true });
  });

  it('the crashed job itself, resumed under the same owner, takes it back at once', async () => {
    const k = workload();
    await leases.acquire(k, 'op-1', 5000);
    expect(await leases.acquire(k, 'op-1', 5000)).toEqual({ acquired: true });
  });

  it('keepRenewing holds a lease well past its TTL while the work runs, and stops after', async () => {
    const k = workload();
    await leases.acquire(k, 'op-a', 200);
    const work = sleep(700).then(() => 'done');
    const during = sleep(450).then(() => leases.acquire(k, 'op-b', 5000));
    expect(await leases.keepRenewing(k, 'op-a', 200, work)).toBe('done');
    expect((await during).acquired).toBe(false);
    await sleep(300); // no renewal any more: it lapses
    expect(await leases.holder(k)).toBeUndefined();
  });

  it('hold runs the work, then releases', async () => {
    const k = workload();
    const r = await leases.hold(k, 'op-a', 5000, async () => {
      expect(await leases.holder(k)).toBe('op-a');
      return 42;
    });
    expect(r).toEqual({ acquired: true, value: 42 });
    expect(await leases.holder(k)).toBeUndefined();
  });

  it('hold releases when the work throws', async () => {
    const k = workload();
    await expect(leases.hold(k, 'op-a', 5000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await leases.holder(k)).toBeUndefined();
  });

  it('hold does not run the work when someone else holds the workload', async () => {
    const k = workload();
    await leases.acquire(k, 'op-a', 5000);
    let ran = false;
    const r = await leases.hold(k, 'op-b', 5000, () => {
      ran = true;
      return Promise.resolve();
    });
    expect(r).toMatchObject({ acquired: false, holder: 'op-a' });
    expect(ran).toBe(false);
  });

  it('hold aborts the work\'s signal when the lease is taken over midway', async () => {
    const k = workload();
    const r = await leases.hold(k, 'op-a', 300, async (signal) => {
      await redis.set(`${prefix}lease:${k}`, 'op-thief'); // as if it had lapsed and been taken
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return signal.aborted;
    });
    expect(r).toEqual({ acquired: true, value: true });
    expect(await leases.holder(k)).toBe('op-thief'); // our release did not remove theirs
  });

  it.each([0, -5, 1.5])('refuses a ttl of %s ms', async (ttl) => {
    await expect(leases.acquire(workload(), 'op', ttl)).rejects.toBeInstanceOf(RangeError);
  });
});
