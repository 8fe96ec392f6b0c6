import { describe, expect, it, onTestFinished } from 'vitest';
import type { KubeClients } from '../../../src/kube/clients.ts';
import { followRollout, type ContactChange, type FollowOptions } from '../../../src/kube/rollout.ts';
import { setImage } from '../../../src/kube/set-image.ts';
import { createWatchHub, type WatchHubOptions } from '../../../src/kube/watch-hub.ts';
import { clientNodeWatch, type WatchConnection, type WatchFn } from '../../../src/kube/watch-wire.ts';
import type { WatchCount } from '../../../src/kube/watch-stats.ts';
import type { WorkloadRef } from '../../../src/kube/workload.ts';
import { adminClients, botClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, createStatefulSet, waitFor, waitForRollout } from '../support/workloads.ts';

/**
 * Rollouts followed through shared watches on the real apiserver, as the bot (its RBAC must
 * allow list and watch): one watch per namespace and kind for every follower in it; a dropped
 * watch resumed from the resourceVersion it last saw, with no new LIST; a resourceVersion the
 * apiserver no longer has (410) answered by reading the whole state again; a watch that can't connect replaced
 * by GETs, without a word about contact (the cluster answers); and a watch stopped once its last
 * follower is gone. The faults are injected around client-node's real Watch: the requests and
 * events are the apiserver's, the drops are real aborted connections, the 410 is the
 * apiserver's answer as it sends it.
 */
interface Connect {
  readonly path: string;
  /** '' for a watch that starts from scratch (a watch-list: the current state first). */
  readonly resourceVersion: string;
  readonly initial: boolean;
}

interface Faults {
  /** Abort the first connection after this many events (a dropped watch). */
  readonly dropFirstAfter?: number;
  /**
   * Answer the second connection as the apiserver answers a resourceVersion it no longer has: an
   * ERROR event with a 410 Status, then the end of the stream. (A fresh local apiserver's watch
   * cache still holds every version since it started, so a real one can't be had on demand.)
   */
  readonly expireSecond?: boolean;
  /** Fail every connection before it reaches the apiserver. */
  readonly refuse?: boolean;
}

