import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { validateConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { clientsFor, type KubeClients } from '../src/kube/clients.ts';
import { reuseConnections } from '../src/kube/connections.ts';
import { applyRbac } from '../src/kube/rbac-apply.ts';
import { botRbac } from '../src/kube/rbac.ts';
import { decideApproval, submit } from '../src/service/requests.ts';
import { createServices, runWorker } from '../src/service/services.ts';
import { localClusters, type ClusterInfo } from './lib/clusters.ts';
import { redisUrl } from './lib/env.ts';
import { epochMs } from './lib/audit-writes.ts';
import { rolledOut } from './lib/fleet.ts';
import { fmt, summarize, type Row } from './lib/stats.ts';

/**
 * P2: from the approval that completes a request to the bot's first Kubernetes write, read from
 * the apiserver's own audit log (requestReceivedTimestamp, microseconds), against two floors on
 * the same Redis and apiserver:
 *   - BullMQ alone: add → the worker's handler called (what the queue itself costs);
 *   - the honest floor: a raw loop that any executor of a queued deploy must at least do, BullMQ
 *     add → process → one GET of the Deployment and one conditional PATCH of its image (the
 *     resourceVersion read, as the bot's write), as the bot's user, timed the same way as the
 *     bot: from just before the add to the apiserver's receipt of the PATCH.
 * Each deploy (and each floor round) waits for the rollout to finish before the next, so both
 * find the Deployment settled. The deploys run on gz of the benchmarks' cluster pair.
 *
 * The Redis persistence costs are measured here too: the same bot run and honest floor on a
 * second Redis with `appendfsync always` (an fsync before every reply) beside the project's
 * recommended `everysec` (scripts/services/redis.sh, docs/operations.md).
 */
function gz(): ClusterInfo {
  const c = localClusters().find((x) => x.name === 'gz');
  if (c === undefined) throw new Error('the local cluster gz is not up: npm run cluster:up');
  return c;
}

/** The bot's first accepted patch of deployments/<name> in `ns` logged after byte `offset`, as epoch ms. */
function firstPatch(file: string, offset: number, ns: string, name: string): number | undefined {
  const size = statSync(file).size;
  if (size <= offset) return undefined;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(size - offset);
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  for (const line of buf.toString().split('\n')) {
    if (!line.includes(ns)) continue;
    let e: { verb?: string; user?: { username?: string }; objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string }; requestReceivedTimestamp?: string; responseStatus?: { code?: number } };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue; // a line still being written
    }
    const r = e.objectRef;
    if (e.user?.username !== 'chatops-bot' || e.verb !== 'patch' || r?.resource !== 'deployments' || r.subresource !== undefined || r.namespace !== ns || r.name !== name) continue;
    if ((e.responseStatus?.code ?? 0) >= 400 || e.requestReceivedTimestamp === undefined) continue;
    return epochMs(e.requestReceivedTimestamp);
  }
  return undefined;
}

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 2): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const nowMs = () => performance.timeOrigin + performance.now();

async function bullFloor(url: string, n: number): Promise<number[]> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const name = `bench-floor-${randomBytes(3).toString('hex')}`;
  const queue = new Queue(name, { connection });
  const seen: number[] = [];
  const worker = new Worker(name, (job) => {
    seen.push(nowMs() - (job.data as { at: number }).at);
    return Promise.resolve();
  }, { connection, concurrency: 1 });
  await worker.waitUntilReady();
  for (let i = 0; i < n; i++) {
    await queue.add('x', { at: nowMs() }, { removeOnComplete: true });
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => (seen.length >= n ? true : undefined), 30_000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return seen;
}

function deploymentBody(name: string, tag: string) {
  return {
    metadata: { name, labels: { app: name } },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: `registry.example.com/team/web:${tag}` }] } } },
  };
}

async function settledAt(admin: KubeClients, ns: string, name: string, minGeneration: number): Promise<void> {
  await until(async () => (rolledOut(await admin.apps.readNamespacedDeployment({ name, namespace: ns }), minGeneration) ? true : undefined), 60_000, 50);
}

