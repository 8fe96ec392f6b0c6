import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthenticationV1Api, AuthorizationV1Api, type V1SubjectRulesReviewStatus } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { clientsFor, type KubeClients } from '../../../src/kube/clients.ts';
import { KubeError, kubeCall } from '../../../src/kube/errors.ts';
import { gatewayFor } from '../../../src/kube/gateway.ts';
import { botRbac, BOT_RULES } from '../../../src/kube/rbac.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { adminClients } from '../support/cluster.ts';
import { uniqueName } from '../support/namespace.ts';
import { testRedis } from '../support/redis.ts';
import { REPO, createDeployment, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import {
  DEPLOY_DIR,
  apply,
  kubeConfigFor,
  label,
  manifestsIn,
  manifestsOf,
  minus,
  nonResourcePermissions,
  objectApi,
  permissions,
  serverOf,
  tokenKubeconfig,
  unapply,
  versions,
  type Manifest,
} from './support.ts';

/**
 * deploy/kubernetes on the local control plane. kwok runs no containers, so the bot cannot run
 * in a pod here; instead the manifests are applied as an operator would (server-side apply,
 * admin identity), and the bot runs on this machine with the token of the ServiceAccount they
 * create, on both clusters: gz as the cluster the bot lives in (a TokenRequest token, what
 * the pod would get projected) and nj as a remote cluster (the long-lived token of
 * remote/nj/). Under that identity the real gateway deploys, scales and rolls back in a
 * namespace the config names, is refused everywhere else, and the account's effective rights
 * (SelfSubjectRulesReview) are exactly the generated Roles plus what every authenticated
 * account has. Then the real `chatops serve`, `run` and `worker` processes run on the
 * ConfigMap's own config with those tokens.
 */
const SA_NAMESPACE = 'chatops';
const SA_NAME = 'chatops-bot';
const SA_USER = `system:serviceaccount:${SA_NAMESPACE}:${SA_NAME}`;
const CLI = new URL('../../../src/cli/chatops.ts', import.meta.url).pathname;
const exec = promisify(execFile);

const home = [...manifestsIn(DEPLOY_DIR), ...manifestsOf(join(DEPLOY_DIR, 'templates/secrets.example.yaml'))];
const remote = manifestsIn(join(DEPLOY_DIR, 'remote/nj'));
const configMap = home.find((m) => m.kind === 'ConfigMap') as (Manifest & { data: Record<string, string> }) | undefined;
const secretPlaceholders = (home.find((m) => m.kind === 'Secret' && m.metadata.name === 'chatops-secrets') as (Manifest & { stringData: Record<string, string> }) | undefined)?.stringData ?? {};

const { url: redisUrl, root: redisRoot } = testRedis('deploy');

interface World {
  dir: string;
  slack: FakeSlackApi;
  kubeconfig: string;
  /** The ConfigMap's config, its clusters reached with the ServiceAccount's tokens from this machine. */
  configFile: string;
  config: Config;
  bot: Record<'gz' | 'nj', KubeClients>;
  applied: Record<'gz' | 'nj', Map<string, string>>;
}
let world: World | undefined;
const w = (): World => {
  if (world === undefined) throw new Error('setup failed');
  return world;
};

/**
 * The ConfigMap's config as YAML text, with two changes only: `clusters` (the bot is not in a
 * pod here, so it reaches both clusters with the ServiceAccount's tokens in a kubeconfig) and
 * Slack's API URL (a local fake: this machine has no route to slack.com).
 */
function hostConfigText(kubeconfig: string, slackApiUrl: string): string {
  if (configMap === undefined) throw new Error('no ConfigMap in deploy/kubernetes');
  const doc = parse(configMap.data['config.yaml'] ?? '') as Record<string, unknown>;
  doc['clusters'] = { gz: { region: 'gz', kubeconfig, context: 'gz' }, nj: { region: 'nj', kubeconfig, context: 'nj' } };
  doc['slack'] = { ...(doc['slack'] as Record<string, unknown>), apiUrl: slackApiUrl };
  return stringify(doc);
}

async function namespaceGone(admin: KubeClients, name: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `namespace ${name} to be gone on ${admin.cluster}`,
    async () => {
      try {
        await admin.core.readNamespace({ name });
        return undefined;
      } catch (e) {
        if ((e as { code?: unknown }).code === 404) return true;
        throw e;
      }
    },
    timeoutMs,
    500,
  );
}

