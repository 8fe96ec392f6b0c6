import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Message } from '../../../src/core/message.ts';
import type { KubeClients } from '../../../src/kube/clients.ts';
import { kubeCall } from '../../../src/kube/errors.ts';
import type { WorkloadRef } from '../../../src/kube/workload.ts';
import { startBot, type Bot } from '../chat/support.ts';
import { botEntries, consoleClient, requestId } from '../console/support.ts';
import { BOT_USER, cluster } from '../support/cluster.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * The scaling tests' world: env `staging` on both local clusters (gz, nj) in the test's
 * namespace, each cluster with its own Prometheus (clusters.json). alice (dev) needs one
 * approval from sre (bob) to scale or autoscale there; bob needs none.
 */
export const USAGE_CPU = 'kwok.x-k8s.io/usage-cpu';

export function scalingConfig(namespace: string): Config {
  const clusterEntry = (name: string) => {
    const c = cluster(name);
    if (c.prometheus === undefined) throw new Error(`clusters.json has no prometheus for ${name}: run scripts/cluster/up.sh from this branch`);
    return { region: c.region, kubeconfig: c.kubeconfig, context: c.botContext, prometheus: { url: c.prometheus } };
  };
  const doc = {
    mode: 'local',
    people: { alice: { email: 'alice@example.com' }, bob: { email: 'bob@example.com' } },
    groups: { devs: ['alice'], sre: ['bob'] },
    clusters: { gz: clusterEntry('gz'), nj: clusterEntry('nj') },
    environments: { staging: { clusters: ['gz', 'nj'], namespace, registries: ['registry.example.com'] } },
    apps: { web: { image: 'registry.example.com/team/web', container: 'web', maxReplicas: 20 } },
    access: [
      { name: 'devs-staging', who: ['group:devs'], verbs: ['scale', 'autoscale'], envs: ['staging'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
      { name: 'sre-staging', who: ['group:sre'], verbs: ['scale', 'autoscale'], envs: ['staging'] },
      { name: 'reads', who: ['*'], verbs: ['status'], envs: ['*'] },
    ],
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
  const r = validateConfig(doc, {});
  if (!r.ok) throw new Error(`scaling test config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

type DeploymentBody = Parameters<KubeClients['apps']['createNamespacedDeployment']>[0]['body'];

/** A Deployment `web` of one container requesting 500m CPU; `usageCpu` sets kwok's simulated use of every pod. */
export async function createWeb(admin: KubeClients, namespace: string, replicas: number, usageCpu?: string): Promise<WorkloadRef> {
  const body: DeploymentBody = {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, ...(usageCpu === undefined ? {} : { annotations: { [USAGE_CPU]: usageCpu } }) },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: 'registry.example.com/team/web:v1', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
      },
    },
  };
  await kubeCall({ cluster: admin.cluster, verb: 'create', resource: 'deployments', namespace, name: 'web' }, () => admin.apps.createNamespacedDeployment({ namespace, body }));
  return { namespace, kind: 'Deployment', name: 'web' };
}

/** Sets kwok's simulated CPU use on every current pod of `web` (the pod template stays as it is). */
export async function setPodUsage(admin: KubeClients, namespace: string, usageCpu: string): Promise<string[]> {
  const list = await admin.core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
  const names = list.items.filter((p) => p.metadata?.deletionTimestamp === undefined).map((p) => p.metadata?.name ?? '');
  await Promise.all(
    names.map((name) =>
      admin.core.patchNamespacedPod({ name, namespace, body: { metadata: { annotations: { [USAGE_CPU]: usageCpu } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    ),
  );
  return names;
}

export async function specReplicas(admin: KubeClients, namespace: string): Promise<number> {
  return (await admin.apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas ?? -1;
}

/** A person at the web console: types a line, reads the channel, clicks a button. */
export interface Person {
  say(text: string): Promise<{ opId: string | null; live: boolean; reply: Message | null }>;
  click(action: string, value: string): Promise<{ reply: Message | null; opId: string | null }>;
}

export function person(bot: Bot, who: string, channel: string): Person {
  const c = consoleClient(bot.api.url);
  return {
    async say(text) {
      const r = await c.post('/console/api/command', { as: who, channel, text, id: requestId() });
      if (r.status !== 200) throw new Error(`${text}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { opId: string | null; live: boolean; reply: Message | null };
    },
    async click(action, value) {
      const r = await c.post('/console/api/click', { as: who, channel, action, value });
      if (r.status !== 200) throw new Error(`click ${action}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { reply: Message | null; opId: string | null };
    },
  };
}

/** The channel's bot messages, newest last. */
export async function botMessages(bot: Bot, channel: string): Promise<Message[]> {
  const r = await consoleClient(bot.api.url).get(`/console/api/messages?channel=${encodeURIComponent(channel)}`);
  return botEntries(r.body['entries']).map((e) => e.message);
}

/** Waits for the newest bot message in the channel that `match` accepts. */
export async function answerIn(bot: Bot, channel: string, match: (m: Message) => boolean, timeoutMs = 15_000): Promise<Message> {
  return waitFor('the answer in the channel', async () => (await botMessages(bot, channel)).filter(match).at(-1), timeoutMs, 200);
}

export async function waitOp(bot: Bot, opId: string, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    `operation ${opId} to finish`,
    async () => {
      const op = await bot.api.s.ops.get(opId);
      return op !== undefined && ['succeeded', 'failed', 'blocked', 'cancelled', 'rejected'].includes(op.status) ? op.status : undefined;
    },
    timeoutMs,
    250,
  );
}

export { startBot };
