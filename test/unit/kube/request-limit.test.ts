import { describe, expect, it } from 'vitest';
import { kubeCall } from '../../../src/kube/errors.ts';
import { MAX_IN_FLIGHT_PER_CLUSTER, inFlightCounts } from '../../../src/kube/request-limit.ts';

/** Starts `n` calls through kubeCall to `cluster`, each held open until released; reports the most seen at once. */
function fanOut(cluster: string, n: number) {
  let running = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const calls = Array.from({ length: n }, (_, i) =>
    kubeCall({ cluster, verb: 'get', resource: 'deployments', name: `d${i}` }, async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
      return i;
    }),
  );
  return { calls, most: () => most, releaseAll: () => releases.splice(0).forEach((r) => r()) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('requests in flight per cluster', () => {
  it('a fan-out of 500 calls to one cluster has at most the limit in flight, the rest waiting in order; every call completes', async () => {
    const f = fanOut('limit-a', 500);
    await tick();
    expect(f.most()).toBe(MAX_IN_FLIGHT_PER_CLUSTER);
    expect(inFlightCounts('limit-a')).toEqual({ active: MAX_IN_FLIGHT_PER_CLUSTER, pending: 500 - MAX_IN_FLIGHT_PER_CLUSTER });
    while (inFlightCounts('limit-a').active > 0) {
      f.releaseAll();
      await tick();
    }
    expect(await Promise.all(f.calls)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(f.most()).toBe(MAX_IN_FLIGHT_PER_CLUSTER);
  });

  it('each cluster has a limit of its own: a full one does not hold back another', async () => {
    const a = fanOut('limit-b', MAX_IN_FLIGHT_PER_CLUSTER + 10);
    const b = fanOut('limit-c', 5);
    await tick();
    expect(b.most()).toBe(5);
    expect(inFlightCounts('limit-b').pending).toBe(10);
    for (const f of [a, b]) {
      while (inFlightCounts(f === a ? 'limit-b' : 'limit-c').active > 0) {
        f.releaseAll();
        await tick();
      }
    }
    await Promise.all([...a.calls, ...b.calls]);
  });

  it('a failing call frees its place and still comes back as a KubeError', async () => {
    await expect(kubeCall({ cluster: 'limit-d', verb: 'get', resource: 'deployments' }, () => Promise.reject(new Error('boom')))).rejects.toMatchObject({ name: 'KubeError' });
    expect(inFlightCounts('limit-d')).toEqual({ active: 0, pending: 0 });
  });
});