/** A namespace left Terminating by an interrupted run would refuse the apply: wait it out. */
async function noTerminatingLeftover(admin: KubeClients): Promise<void> {
  try {
    const ns = await admin.core.readNamespace({ name: SA_NAMESPACE });
    if (ns.status?.phase === 'Terminating') await namespaceGone(admin, SA_NAMESPACE, 90_000);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 404) throw e;
  }
}

async function rulesReview(c: KubeClients, namespace: string): Promise<V1SubjectRulesReviewStatus> {
  const api = c.kubeConfig.makeApiClient(AuthorizationV1Api);
  const r = await api.createSelfSubjectRulesReview({ body: { spec: { namespace } } });
  if (r.status === undefined) throw new Error('SelfSubjectRulesReview without status');
  return r.status;
}

async function requestToken(admin: KubeClients, namespace: string, name: string): Promise<string> {
  const tr = await admin.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = tr.status?.token;
  if (token === undefined || token === '') throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

beforeAll(async () => {
  const gzAdmin = adminClients('gz');
  const njAdmin = adminClients('nj');
  await Promise.all([noTerminatingLeftover(gzAdmin), noTerminatingLeftover(njAdmin)]);
  const applied = { gz: await apply(objectApi(gzAdmin), home), nj: await apply(objectApi(njAdmin), remote) };

  // gz: the token a pod of the Deployments would get projected (TokenRequest, default audience).
  const gzToken = await requestToken(gzAdmin, SA_NAMESPACE, SA_NAME);
  // nj: the long-lived token remote/nj/ asks the token controller for.
  const njToken = await waitFor(
    'the token controller to fill chatops-bot-token on nj',
    async () => {
      const s = await njAdmin.core.readNamespacedSecret({ name: 'chatops-bot-token', namespace: SA_NAMESPACE });
      const t = s.data?.['token'];
      return t === undefined ? undefined : Buffer.from(t, 'base64').toString('utf8');
    },
    30_000,
  );

  const dir = mkdtempSync(join(tmpdir(), 'chatops-deploy-'));
  const kubeconfig = tokenKubeconfig(join(dir, 'bot-kubeconfig.yaml'), [
    { cluster: 'gz', ...serverOf(gzAdmin), user: SA_NAME, token: gzToken },
    { cluster: 'nj', ...serverOf(njAdmin), user: SA_NAME, token: njToken },
  ]);
  const slack = await startFakeSlackApi({ token: secretPlaceholders['SLACK_BOT_TOKEN'] ?? '' });
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, hostConfigText(kubeconfig, slack.url));
  const loaded = validateConfig(parse(hostConfigText(kubeconfig, slack.url)), secretPlaceholders);
  if (!loaded.ok) throw new Error(`the ConfigMap's config is invalid: ${JSON.stringify(loaded.error)}`);
  world = {
    dir,
    slack,
    kubeconfig,
    configFile,
    config: loaded.value,
    bot: { gz: clientsFor('gz', 'gz', { kubeconfig, context: 'gz' }), nj: clientsFor('nj', 'nj', { kubeconfig, context: 'nj' }) },
    applied,
  };
});

afterAll(async () => {
  const gzAdmin = adminClients('gz');
  const njAdmin = adminClients('nj');
  const undone: string[] = [];
  for (const [admin, objects] of [
    [gzAdmin, home],
    [njAdmin, remote],
  ] as const) {
    const api = objectApi(admin);
    for (const o of [...objects].reverse()) undone.push(`${admin.cluster} ${label(o)}: ${await unapply(api, o)}`);
  }
  // The Roles the local clusters already had for the bot's user stay; only this test's bindings go.
  expect(undone.filter((u) => u.includes('Role ') && !u.includes('RoleBinding')).every((u) => u.endsWith('released'))).toBe(true);
  await Promise.all([namespaceGone(gzAdmin, SA_NAMESPACE, 90_000), namespaceGone(njAdmin, SA_NAMESPACE, 90_000)]);
  if (world !== undefined) {
    await world.slack.close();
    rmSync(world.dir, { recursive: true, force: true });
  }
});

