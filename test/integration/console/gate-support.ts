import { afterAll } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Message } from '../../../src/core/message.ts';
import { loopbackOnly } from '../../../src/jobs/probe.ts';
import type { OpRecord } from '../../../src/jobs/operations.ts';
import { applyRbac } from '../../../src/kube/rbac-apply.ts';
import { botRbac } from '../../../src/kube/rbac.ts';
import { freePort } from '../../../src/local/port.ts';
import { startBot, type Bot } from '../chat/support.ts';
import { BOT_USER, adminClients, cluster } from '../support/cluster.ts';
import { deleteNamespace, uniqueName } from '../support/namespace.ts';
import { waitFor } from '../support/workloads.ts';
import { botEntries, consoleClient, requestId, textOf, type ConsoleClient } from './support.ts';

/**
 * A bot in local mode whose app `web` has the local sample probe (which answers from the image
 * each workload really runs), with environments staging and prod on the given clusters, each
 * in its own namespace `<base>-<env>`. alice is a dev (prod needs one approval from sre), bob
 * and carol are sre (deploy and roll back prod without one). People act through the console's
 * HTTP API, as the page does.
 */
export interface GateWorld {
  readonly base: string;
  readonly config: Config;
  readonly bot: Bot;
  readonly c: ConsoleClient;
  namespace(env: string): string;
}

export interface GateOptions {
  readonly clusters: readonly string[];
  readonly prefix: string;
  /** Whether prod rolls a failed deploy back by itself. */
  readonly autoRollback?: boolean;
  /** The probe gate: interval 1s, 3 passes, window 15s (room for a loaded machine) unless said. */
  readonly probe?: Record<string, unknown>;
}

export async function gateWorld(o: GateOptions): Promise<GateWorld> {
  const port = await freePort();
  const base = uniqueName(o.prefix);
  const doc = {
    mode: 'local',
    people: { alice: {}, bob: {}, carol: {} },
    groups: { devs: ['alice'], sre: ['bob', 'carol'] },
    clusters: Object.fromEntries(o.clusters.map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }])),
    environments: {
      staging: { clusters: [...o.clusters], namespace: `${base}-{env}`, registries: ['registry.example.com', 'localhost:5000'] },
      prod: { clusters: [...o.clusters], namespace: `${base}-{env}`, registries: ['registry.example.com'], autoRollback: o.autoRollback ?? true },
    },
    apps: {
      web: {
        image: 'registry.example.com/team/web',
        container: 'web',
        maxReplicas: 10,
        probe: { url: `http://127.0.0.1:${port}/sample-probe/{cluster}/{env}/{app}`, bodyMustNotContain: 'ERROR', timeout: '5s', interval: '1s', successes: 3, window: '15s', ...o.probe },
      },
    },
    access: [
      { name: 'devs-staging', who: ['group:devs', 'group:sre'], verbs: ['deploy', 'rollback'], envs: ['staging'] },
      { name: 'devs-prod', who: ['group:devs'], verbs: ['deploy'], envs: ['prod'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
      { name: 'sre-prod', who: ['group:sre'], verbs: ['deploy', 'rollback'], envs: ['prod'] },
      { name: 'reads', who: ['*'], verbs: ['status', 'history', 'audit'], envs: ['*'] },
    ],
    links: { job: 'https://jobs.example.com/ops/{jobId}' },
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
  const r = validateConfig(doc, {});
  if (!r.ok) throw new Error(`gate test config is invalid: ${JSON.stringify(r.error)}`);
  const config = r.value;
  afterAll(async () => {
    await Promise.all(o.clusters.flatMap((c) => ['staging', 'prod'].map((env) => deleteNamespace(c, `${base}-${env}`))));
  });
  for (const plan of botRbac(config)) await applyRbac(adminClients(plan.cluster), plan, { createNamespaces: true });
  const bot = await startBot(config, { port, fetch: loopbackOnly() });
  afterAll(async () => {
    await bot.stop();
  });
  return { base, config, bot, c: consoleClient(bot.api.url), namespace: (env) => `${base}-${env}` };
}

/** Types a command in a console channel as `as`; the operation id when it made one. */
export async function say(w: GateWorld, as: string, channel: string, text: string): Promise<string | undefined> {
  const r = await w.c.post('/console/api/command', { as, channel, text, id: requestId() });
  if (r.status !== 200) throw new Error(`console answered ${r.status} to ${text}: ${JSON.stringify(r.body)}`);
  return (r.body['opId'] as string | null) ?? undefined;
}

const FINAL = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);

export function finished(w: GateWorld, opId: string, timeoutMs = 90_000): Promise<OpRecord> {
  return waitFor(
    `operation ${opId} to finish`,
    async () => {
      const op = await w.bot.api.s.ops.get(opId);
      return op !== undefined && FINAL.has(op.status) ? op : undefined;
    },
    timeoutMs,
    250,
  );
}

/** The channel's bot message that mentions `needle` and passes `ok`, once it does. */
export async function botMessage(w: GateWorld, channel: string, needle: string, ok: (m: Message) => boolean = () => true, timeoutMs = 20_000): Promise<Message> {
  const e = await waitFor(
    `a message in ${channel} with ${needle}`,
    async () => {
      const r = await w.c.get(`/console/api/messages?channel=${encodeURIComponent(channel)}`);
      return botEntries(r.body['entries']).find((x) => textOf(x.message).includes(needle) && ok(x.message));
    },
    timeoutMs,
    200,
  );
  return e.message;
}