function faulty(faults: Faults): { transport: NonNullable<WatchHubOptions['transport']>; connects: Connect[] } {
  const connects: Connect[] = [];
  const transport = (c: KubeClients): WatchFn => {
    const real = clientNodeWatch(c);
    return async (path, query, onEvent, onDone) => {
      const rv = query['resourceVersion'];
      const n = connects.push({ path, resourceVersion: typeof rv === 'string' ? rv : '', initial: query['sendInitialEvents'] === true });
      if (faults.refuse === true) {
        onDone(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1 (injected)'), { code: 'ECONNREFUSED' }));
        return { abort: () => undefined };
      }
      if (faults.expireSecond === true && n === 2) {
        setImmediate(() => {
          onEvent('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${String(rv)} (999999)`, reason: 'Expired', code: 410 });
          onDone(null);
        });
        return { abort: () => undefined };
      }
      const q = query;
      let events = 0;
      const held: { conn?: WatchConnection; dropped?: boolean } = {};
      const drop = () => {
        if (held.dropped === true || held.conn === undefined) return;
        held.dropped = true;
        held.conn.abort();
      };
      const conn = await real(path, q, (type, object) => {
        onEvent(type, object);
        events++;
        if (n === 1 && faults.dropFirstAfter !== undefined && events >= faults.dropFirstAfter) setImmediate(drop);
      }, onDone);
      held.conn = conn;
      if (n === 1 && faults.dropFirstAfter !== undefined && events >= faults.dropFirstAfter) drop();
      return conn;
    };
  };
  return { transport, connects };
}

const total = (counts: readonly WatchCount[], counter: WatchCount['counter'], detail?: string) =>
  counts.filter((c) => c.counter === counter && (detail === undefined || c.detail === detail)).reduce((n, c) => n + c.value, 0);

/** Sets a new image as the bot and follows the rollout through `hub`. */
async function deployAndFollow(c: KubeClients, ref: WorkloadRef, tag: string, options: Omit<FollowOptions, 'timeoutMs'>) {
  const set = await setImage(c, { ...ref, image: `${REPO}:${tag}` });
  return followRollout(c, ref, { ...options, minGeneration: set.generation, timeoutMs: 90_000, diagnose: false });
}

describe('rollouts followed through shared watches, as the bot', () => {
  it('one watch per namespace and kind serves every follower in it, and stops after its last follower leaves', async () => {
    const ns = await testNamespace({ prefix: 'watch-share' });
    const admin = adminClients();
    const refs = [await createDeployment(admin, ns.name, 'a'), await createDeployment(admin, ns.name, 'b'), await createDeployment(admin, ns.name, 'c'), await createStatefulSet(admin, ns.name, 'db', { replicas: 2 })];
    await Promise.all(refs.map((r) => waitForRollout(admin, r)));
    const f = faulty({});
    const hub = createWatchHub({ transport: f.transport, lingerMs: 300 });
    onTestFinished(() => hub.stopAll());

    const results = await Promise.all(refs.map((r) => deployAndFollow(botClients(), r, 'v2', { watches: hub })));
    expect(results.map((r) => r.outcome)).toEqual(['complete', 'complete', 'complete', 'complete']);
    // Every follower saw its rollout move through states the watch delivered.
    expect(results.every((r) => r.updates >= 2)).toBe(true);
    expect(f.connects.map((x) => x.path).sort()).toEqual([`/apis/apps/v1/namespaces/${ns.name}/deployments`, `/apis/apps/v1/namespaces/${ns.name}/statefulsets`]);
    // Each started with the current state in the same request (watch-list): no LIST at all.
    expect(f.connects.every((x) => x.initial)).toBe(true);
    const counts = hub.stats.peek();
    expect(total(counts, 'lists', 'watch-list')).toBe(2);
    expect(total(counts, 'lists', 'list')).toBe(0);
    expect(total(counts, 'events', 'MODIFIED')).toBeGreaterThan(4);
    expect(total(counts, 'fallback_polls')).toBe(0);
    // Lingering a moment, then closed.
    await waitFor('the watches to stop', () => (hub.open() === 0 ? true : undefined), 5000, 50);
  });

  it.each([
    ['watch-list', true],
    ['LIST + WATCH', false],
  ])('resumes a dropped watch from the last resourceVersion it saw, without reading everything again (started with %s)', async (how, watchList) => {
    const ns = await testNamespace({ prefix: 'watch-drop' });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web');
    await waitForRollout(admin, ref);
    const f = faulty({ dropFirstAfter: 4 });
    const hub = createWatchHub({ transport: f.transport, retryMs: { first: 100, max: 1000 }, watchList });
    onTestFinished(() => hub.stopAll());

    const r = await deployAndFollow(botClients(), ref, 'v2', { watches: hub });
    expect(r.outcome).toBe('complete');
    expect(f.connects.length).toBeGreaterThanOrEqual(2);
    const [first, second] = f.connects;
    // The first watch starts from scratch (watch-list) or from the LIST's version; the second from a later one it saw.
    expect(first?.initial).toBe(watchList);
    expect(second?.initial).toBe(false);
    expect(second?.resourceVersion).not.toBe('');
    expect(second?.resourceVersion).not.toBe(first?.resourceVersion);
    const counts = hub.stats.peek();
    expect(total(counts, 'lists', how === 'LIST + WATCH' ? 'list' : 'watch-list')).toBe(1);
    expect(total(counts, 'lists')).toBe(1);
    expect(total(counts, 'restarts')).toBeGreaterThanOrEqual(1);
  });

  it('reads the whole state again when the apiserver says the resourceVersion is gone (410)', async () => {
    const ns = await testNamespace({ prefix: 'watch-gone' });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web');
    await waitForRollout(admin, ref);
    const f = faulty({ dropFirstAfter: 3, expireSecond: true });
    const hub = createWatchHub({ transport: f.transport, retryMs: { first: 100, max: 1000 } });
    onTestFinished(() => hub.stopAll());

    const r = await deployAndFollow(botClients(), ref, 'v2', { watches: hub });
    expect(r.outcome).toBe('complete');
    const counts = hub.stats.peek();
    expect(total(counts, 'restarts', 'expired')).toBe(1);
    expect(total(counts, 'lists')).toBe(2);
    // After the 410, the third watch starts from scratch, from the apiserver's current state.
    expect(f.connects.map((x) => x.initial).slice(0, 3)).toEqual([true, false, true]);
  });

  it('polls with GETs while the watch cannot connect, and says nothing about contact while the cluster answers', async () => {
    const ns = await testNamespace({ prefix: 'watch-down' });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web');
    await waitForRollout(admin, ref);
    const f = faulty({ refuse: true });
    const hub = createWatchHub({ transport: f.transport, retryMs: { first: 200, max: 1000 } });
    onTestFinished(() => hub.stopAll());

    const contact: ContactChange[] = [];
    const r = await deployAndFollow(botClients(), ref, 'v2', { watches: hub, intervalMs: 200, onContact: (c) => void contact.push(c) });
    expect(r.outcome).toBe('complete');
    expect(contact).toEqual([]);
    const counts = hub.stats.peek();
    expect(total(counts, 'fallback_polls')).toBeGreaterThanOrEqual(2);
    expect(total(counts, 'restarts', 'error')).toBeGreaterThanOrEqual(1);
    expect(f.connects.length).toBeGreaterThanOrEqual(1);
  });

  it('treats its watches as down while the cluster does not answer its probe, polling instead, and starts them again', async () => {
    const ns = await testNamespace({ prefix: 'watch-probe' });
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name, 'web');
    await waitForRollout(admin, ref);
    const f = faulty({});
    let answering = true;
    let asked = 0;
    const hub = createWatchHub({ transport: f.transport, probeEveryMs: 200, retryMs: { first: 100, max: 500 }, probe: () => () => Promise.resolve((asked++, answering)) });
    onTestFinished(() => hub.stopAll());

    const c = botClients();
    const set = await setImage(c, { ...ref, image: `${REPO}:v2` });
    const following = followRollout(c, ref, { watches: hub, minGeneration: set.generation, timeoutMs: 90_000, intervalMs: 200, diagnose: false });
    // Once the watch has the current state, the cluster "stops answering" its probe.
    await waitFor('the watch to be up', () => (total(hub.stats.peek(), 'events', 'BOOKMARK') >= 1 ? true : undefined), 30_000, 20);
    answering = false;
    await waitFor('followers to poll in the watch\'s place', () => (total(hub.stats.peek(), 'fallback_polls') >= 3 ? true : undefined), 30_000, 50);
    const connectsWhileDown = f.connects.length;
    answering = true;
    const r = await following;
    expect(r.outcome).toBe('complete');
    expect(asked).toBeGreaterThanOrEqual(2);
    // The watch was dropped when the cluster stopped answering and made again from the version it had.
    expect(connectsWhileDown).toBeGreaterThanOrEqual(2);
    expect(f.connects.slice(1).every((x) => !x.initial && x.resourceVersion !== '')).toBe(true);
    expect(total(hub.stats.peek(), 'lists')).toBe(1);
  });
});
