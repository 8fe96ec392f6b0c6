import type { V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createStatefulSet, pods, waitForRollout } from '../support/workloads.ts';
import { CLUSTERS } from '../jobs/upgrade-support.ts';
import { buttonValue, rigConfig, startRig, textOf, type Rig } from './slack-rig.ts';

/**
 * Gray releases inside a StatefulSet (issue 15), through Slack: signed slash commands and
 * button clicks on the real Bolt receiver, the real StatefulSet controller on both clusters,
 * kwok pods. A 10-replica StatefulSet released with pods=1,50%,100% gate=manual moves ordinal 9,
 * then 5–9, then all ten, pausing for Continue between batches, and ends with the update
 * strategy it had before.
 */
let rig: Rig;
let ns: string;

/** ordinal → "<tag>@<revision is the update revision ? 'new' : 'old'>" of the live pods. */
async function byOrdinal(c: string, name = 'db'): Promise<Record<string, string>> {
  const sts = await readSts(c, name);
  const out: Record<string, string> = {};
  for (const p of await pods(adminClients(c), ns, name)) {
    const ordinal = /-(\d+)$/.exec(p.metadata?.name ?? '')?.[1] ?? '?';
    const tag = p.spec?.containers.find((x) => x.name === 'web')?.image?.split(':').at(-1) ?? '?';
    const rev = p.metadata?.labels?.['controller-revision-hash'];
    out[ordinal] = `${tag}@${rev === sts.status?.updateRevision ? 'update' : 'current'}`;
  }
  return out;
}

function readSts(c: string, name = 'db'): Promise<V1StatefulSet> {
  return adminClients(c).apps.readNamespacedStatefulSet({ namespace: ns, name });
}

/** The ordinals running `tag`, highest first. */
async function running(c: string, tag: string, name = 'db'): Promise<number[]> {
  const all = await byOrdinal(c, name);
  return Object.entries(all)
    .filter(([, v]) => v.startsWith(`${tag}@`))
    .map(([o]) => Number(o))
    .sort((a, b) => b - a);
}

beforeAll(async () => {
  ns = (await testNamespace({ clusters: [...CLUSTERS], prefix: 'pods', scope: 'file' })).name;
  await Promise.all(
    CLUSTERS.flatMap((c) => [
      (async () => waitForRollout(adminClients(c), await createStatefulSet(adminClients(c), ns, 'db', { replicas: 10, tag: 'v1' }), 120_000))(),
      (async () => waitForRollout(adminClients(c), await createStatefulSet(adminClients(c), ns, 'cache', { replicas: 4, tag: 'v1' }), 120_000))(),
    ]),
  );
  rig = await startRig((secret, apiUrl) =>
    rigConfig(secret, apiUrl, {
      clusters: CLUSTERS,
      environments: { staging: { clusters: [...CLUSTERS], namespace: ns, registries: ['registry.example.com'] } },
      apps: {
        db: { image: REPO, maxReplicas: 10, workload: { kind: 'StatefulSet', name: 'db' } },
        cache: { image: REPO, maxReplicas: 10, workload: { kind: 'StatefulSet', name: 'cache' } },
        web: { image: REPO, maxReplicas: 10 },
      },
      groups: { sre: ['bob'] },
      access: [{ name: 'sre', who: ['group:sre'], verbs: ['deploy', 'rollback', 'upgrade', 'scale'], envs: ['staging'] }],
    }),
    'C0PODS001',
    // A broken pod never turns Ready: the batch fails when following it runs out of time.
    { rolloutTimeoutMs: 30_000 },
  );
}, 180_000);

afterAll(async () => {
  await rig?.stop();
});

