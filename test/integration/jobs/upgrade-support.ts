import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import { onTestFinished } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createLedger, type LedgerSnapshot } from '../../../src/jobs/ledger.ts';
import type { OpRecord, OpStatus } from '../../../src/jobs/operations.ts';
import { loopbackOnly } from '../../../src/jobs/probe.ts';
import { startWorker } from '../../../src/jobs/worker.ts';
import { createServices, workerDeps, type Services } from '../../../src/service/services.ts';
import { botWrites, type AuditMark } from '../support/audit.ts';
import { BOT_USER, adminClients, cluster } from '../support/cluster.ts';
import { testNamespace, type TestNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * A fleet for batch upgrades: `apps` apps (a00, a01, …), each a Deployment of one replica on
 * every cluster, all running images of one repository (REPO, as a shared base image), in one
 * namespace; a bot config in which sre (bob, carol, erin) may upgrade outright and devs (alice,
 * dave) need one approval from sre; optionally an HTTP probe per app served by a local server.
 */
export const CLUSTERS = ['gz', 'nj'] as const;

export function appNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `a${String(i).padStart(2, '0')}`);
}

/** The config as a plain document (a child worker process gets it as a file). */
export function upgradeConfigDoc(namespace: string, apps: readonly string[], probeBase?: string): Record<string, unknown> {
  return {
    mode: 'local',
    people: { alice: {}, bob: {}, carol: {}, dave: {}, erin: {} },
    groups: { devs: ['alice', 'dave'], sre: ['bob', 'carol', 'erin'] },
    clusters: Object.fromEntries(CLUSTERS.map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }])),
    environments: { test: { clusters: [...CLUSTERS], namespace, registries: ['registry.example.com'] } },
    apps: Object.fromEntries(
      apps.map((a) => [
        a,
        {
          image: REPO,
          maxReplicas: 10,
          ...(probeBase === undefined ? {} : { probe: { url: `${probeBase}/{region}/{app}/healthz`, expectStatus: 200, bodyMustNotContain: 'ERROR', timeout: '2s' } }),
        },
      ]),
    ),
    access: [
      { name: 'sre', who: ['group:sre'], verbs: ['deploy', 'rollback', 'scale', 'restart', 'upgrade'], envs: ['test'] },
      { name: 'devs', who: ['group:devs'], verbs: ['deploy', 'upgrade'], envs: ['test'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
    ],
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
}

export function upgradeConfig(namespace: string, apps: readonly string[], probeBase?: string): Config {
  const r = validateConfig(upgradeConfigDoc(namespace, apps, probeBase), {});
  if (!r.ok) throw new Error(`upgrade test config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** The namespace and its Deployments (one replica, tag v1), rolled out on both clusters; deleted after the test (or the file). */
export async function fleet(apps: readonly string[], prefix = 'upg', scope: 'file' | 'test' = 'test'): Promise<TestNamespace> {
  const ns = await testNamespace({ clusters: [...CLUSTERS], prefix, scope });
  await Promise.all(
    CLUSTERS.flatMap((c) =>
      apps.map(async (a) => {
        const r = await createDeployment(adminClients(c), ns.name, a, { replicas: 1, tag: 'v1' });
        await waitForRollout(adminClients(c), r);
      }),
    ),
  );
  return ns;
}

/** A status page per region: `set('nj', 200, 'ERROR: db down')`; everything else answers 200 "ok". */
export interface ProbeServer {
  readonly base: string;
  readonly hits: Map<string, number>;
  set(region: string, status: number, body: string): void;
}

export async function probeServer(): Promise<ProbeServer> {
  const answers = new Map<string, { status: number; body: string }>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const region = (req.url ?? '/').split('/')[1] ?? '';
    hits.set(region, (hits.get(region) ?? 0) + 1);
    const a = answers.get(region) ?? { status: 200, body: 'ok' };
    res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, hits, set: (region, status, body) => answers.set(region, { status, body }) };
}

export interface UpgradeHarness {
  readonly s: Services;
  readonly worker: Worker | undefined;
}

/** Services on a unique Redis prefix, with an in-process worker (probes may reach loopback only) unless told not to. */
export function upgradeHarness(config: Config, options: { worker?: boolean; prefix?: string } = {}): UpgradeHarness {
  const url = process.env['REDIS_URL'];
  if (url === undefined) throw new Error('REDIS_URL is not set: run the tests with npm test, which starts Redis');
  const s = createServices(config, { redisUrl: url, prefix: options.prefix ?? `t-${randomBytes(4).toString('hex')}:` });
  const worker = options.worker === false ? undefined : startWorker({ ...workerDeps(s, { rolloutTimeoutMs: 60_000, lockDurationMs: 5_000, concurrency: 4 }), fetch: loopbackOnly() });
  onTestFinished(async () => {
    await worker?.close();
    await s.close();
  });
  return { s, worker };
}

export function waitForStatus(s: Services, opId: string, statuses: readonly OpStatus[], timeoutMs = 90_000): Promise<OpRecord> {
  return waitFor(
    `operation ${opId} to be ${statuses.join(' or ')}`,
    async () => {
      const op = await s.ops.get(opId);
      return op !== undefined && statuses.includes(op.status) ? op : undefined;
    },
    timeoutMs,
    200,
  );
}

export async function ledgerOf(s: Services, opId: string): Promise<LedgerSnapshot> {
  const snap = await createLedger(s.redis, s.prefix).read(opId);
  if (snap === undefined) throw new Error(`no ledger for ${opId}`);
  return snap;
}

/** The web container's image of every app on a cluster, read by the admin. */
export async function images(ns: string, apps: readonly string[], c: string): Promise<string[]> {
  return Promise.all(apps.map(async (a) => (await webTemplate(adminClients(c), ref(ns, 'Deployment', a))).image ?? '?'));
}

export function marks(m: (c: string) => AuditMark): Record<string, AuditMark> {
  return Object.fromEntries(CLUSTERS.map((c) => [c, m(c)]));
}

/** The bot's accepted writes to each Deployment (not its scale or other objects), by "cluster/name". */
export async function deploymentWrites(m: Record<string, AuditMark>, namespace: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const c of CLUSTERS) {
    const writes = await botWrites(m[c] as AuditMark, { namespace, successfulOnly: true });
    for (const w of writes) if (w.resource === 'deployments' && w.subresource === undefined) out.set(`${c}/${w.name ?? '?'}`, (out.get(`${c}/${w.name ?? '?'}`) ?? 0) + 1);
  }
  return out;
}

/** Every workload of the fleet with the same expected count. */
export function each(apps: readonly string[], count: number, clusters: readonly string[] = CLUSTERS): Map<string, number> {
  return new Map(clusters.flatMap((c) => apps.map((a) => [`${c}/${a}`, count] as const)));
}

export function delivery(): string {
  return `test-delivery-${randomBytes(6).toString('hex')}`;
}

/** The partitions (and image) the bot's accepted writes set on one StatefulSet, in order. */
export async function partitionWrites(m: AuditMark, namespace: string): Promise<string[]> {
  const out: string[] = [];
  for (const w of await botWrites(m, { namespace, successfulOnly: true })) {
    if (w.resource !== 'statefulsets' || w.subresource !== undefined) continue;
    const spec = (w.requestObject as { spec?: { updateStrategy?: { rollingUpdate?: { partition?: number } }; template?: unknown } } | undefined)?.spec;
    const p = spec?.updateStrategy?.rollingUpdate?.partition;
    const removed = (spec?.updateStrategy as { rollingUpdate?: unknown } | undefined)?.rollingUpdate === null;
    out.push(removed ? 'restore' : `${spec?.template === undefined ? '' : 'image+'}${p ?? '?'}`);
  }
  return out;
}
