import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { validateConfig } from '../src/config/load.ts';
import { clientsFor } from '../src/kube/clients.ts';
import { applyRbac } from '../src/kube/rbac-apply.ts';
import { botRbac } from '../src/kube/rbac.ts';
import { decideApproval, submit } from '../src/service/requests.ts';
import { createServices, runWorker } from '../src/service/services.ts';
import { localClusters, type ClusterInfo } from './lib/clusters.ts';
import { redisUrl } from './lib/env.ts';
import { fmt, summarize, type Row } from './lib/stats.ts';

/**
 * P2: from the approval that completes a request to the bot's first Kubernetes write, read from
 * the apiserver's own audit log (requestReceivedTimestamp, microseconds), against BullMQ's own
 * add → process latency on the same Redis. The deploys run on the local control plane (gz).
 */
function gz(): ClusterInfo {
  const c = localClusters().find((x) => x.name === 'gz');
  if (c === undefined) throw new Error('the local cluster gz is not up: npm run cluster:up');
  return c;
}

/** The bot's patch of deployments/web in `ns` logged after byte `offset`, as epoch ms. */
function firstBotPatch(file: string, offset: number, ns: string): number | undefined {
  const size = statSync(file).size;
  if (size <= offset) return undefined;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(size - offset);
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  for (const line of buf.toString().split('\n')) {
    if (!line.includes(ns)) continue;
    const e = JSON.parse(line) as { verb?: string; user?: { username?: string }; objectRef?: { resource?: string; namespace?: string }; requestReceivedTimestamp?: string };
    if (e.user?.username === 'chatops-bot' && e.verb === 'patch' && e.objectRef?.resource === 'deployments' && e.objectRef.namespace === ns && e.requestReceivedTimestamp !== undefined) {
      const us = /\.(\d+)Z$/.exec(e.requestReceivedTimestamp)?.[1] ?? '0';
      return Date.parse(e.requestReceivedTimestamp.replace(/\.\d+Z$/, 'Z')) + Number(`0.${us}`) * 1000;
    }
  }
  return undefined;
}

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function bullFloor(url: string, n: number): Promise<number[]> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const name = `bench-floor-${randomBytes(3).toString('hex')}`;
  const queue = new Queue(name, { connection });
  const seen: number[] = [];
  const worker = new Worker(name, (job) => {
    seen.push(performance.timeOrigin + performance.now() - (job.data as { at: number }).at);
    return Promise.resolve();
  }, { connection, concurrency: 1 });
  await worker.waitUntilReady();
  for (let i = 0; i < n; i++) {
    await queue.add('x', { at: performance.timeOrigin + performance.now() }, { removeOnComplete: true });
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => (seen.length >= n ? true : undefined), 30_000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return seen;
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
  await admin.apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/team/web:v0' }] } } },
    },
  });
  const s = createServices(config, { redisUrl: url, prefix: `bench-p2-${randomBytes(3).toString('hex')}:` });
  const worker = runWorker(s, { rolloutTimeoutMs: 60_000, concurrency: 2 });
  const latencies: number[] = [];
  try {
    await worker.waitUntilReady();
    for (let i = 1; i <= deploys; i++) {
      const asked = await submit(s, { text: `/deploy web v${i} to bench`, actor: 'alice', deliveryId: `bench-${ns}-${i}` });
      if (asked.approvalId === undefined || asked.opId === undefined) throw new Error(`no approval: ${asked.message.title}`);
      const offset = statSync(c.auditLog).size;
      const t0 = performance.timeOrigin + performance.now();
      await decideApproval(s, asked.approvalId, 'approve', 'bob');
      const wrote = await until(() => firstBotPatch(c.auditLog, offset, ns), 30_000);
      latencies.push(wrote - t0);
      await until(async () => {
        const op = await s.ops.get(asked.opId ?? '');
        return op !== undefined && ['succeeded', 'failed'].includes(op.status) ? op : undefined;
      }, 60_000);
    }
  } finally {
    await worker.close();
    await s.close();
    await admin.core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
  const floor = await bullFloor(url, opts.floor ?? 200);
  const bot = summarize(latencies);
  const base = summarize(floor);
  return {
    rows: [
      { measure: `P2 approved → first k8s write p50 (ms, n=${bot.n})`, bot: fmt(bot.p50), baseline: `${fmt(base.p50)} (BullMQ add→process)`, ratio: `${fmt(bot.p50 / base.p50)}x`, target: '<= 3x floor', met: bot.p50 <= 3 * base.p50 },
      { measure: 'P2 approved → first k8s write p99 (ms)', bot: fmt(bot.p99), baseline: fmt(base.p99), ratio: `${fmt(bot.p99 / base.p99)}x`, target: '<= 100 ms', met: bot.p99 <= 100 },
    ],
    raw: { latencies, floor },
  };
}