describe('pod batches of a StatefulSet from Slack', () => {
  it('pods=1,50%,100% gate=manual: ordinal 9, then 5–9, then all ten on each cluster, Continue between, the strategy as before', async () => {
    const before = await Promise.all(CLUSTERS.map(async (c) => (await readSts(c)).spec?.updateStrategy));
    const line = '/deploy db v2 to staging pods=1,50%,100% gate=manual';
    const asked = await rig.slash('bob', line);
    expect(asked.status).toBe(200);
    const op = await rig.opOf(line);
    // The plan, before anything changed: which pods in which batch on every cluster, and how they move.
    const plan = textOf(await rig.opMessage(op.id, (t) => t.includes('Pod batches')));
    for (const c of CLUSTERS) expect(plan).toContain(`${c}: 10 replicas, ${REPO}:v1 → ${REPO}:v2; batch 1: db-9 (partition 9); batch 2: db-8…db-5 (partition 5); batch 3: db-4…db-0 (partition 0)`);
    expect(plan).toContain('Parallel pod management');

    const paused = await rig.waitForOp(op.id, ['paused', 'failed']);
    expect(paused.summary).toContain('batch 1 of 3 is healthy');
    for (const c of CLUSTERS) {
      expect(await running(c, 'v2'), c).toEqual([9]);
      expect((await readSts(c)).spec?.updateStrategy?.rollingUpdate?.partition).toBe(9);
    }
    const live = await rig.opMessage(op.id, (t) => t.includes('Continue') && t.includes('batch 1 of 3 is healthy'));
    expect(textOf(live)).toMatch(/db-9: partition 9, revision db-[a-z0-9]+, 1 of 1 updated pod\(s\) Ready/);
    expect(buttonValue(live, 'continue')).toBe(op.id);
    // Unfinished, the release holds its StatefulSets: another change to db queues behind it, named.
    const other = await rig.slash('bob', '/scale db 10 in staging');
    expect(textOf((await rig.response(other.responseUrl)).body)).toContain(`Queued behind ${op.id} (deploy db v2 in pod batches (1,50%,100%) in staging by bob, paused, waiting for a decision)`);

    const click = await rig.click('bob', 'continue', op.id, live.ts);
    expect(click.status).toBe(200);
    expect(textOf((await rig.response(click.responseUrl)).body)).toContain('continue with the next batch: decided by bob');
    await waitForSummary(op.id, 'batch 2 of 3 is healthy');
    for (const c of CLUSTERS) expect(await running(c, 'v2'), c).toEqual([9, 8, 7, 6, 5]);

    const live2 = await rig.opMessage(op.id, (t) => t.includes('Continue') && t.includes('batch 2 of 3 is healthy'));
    const click2 = await rig.click('bob', 'continue', op.id, live2.ts);
    expect(textOf((await rig.response(click2.responseUrl)).body)).toContain('continue with the next batch: decided by bob');
    const done = await rig.waitForOp(op.id, ['succeeded', 'failed', 'paused']);
    expect(done.status, done.summary).toBe('succeeded');
    for (const c of CLUSTERS) {
      expect(await byOrdinal(c), c).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, o) => [String(o), 'v2@update'])));
    }
    expect(await Promise.all(CLUSTERS.map(async (c) => (await readSts(c)).spec?.updateStrategy))).toEqual(before);
    // The scale that waited behind it then ran (10 replicas already: nothing to change).
    const scaled = await rig.waitForOp((await rig.opOf('/scale db 10 in staging')).id, ['succeeded', 'failed', 'blocked']);
    expect(scaled.status, scaled.summary).toBe('succeeded');
  });

  it(':broken: batch 1 fails and pauses with the pods\' reasons; Abort and roll back returns the pod to the old revision and restores the strategy', async () => {
    const before = await Promise.all(CLUSTERS.map(async (c) => [(await readSts(c, 'cache')).spec?.updateStrategy, (await readSts(c, 'cache')).status?.currentRevision]));
    const line = '/deploy cache broken to staging pods=1,100% gate=manual';
    expect((await rig.slash('bob', line)).status).toBe(200);
    const op = await rig.opOf(line);
    const paused = await rig.waitForOp(op.id, ['paused', 'failed', 'succeeded'], 180_000);
    expect(paused.summary).toContain('batch 1 of 2 failed');
    const live = await rig.opMessage(op.id, (t) => t.includes('Abort and roll back') && t.includes('failed'));
    // Per cluster: the pod, the revision, the ready count, and why the pod is not Ready.
    expect(textOf(live)).toMatch(/cache-3: partition 3, revision cache-[a-z0-9]+, 0 of 1 updated pod\(s\) Ready; cache-3: CrashLoopBackOff/);
    for (const c of CLUSTERS) expect(await running(c, 'broken', 'cache'), c).toEqual([3]);

    const click = await rig.click('bob', 'abort_rollback', op.id, live.ts);
    expect(textOf((await rig.response(click.responseUrl)).body)).toContain('abort and roll back: decided by bob');
    const done = await rig.waitForOp(op.id, ['cancelled', 'failed'], 180_000);
    expect(done.status, done.summary).toBe('cancelled');
    expect(done.summary).toContain('2 StatefulSet(s) rolled back to their old image');
    for (const c of CLUSTERS) {
      expect(await byOrdinal(c, 'cache'), c).toEqual({ '0': 'v1@update', '1': 'v1@update', '2': 'v1@update', '3': 'v1@update' });
    }
    // The strategy as before, and the pods on the revision they ran before (the old ControllerRevision, reused).
    expect(await Promise.all(CLUSTERS.map(async (c) => [(await readSts(c, 'cache')).spec?.updateStrategy, (await readSts(c, 'cache')).status?.updateRevision]))).toEqual(before);
  });

  it('bake= waits after a healthy batch, looks again, then goes on by itself (gate=auto)', async () => {
    const line = '/deploy cache v3 to staging pods=1,100% gate=auto bake=3s';
    expect((await rig.slash('bob', line)).status).toBe(200);
    const op = await rig.opOf(line);
    const done = await rig.waitForOp(op.id, ['succeeded', 'failed', 'paused'], 180_000);
    expect(done.status, done.summary).toBe('succeeded');
    const steps = (await rig.bot.api.s.audit.query({ opId: op.id, limit: 100 })).map((e) => e.summary);
    expect(steps).toContain('batch 1 baked 3 s: still healthy');
    // Only a batch that goes on by itself bakes: the last one ends the release.
    expect(steps.filter((x) => x.includes('baked'))).toHaveLength(1);
    for (const c of CLUSTERS) expect(await running(c, 'v3', 'cache'), c).toEqual([3, 2, 1, 0]);
  });

  it('pods= on a Deployment is refused with what to do instead, and nothing is queued', async () => {
    const text = await answer('/deploy web v2 to staging pods=1,100%');
    expect(text).toMatch(/web is a Deployment/);
    expect(text).toMatch(/batches=10%,50%,100%/);
    expect(await rig.opsOf('/deploy web v2 to staging pods=1,100%')).toEqual([]);
  });

  it('batches the replicas cannot take are refused at bind time, saying what a partition can do', async () => {
    const text = await answer('/deploy db v3 to staging pods=#8,#7-0');
    expect(text).toMatch(/db on gz has 10 replicas \(ordinals #9-0\), so the first range must start at #9, not #8/);
    expect(text).toContain('nothing was changed');
  });

  it('a StatefulSet an HPA scales is refused, naming the autoscaler', async () => {
    // Pinned at the 10 replicas db has, so the HPA controller leaves it alone meanwhile.
    await adminClients('nj').autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: { metadata: { name: 'db' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, minReplicas: 10, maxReplicas: 10 } },
    });
    try {
      const text = await answer('/deploy db v4 to staging pods=1,100%');
      expect(text).toMatch(/db on nj is scaled by the HorizontalPodAutoscaler db \(10-10 replicas\)/);
      expect(text).toContain('/autoscale db in staging off');
      expect(text).toContain('nothing was changed');
    } finally {
      await adminClients('nj').autoscaling.deleteNamespacedHorizontalPodAutoscaler({ namespace: ns, name: 'db' });
    }
  });
});

/** What bob is answered: in the HTTP ack (a refusal found before anything is bound), else on the response_url. */
async function answer(line: string): Promise<string> {
  const r = await rig.slash('bob', line);
  if (r.ack.trim() !== '') return r.ack;
  return textOf((await rig.response(r.responseUrl)).body);
}

async function waitForSummary(opId: string, words: string) {
  for (let i = 0; i < 600; i++) {
    const op = await rig.bot.api.s.ops.get(opId);
    if (op?.status === 'paused' && op.summary.includes(words)) return op;
    if (op?.status === 'failed' || op?.status === 'succeeded') throw new Error(`operation ${opId} ended ${op.status}: ${op.summary}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`operation ${opId} never said "${words}"`);
}
