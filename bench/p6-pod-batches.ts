import { randomBytes } from 'node:crypto';
import { AppsV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1StatefulSet } from '@kubernetes/client-node';
import { validateConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { reuseConnections } from '../src/kube/connections.ts';
import { applyRbac } from '../src/kube/rbac-apply.ts';
import { rbacForNamespaces } from '../src/kube/rbac.ts';
import { submit } from '../src/service/requests.ts';
import { createServices, runWorker } from '../src/service/services.ts';
import { localClusters, type ClusterInfo } from './lib/clusters.ts';
import { redisUrl } from './lib/env.ts';
import { FLEET_LABEL, addNodes, admin, deleteNodes, until } from './lib/fleet.ts';
import { fmt, type Row } from './lib/stats.ts';

/**
 * P6: a gray release inside a StatefulSet. On each of the two local clusters a StatefulSet of
 * P6_REPLICAS (100) replicas on kwok nodes of its own, released in 5 batches
 * (`/deploy db <tag> to bench pods=20%,40%,60%,80%,100% gate=auto`) through the bot's request
 * path (submit → the real BullMQ worker → the ledger, one partition step per batch and cluster,
 * the gate on the batch's pods), timed from the request to the operation's end, against a raw
 * @kubernetes/client-node loop doing the same partition steps and waits on both clusters at once:
 * a strategic-merge patch of the image with partition 80, a watch of the StatefulSet until the
 * controller reports the pods at and above the partition updated and every pod Ready, then the
 * next partition (60, 40, 20, 0), with the bot's own credentials and connections kept open as the
 * bot keeps them (src/kube/connections.ts). The StatefulSet moves one pod at a time in both
 * (the default maxUnavailable of 1), so most of the time is the controller's and kwok's.
 *
 * Order: raw, then (bot, raw) P6_ROUNDS times; the bot's mean against the mean of every raw run,
 * so drift over the run favours neither. Each run moves to a new tag from a settled state.
 * Settings: P6_REPLICAS (100), P6_ROUNDS (1). The clusters: the benchmarks' pair (lib/clusters.ts).
 */
const REPO = 'registry.example.com/bench/p6';
const NAMESPACE = 'p6-bench';
const PARTS = [20, 40, 60, 80, 100];

function envInt(name: string, fallback: number, min: number, max: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

function configFor(clusters: readonly ClusterInfo[]): Config {
  const doc = {
    mode: 'local',
    people: { bob: {} },
    groups: { sre: ['bob'] },
    clusters: Object.fromEntries(clusters.map((c) => [c.name, { region: c.region, kubeconfig: c.kubeconfig, context: c.botContext }])),
    environments: { bench: { clusters: clusters.map((c) => c.name), namespace: NAMESPACE, registries: ['registry.example.com'] } },
    apps: { db: { image: REPO, workload: { kind: 'StatefulSet', name: 'db' } } },
    access: [{ name: 'sre', who: ['group:sre'], verbs: ['deploy'], envs: ['bench'] }],
    kubernetes: { identity: { kind: 'User', name: 'chatops-bot' } },
  };
  const v = validateConfig(doc, {});
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  return v.value;
}

function statefulSet(id: string, replicas: number): V1StatefulSet {
  const labels = { app: 'db', [FLEET_LABEL]: id };
  return {
    metadata: { name: 'db', labels },
    spec: {
      replicas,
      serviceName: 'db',
      podManagementPolicy: 'Parallel',
      // A partition block from the start, so neither side has a strategy to put back at the end.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'app', image: `${REPO}:v1` }],
          nodeSelector: { [FLEET_LABEL]: id },
          tolerations: [{ key: FLEET_LABEL, operator: 'Equal', value: id, effect: 'NoSchedule' }],
        },
      },
    },
  };
}

/** Every pod at and above `partition` updated and every pod Ready, once the controller saw `generation`. */
function batchDone(s: V1StatefulSet, generation: number, partition: number): boolean {
  const want = s.spec?.replicas ?? 0;
  const st = s.status;
  return (st?.observedGeneration ?? 0) >= generation && (st?.updatedReplicas ?? 0) >= want - partition && (st?.readyReplicas ?? 0) === want && (st?.replicas ?? 0) === want;
}

function settledOn(s: V1StatefulSet, image: string): boolean {
  const st = s.status;
  const want = s.spec?.replicas ?? 0;
  return s.spec?.template.spec?.containers[0]?.image === image && st?.currentRevision === st?.updateRevision && (st?.updatedReplicas ?? 0) === want && (st?.readyReplicas ?? 0) === want && (st?.replicas ?? 0) === want;
}

interface Raw {
  readonly apps: AppsV1Api;
  readonly watch: Watch;
}

function rawClients(clusters: readonly ClusterInfo[]): Raw[] {
  return clusters.map((c) => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    kc.setCurrentContext(c.botContext);
    const shared = reuseConnections(kc);
    return { apps: shared.makeApiClient(AppsV1Api), watch: new Watch(shared) };
  });
}

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** Watches the StatefulSet from `rv` until `done` holds for it; a watch that ends early is made again after a GET. */
async function watchUntil(r: Raw, rv: string, done: (s: V1StatefulSet) => boolean): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      let conn: AbortController | undefined;
      let over = false;
      const end = (v: boolean) => {
        if (over) return;
        over = true;
        conn?.abort();
        resolve(v);
      };
      void r.watch
        .watch(`/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets`, { fieldSelector: 'metadata.name=db', resourceVersion: rv, allowWatchBookmarks: false }, (type: string, obj: V1StatefulSet) => {
          if ((type === 'ADDED' || type === 'MODIFIED') && done(obj)) end(true);
        }, () => end(false))
        .then((c) => {
          conn = c;
          if (over) c.abort();
        });
    });
    if (ok) return;
    const now = await r.apps.readNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db' });
    if (done(now)) return;
    rv = now.metadata?.resourceVersion ?? '';
  }
}