/** The honest floor: add → process → GET + conditional PATCH, as the bot's user, timed to the apiserver's receipt of the PATCH. */
async function honestFloor(url: string, c: ClusterInfo, admin: KubeClients, ns: string, n: number): Promise<number[]> {
  const name = 'floor';
  await admin.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody(name, 'v0') });
  await settledAt(admin, ns, name, 1);
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  kc.setCurrentContext(c.botContext);
  const apps = reuseConnections(kc).makeApiClient(AppsV1Api);
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const qname = `bench-honest-${randomBytes(3).toString('hex')}`;
  const queue = new Queue(qname, { connection });
  const generations = new Map<number, number>();
  const worker = new Worker(qname, async (job) => {
    const { tag, i } = job.data as { tag: string; i: number };
    // As any executor of a conditional write must: a 409 (a controller wrote the status in
    // between) is read and written again, as the bot's gateway does.
    for (let attempt = 1; ; attempt++) {
      const d = await apps.readNamespacedDeployment({ name, namespace: ns });
      try {
        const patched = await apps.patchNamespacedDeployment({ name, namespace: ns, body: { metadata: { resourceVersion: d.metadata?.resourceVersion }, spec: { template: { spec: { containers: [{ name: 'web', image: `registry.example.com/team/web:${tag}` }] } } } } }, strategic);
        generations.set(i, patched.metadata?.generation ?? 0);
        return;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 409 || attempt >= 5) throw e;
      }
    }
  }, { connection, concurrency: 2 });
  // A write the floor could not make would otherwise only show as a wait that times out.
  const failures: string[] = [];
  worker.on('failed', (job, e) => failures.push(`floor round ${String((job?.data as { i?: number } | undefined)?.i)}: ${e.message}`));
  await worker.waitUntilReady();
  const out: number[] = [];
  try {
    // One round to warm the connections, not counted.
    for (let i = 0; i <= n; i++) {
      const offset = statSync(c.auditLog).size;
      const t0 = nowMs();
      await queue.add('deploy', { tag: `f${i}`, i }, { removeOnComplete: true });
      const wrote = await until(() => {
        if (failures.length > 0) throw new Error(failures.join('; '));
        return firstPatch(c.auditLog, offset, ns, name);
      }, 30_000);
      if (i > 0) out.push(wrote - t0);
      const generation = await until(() => generations.get(i), 30_000);
      await settledAt(admin, ns, name, generation);
    }
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
  return out;
}

/** The bot: /deploy asked by alice, approved by bob; from the approval to the apiserver's receipt of the bot's patch. */
async function botRun(url: string, c: ClusterInfo, config: Config, ns: string, n: number): Promise<number[]> {
  const s = createServices(config, { redisUrl: url, prefix: `bench-p2-${randomBytes(3).toString('hex')}:` });
  const worker = runWorker(s, { rolloutTimeoutMs: 60_000, concurrency: 2 });
  const latencies: number[] = [];
  const tag = randomBytes(2).toString('hex');
  try {
    await worker.waitUntilReady();
    for (let i = 0; i <= n; i++) {
      const asked = await submit(s, { text: `/deploy web v${tag}.${i} to bench`, actor: 'alice', deliveryId: `bench-${ns}-${tag}-${i}` });
      if (asked.approvalId === undefined || asked.opId === undefined) throw new Error(`no approval: ${asked.message.title}`);
      const offset = statSync(c.auditLog).size;
      const t0 = nowMs();
      await decideApproval(s, asked.approvalId, 'approve', 'bob');
      const wrote = await until(() => firstPatch(c.auditLog, offset, ns, 'web'), 30_000);
      // The first round warms the worker's connections and the Kubernetes client: not counted.
      if (i > 0) latencies.push(wrote - t0);
      await until(async () => {
        const op = await s.ops.get(asked.opId ?? '');
        return op !== undefined && ['succeeded', 'failed'].includes(op.status) ? op : undefined;
      }, 60_000, 20);
    }
  } finally {
    await worker.close();
    await s.close();
  }
  return latencies;
}