describe('deploy/kubernetes applied to the local control plane', () => {
  it('applies cleanly with server-side apply, and a second apply changes nothing', async () => {
    const { applied } = w();
    expect(applied.gz.size).toBe(home.length);
    expect(applied.nj.size).toBe(remote.length);
    for (const [cluster, objects] of [
      ['gz', home],
      ['nj', remote],
    ] as const) {
      const api = objectApi(adminClients(cluster));
      // (Read just before: controllers write too, e.g. the token controller fills the token Secret.)
      const before = await versions(api, objects);
      const again = await apply(api, objects);
      // The same version for every object: nothing was written the second time.
      expect(Object.fromEntries(again), cluster).toEqual(Object.fromEntries(before));
    }
  });

  it('starts chatops-api and chatops-worker as the ServiceAccount, admitted under the restricted Pod Security profile (pods simulated by kwok)', async () => {
    const admin = adminClients('gz');
    for (const name of ['chatops-api', 'chatops-worker']) {
      await waitForRollout(admin, { namespace: SA_NAMESPACE, kind: 'Deployment', name }, 60_000);
    }
    const pods = (await admin.core.listNamespacedPod({ namespace: SA_NAMESPACE })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
    expect(pods.map((p) => p.metadata?.labels?.['app.kubernetes.io/component']).sort()).toEqual(['api', 'api', 'worker', 'worker']);
    for (const p of pods) {
      expect(p.spec?.serviceAccountName).toBe(SA_NAME);
      expect(p.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(p.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(p.spec?.containers[0]?.args).toEqual([p.metadata?.labels?.['app.kubernetes.io/component'] === 'api' ? 'serve' : 'worker']);
    }
    const endpoints = await admin.core.readNamespacedService({ name: 'chatops-api', namespace: SA_NAMESPACE });
    expect(endpoints.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 'http' });

    // The profile is really enforced there: a pod running as root is refused by admission.
    const refused = (await admin.core
      .createNamespacedPod({ namespace: SA_NAMESPACE, dryRun: 'All', body: { metadata: { name: 'rooty' }, spec: { containers: [{ name: 'c', image: 'registry.example.com/x:1' }] } } })
      .catch((e: unknown) => e)) as { code?: number; body?: unknown };
    expect(refused.code).toBe(403);
    expect(String(refused.body)).toMatch(/violates PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation != false/);
  });

  it("authenticates the ServiceAccount's tokens as system:serviceaccount:chatops:chatops-bot on both clusters", async () => {
    for (const c of ['gz', 'nj'] as const) {
      const api = w().bot[c].kubeConfig.makeApiClient(AuthenticationV1Api);
      const review = await api.createSelfSubjectReview({ body: {} });
      expect(review.status?.userInfo?.username).toBe(SA_USER);
      expect(review.status?.userInfo?.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${SA_NAMESPACE}`, 'system:authenticated']));
    }
  });
});

describe('the bot under its ServiceAccount', () => {
  it('(a) deploys, scales and rolls back through the gateway in namespaces the config names, on both clusters', async () => {
    const { config } = w();
    // web in dev lives in web-dev on gz; web in staging in web-staging on gz and nj.
    for (const [cluster, namespace] of [
      ['gz', 'web-dev'],
      ['nj', 'web-staging'],
    ] as const) {
      const admin = adminClients(cluster);
      const name = uniqueName('deploy-test');
      const ref = await createDeployment(admin, namespace, name, { replicas: 2 });
      try {
        await waitForRollout(admin, ref);
        const gw = gatewayFor(config, cluster);

        const set = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1`, changeCause: 'deploy v2 (deploy test)' });
        expect(set.changed).toBe(true);
        expect((await gw.followRollout(ref, { timeoutMs: 60_000, intervalMs: 250, minGeneration: set.generation })).outcome).toBe('complete');

        const scaled = await gw.scale({ ...ref, replicas: 3, expectedFrom: 2 });
        expect(scaled).toMatchObject({ changed: true, from: 2, to: 3 });

        const back = await gw.rollback({ ...ref, expectedRevision: 2 });
        expect(back).toMatchObject({ changed: true, from: { revision: 2 }, to: { revision: 1 } });
        expect((await gw.followRollout(ref, { timeoutMs: 60_000, intervalMs: 250, minGeneration: back.generation })).outcome).toBe('complete');

        expect(await webTemplate(admin, ref)).toMatchObject({ image: `${REPO}:v1` });
        expect(await gw.status(ref)).toMatchObject({ revision: 3, replicas: { desired: 3 } });
        expect((await gw.history(ref)).map((h) => h.revision)).toEqual([2, 3]);
        expect((await gw.diagnose(ref)).podReasons).toEqual([]);
      } finally {
        await admin.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' });
      }
    }
  });

  it("(b) is refused any write outside the config's namespaces, its own namespace included, and may not read secrets", async () => {
    const { config } = w();
    const admin = adminClients('gz');
    const outside = uniqueName('deploy-outside');
    await admin.core.createNamespace({ body: { metadata: { name: outside } } });
    try {
      const ref = await createDeployment(admin, outside, 'web', { replicas: 1 });
      const gw = gatewayFor(config, 'gz');
      const forbidden = { name: 'KubeError', kind: 'forbidden', retryable: false, status: 403 };
      await expect(gw.scale({ ...ref, replicas: 2 })).rejects.toMatchObject(forbidden);
      await expect(gw.setImage({ ...ref, image: `${REPO}:v2` })).rejects.toMatchObject(forbidden);
      // Not even its own Deployments: the bot cannot scale or change itself.
      await expect(gw.scale({ namespace: SA_NAMESPACE, kind: 'Deployment', name: 'chatops-api', replicas: 5 })).rejects.toMatchObject(forbidden);
      const bot = w().bot.gz;
      const err = await kubeCall({ cluster: 'gz', verb: 'get', resource: 'secrets', namespace: SA_NAMESPACE, name: 'chatops-secrets' }, () =>
        bot.core.readNamespacedSecret({ name: 'chatops-secrets', namespace: SA_NAMESPACE }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeError);
      expect(err).toMatchObject({ kind: 'forbidden', message: `The bot may not get secrets in namespace ${SA_NAMESPACE} on cluster gz (forbidden)` });
      // Inside a config namespace it changes workloads that exist, but creates and deletes nothing.
      await expect(
        kubeCall({ cluster: 'gz', verb: 'delete', resource: 'deployments', namespace: 'web-dev', name: 'web' }, () => bot.apps.deleteNamespacedDeployment({ name: 'web', namespace: 'web-dev', dryRun: 'All' })),
      ).rejects.toMatchObject({ kind: 'forbidden' });
    } finally {
      await admin.core.deleteNamespace({ name: outside, propagationPolicy: 'Background' });
    }
  });

  it('(c) may do exactly what the config needs (SelfSubjectRulesReview per namespace), nothing more', async () => {
    const { config, kubeconfig } = w();
    const plans = botRbac(config);
    const report: string[] = [];
    for (const cluster of ['gz', 'nj'] as const) {
      const admin = adminClients(cluster);
      const plan = plans.find((p) => p.cluster === cluster);
      if (plan === undefined) throw new Error(`no RBAC plan for ${cluster}`);
      // The baseline: another account of the same namespace with no binding of its own. What
      // it may do, every authenticated account may (ask who it is and what it may do).
      await waitFor(`the default ServiceAccount of ${SA_NAMESPACE} on ${cluster}`, async () => {
        try {
          return await admin.core.readNamespacedServiceAccount({ name: 'default', namespace: SA_NAMESPACE });
        } catch {
          return undefined;
        }
      });
      const baselineFile = tokenKubeconfig(join(w().dir, `baseline-${cluster}.yaml`), [{ cluster, ...serverOf(admin), user: 'default', token: await requestToken(admin, SA_NAMESPACE, 'default') }]);
      const baseline = clientsFor(`${cluster}-baseline`, cluster, { kubeconfig: baselineFile, context: cluster });
      const bot = clientsFor(cluster, cluster, { kubeconfig, context: cluster });
      expect(kubeConfigFor(kubeconfig, cluster).getCurrentUser()?.token).toBeDefined();

      const needed = new Map(plan.roles.map((r) => [r.metadata?.namespace ?? '', permissions(r.rules ?? [])]));
      expect([...needed.values()].every((p) => [...p].sort().join() === [...permissions(BOT_RULES)].sort().join())).toBe(true);
      const elsewhere = [SA_NAMESPACE, 'default', 'kube-system', 'kube-public'];
      for (const namespace of [...plan.namespaces, ...elsewhere]) {
        const [mine, base] = await Promise.all([rulesReview(bot, namespace), rulesReview(baseline, namespace)]);
        expect(mine.incomplete, `${cluster}/${namespace}: ${mine.evaluationError ?? ''}`).toBe(false);
        expect(base.incomplete).toBe(false);
        const have = permissions(mine.resourceRules);
        const every = permissions(base.resourceRules);
        const want = needed.get(namespace) ?? new Set<string>();
        // What it has beyond every account's baseline is exactly what the config needs here…
        expect(minus(have, every), `${cluster}/${namespace}`).toEqual([...want].sort());
        // …it keeps the baseline, and outside resources (URLs) it has nothing extra.
        expect(minus(every, have)).toEqual([]);
        expect([...nonResourcePermissions(mine.nonResourceRules)].sort()).toEqual([...nonResourcePermissions(base.nonResourceRules)].sort());
        if (namespace === plan.namespaces[0] || namespace === SA_NAMESPACE) report.push(`${cluster}/${namespace}: ${minus(have, every).length} beyond a baseline of ${every.size}: ${[...every].sort().join(' ')}`);
      }
      // Nothing cluster-wide, either: cluster-scoped objects it may not even read.
      await expect(kubeCall({ cluster, verb: 'list', resource: 'namespaces' }, () => bot.core.listNamespace())).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(kubeCall({ cluster, verb: 'list', resource: 'nodes' }, () => bot.core.listNode())).rejects.toMatchObject({ kind: 'forbidden' });
    }
    process.stderr.write(`[deploy] SelfSubjectRulesReview as ${SA_USER}:\n  ${report.join('\n  ')}\n`);
  });
});

describe('the real processes, on the ConfigMap config with the ServiceAccount tokens', () => {
  /** The pod's environment: the Secret template's placeholders, with this test's Redis. */
  const env = (): Record<string, string> => ({
    PATH: process.env['PATH'] ?? '',
    ...secretPlaceholders,
    REDIS_URL: redisUrl,
    CHATOPS_REDIS_PREFIX: redisRoot,
    CHATOPS_CONFIG: w().configFile,
    LOG_LEVEL: 'info',
  });

  function start(args: string[]): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, log: () => log, exited };
  }

  async function chatops(...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const r = await exec(process.execPath, [CLI, ...args], { env: env() });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout + x.stderr };
    }
  }

  it('chatops serve answers the probes and stops on SIGTERM; chatops run reads both clusters; chatops worker runs a job', async () => {
    const api = start(['serve', '--host', '127.0.0.1', '--port', '0']);
    const worker = start(['worker']);
    try {
      const url = await waitFor('chatops serve to listen', () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(api.log())?.[1], 30_000);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/readyz`)).text()).toBe('ready\n');
      // Slack was started with the Secret's token (against the fake).
      expect(w().slack.calls.map((c) => c.method)).toContain('auth.test');
      await waitFor('the worker to start', () => (worker.log().includes('worker running') ? true : undefined), 30_000);

      // Production mode: the CLI acts as the operator (alice). A query reads both clusters.
      const status = await chatops('run', '/status web in staging');
      expect(status.code, status.out).toBe(0);
      expect(status.out).toMatch(/web@gz registry\.example\.com\/web:\S+: \d+\/\d+ available/);
      expect(status.out).toMatch(/web@nj registry\.example\.com\/web:\S+: \d+\/\d+ available/);
      expect(status.out).not.toMatch(/forbidden|may not/i);

      // A job through the worker process: scale the sample `worker` in dev to the count it has
      // (the sample is shared with other tests, so it is read and written back unchanged).
      const sample = await adminClients('gz').apps.readNamespacedDeployment({ name: 'worker', namespace: 'worker-dev' });
      const replicas = sample.spec?.replicas ?? 1;
      const job = await chatops('run', '--wait', `/scale worker ${replicas} in dev`);
      expect(job.out).toContain(`gz worker scale: ${replicas} → ${replicas} replicas`);
      expect(job.out).toContain('succeeded: scale finished on 1 of 1 workload(s)');
      expect(job.code, job.out).toBe(0);
      expect(worker.log()).toMatch(/done op-/);
    } finally {
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
    }
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    expect(api.log()).toContain('"msg":"stopped"');
    expect(worker.log()).toContain('stopping: finishing the current steps');
  });
});