/** The raw loop on one cluster: image with the first partition, then each lower partition, waiting after each. */
async function rawRelease(r: Raw, image: string, replicas: number): Promise<void> {
  for (const [i, share] of PARTS.entries()) {
    const partition = replicas - Math.ceil((share * replicas) / 100);
    const spec = i === 0 ? { template: { spec: { containers: [{ name: 'app', image }] } }, updateStrategy: { rollingUpdate: { partition } } } : { updateStrategy: { rollingUpdate: { partition } } };
    const patched = await r.apps.patchNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db', body: { spec } }, strategic);
    await watchUntil(r, patched.metadata?.resourceVersion ?? '', (s) => batchDone(s, patched.metadata?.generation ?? 0, partition));
  }
}

export async function p6(): Promise<{ rows: Row[]; raw: unknown }> {
  const replicas = envInt('P6_REPLICAS', 100, 5, 500);
  const rounds = envInt('P6_ROUNDS', 1, 1, 10);
  const clusters = localClusters().slice(0, 2);
  const config = configFor(clusters);
  const id = `p6-${randomBytes(3).toString('hex')}`;
  const nodes = new Map<string, string[]>();
  const raws = rawClients(clusters);
  const prefix = `bench-p6-${randomBytes(4).toString('hex')}:`;
  const s = createServices(config, { redisUrl: redisUrl(), prefix });
  const worker = runWorker(s);
  let tag = 1;
  const settle = (image: string) =>
    Promise.all(clusters.map((c) => until(`db on ${c.name} to settle on ${image}`, async () => (settledOn(await admin(c).apps.readNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db' }), image) ? true : undefined), 600_000, 250)));
  const bot: number[] = [];
  const raw: number[] = [];
  try {
    for (const c of clusters) {
      nodes.set(c.name, await addNodes(c, id, replicas));
      await applyRbac(admin(c), rbacForNamespaces(c.name, [NAMESPACE], config.kubernetes.identity), { createNamespaces: true });
      await admin(c).apps.deleteNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db' }).catch(() => undefined);
      await until(`an old db on ${c.name} to go`, async () => (await admin(c).apps.readNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db' }).then(() => undefined, () => true)), 120_000, 250);
      await admin(c).apps.createNamespacedStatefulSet({ namespace: NAMESPACE, body: statefulSet(id, replicas) });
    }
    await settle(`${REPO}:v1`);
    const rawRun = async () => {
      const image = `${REPO}:v${++tag}`;
      const t0 = performance.now();
      await Promise.all(raws.map((r) => rawRelease(r, image, replicas)));
      raw.push(performance.now() - t0);
      await settle(image);
    };
    const botRun = async () => {
      const image = `${REPO}:v${++tag}`;
      const t0 = performance.now();
      const asked = await submit(s, { text: `/deploy db v${tag} to bench pods=${PARTS.map((p) => `${p}%`).join(',')} gate=auto`, actor: 'bob', deliveryId: `bench-p6-${randomBytes(6).toString('hex')}` });
      const opId = asked.opId;
      if (opId === undefined) throw new Error(`P6: the release was not queued: ${asked.message.title} ${asked.message.text ?? ''}`);
      const op = await until(`P6 release ${opId}`, async () => {
        const o = await s.ops.get(opId);
        return o !== undefined && ['succeeded', 'failed', 'paused', 'cancelled', 'blocked'].includes(o.status) ? o : undefined;
      }, 1_200_000, 20);
      if (op.status !== 'succeeded') throw new Error(`P6: the release ended ${op.status}: ${op.summary}`);
      bot.push(performance.now() - t0);
      await settle(image);
    };
    await rawRun();
    for (let i = 0; i < rounds; i++) {
      await botRun();
      await rawRun();
    }
  } finally {
    await worker.close();
    await s.close();
    for (const c of clusters) {
      await admin(c).apps.deleteNamespacedStatefulSet({ namespace: NAMESPACE, name: 'db' }).catch(() => undefined);
      await deleteNodes(c, nodes.get(c.name) ?? []);
    }
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const ratio = mean(bot) / mean(raw);
  const secs = (xs: readonly number[]) => xs.map((x) => fmt(x / 1000)).join(' / ');
  return {
    rows: [
      {
        measure: `P6 ${replicas}-replica StatefulSet on each of 2 clusters, pods=20%,…,100% gate=auto: request → done (s)`,
        bot: `${fmt(mean(bot) / 1000)} (runs ${secs(bot)})`,
        baseline: `${fmt(mean(raw) / 1000)} (raw client-node loop, same partition steps and waits; runs ${secs(raw)})`,
        ratio: `${fmt(ratio, 2)}x`,
        target: '≤ 1.2x raw',
        met: ratio <= 1.2,
      },
    ],
    raw: { replicas, rounds, botMs: bot, rawMs: raw },
  };
}