/** A second Redis beside the bench one, with appendfsync always, for the persistence cost. */
function alwaysRedis(): { url: string; stop(): void } {
  const dir = '.data/bench-redis-always';
  const env = { ...process.env, REDIS_APPENDFSYNC: 'always' };
  const url = execFileSync('bash', ['scripts/services/redis.sh', 'start', dir], { encoding: 'utf8', env }).trim();
  return { url, stop: () => execFileSync('bash', ['scripts/services/redis.sh', 'stop', dir], { env }) };
}

export async function p2(opts: { deploys?: number; floor?: number } = {}): Promise<{ rows: Row[]; raw: unknown }> {
  const deploys = opts.deploys ?? 20;
  const url = redisUrl();
  const c = gz();
  const ns = `bench-p2-${randomBytes(3).toString('hex')}`;
  const doc = {
    mode: 'local',
    people: { alice: {}, bob: {} },
    groups: { devs: ['alice'], sre: ['bob'] },
    clusters: { gz: { region: c.region, kubeconfig: c.kubeconfig, context: c.botContext } },
    environments: { bench: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'] } },
    apps: { web: { image: 'registry.example.com/team/web', container: 'web' } },
    access: [{ who: ['group:devs'], verbs: ['deploy'], envs: ['bench'], approval: { count: 1, from: ['group:sre'] } }],
    kubernetes: { identity: { kind: 'User', name: 'chatops-bot' } },
  };
  const v = validateConfig(doc, {});
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  const config = v.value;
  const admin = clientsFor('gz', c.region, { kubeconfig: c.kubeconfig, context: c.adminContext });
  for (const plan of botRbac(config)) await applyRbac(admin, plan, { createNamespaces: true });
  await admin.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody('web', 'v0') });
  await settledAt(admin, ns, 'web', 1);
  const always = alwaysRedis();
  let bot: number[], botAlways: number[], honest: number[], honestAlways: number[], bull: number[];
  try {
    bot = await botRun(url, c, config, ns, deploys);
    honest = await honestFloor(url, c, admin, ns, deploys);
    botAlways = await botRun(always.url, c, config, ns, deploys);
    await admin.apps.deleteNamespacedDeployment({ name: 'floor', namespace: ns });
    await until(async () => ((await admin.apps.listNamespacedDeployment({ namespace: ns })).items.some((d) => d.metadata?.name === 'floor') ? undefined : true), 30_000, 100);
    honestAlways = await honestFloor(always.url, c, admin, ns, deploys);
    bull = await bullFloor(url, opts.floor ?? 200);
  } finally {
    always.stop();
    await admin.core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
  const b = summarize(bot);
  const h = summarize(honest);
  const q = summarize(bull);
  const ba = summarize(botAlways);
  const ha = summarize(honestAlways);
  return {
    rows: [
      { measure: `P2 approved → first k8s write p50 (ms, n=${b.n})`, bot: fmt(b.p50), baseline: `${fmt(h.p50)} (honest floor: BullMQ add→process + GET + PATCH)`, ratio: `${fmt(b.p50 / h.p50)}x`, target: '<= 1.5x honest floor', met: b.p50 <= 1.5 * h.p50 },
      { measure: 'P2 approved → first k8s write p50 vs BullMQ alone (ms)', bot: fmt(b.p50), baseline: `${fmt(q.p50)} (BullMQ add→process, n=${q.n})`, ratio: `${fmt(b.p50 / q.p50)}x`, target: '—', met: undefined },
      { measure: 'P2 approved → first k8s write p99 (ms)', bot: fmt(b.p99), baseline: `${fmt(h.p99)} (honest floor) / ${fmt(q.p99)} (BullMQ alone)`, ratio: `${fmt(b.p99 / h.p99)}x honest`, target: '<= 100 ms', met: b.p99 <= 100 },
      {
        measure: 'P2 p50 with Redis appendfsync always vs everysec (ms)',
        bot: `${fmt(ba.p50)} (bot) / ${fmt(ha.p50)} (honest floor)`,
        baseline: `${fmt(b.p50)} / ${fmt(h.p50)} (everysec)`,
        ratio: `${fmt(ba.p50 / b.p50, 2)}x bot / ${fmt(ha.p50 / h.p50, 2)}x floor`,
        target: '—',
        met: undefined,
      },
    ],
    raw: { bot, honest, bull, botAlways, honestAlways },
  };
}
