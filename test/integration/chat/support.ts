import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { silentLog } from '../../../src/log.ts';
import { startApi, type RunningApi } from '../../../src/server/api.ts';
import { runWorker } from '../../../src/service/services.ts';
import type { FakeSlackUser } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID } from '../../fakes/slack-sign.ts';
import { BOT_USER, cluster } from '../support/cluster.ts';

/**
 * A bot config for the chat tests: env `prod` is the test's namespace on gz; alice (dev) needs
 * one approval from sre (bob, carol) to deploy there; carol is known to the config only by
 * email, so the adapter must look her up. `chat` adds the platform section under test.
 */
export const PEOPLE = {
  alice: { slack: 'U0ALICE01', lark: 'ou_alice0001', email: 'alice@example.com' },
  bob: { slack: 'U0BOB0001', lark: 'ou_bob00001', email: 'bob@example.com' },
  carol: { email: 'carol@example.com' },
} as const;

/**
 * The workspace's members as the Slack API fake's users.info answers for them: everyone in
 * PEOPLE with a Slack id or an email, on the workspace's team, emails confirmed. A slash
 * command carries no user team, so the bot asks users.info about everyone who types one.
 */
export function slackDirectory(extra: Record<string, FakeSlackUser> = {}): Record<string, FakeSlackUser> {
  return {
    [PEOPLE.alice.slack]: { email: PEOPLE.alice.email, team_id: FAKE_TEAM_ID, name: 'alice' },
    [PEOPLE.bob.slack]: { email: PEOPLE.bob.email, team_id: FAKE_TEAM_ID, name: 'bob' },
    U0CAROL01: { email: PEOPLE.carol.email, team_id: FAKE_TEAM_ID, name: 'carol' },
    ...extra,
  };
}

export function chatConfig(namespace: string, chat: Record<string, unknown>): Config {
  const doc = {
    mode: 'production',
    people: PEOPLE,
    groups: { devs: ['alice'], sre: ['bob', 'carol'] },
    clusters: { gz: { region: cluster('gz').region, kubeconfig: cluster('gz').kubeconfig, context: cluster('gz').botContext } },
    environments: { prod: { clusters: ['gz'], namespace, registries: ['registry.example.com'] } },
    apps: { web: { image: 'registry.example.com/team/web', container: 'web', maxReplicas: 10 } },
    access: [
      { name: 'devs-prod', who: ['group:devs'], verbs: ['deploy', 'scale'], envs: ['prod'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
      { name: 'sre-prod', who: ['group:sre'], verbs: ['deploy', 'scale', 'rollback'], envs: ['prod'] },
      { name: 'reads', who: ['*'], verbs: ['status', 'history', 'jobs'], envs: ['*'] },
    ],
    links: { job: 'https://jobs.example.com/ops/{jobId}', trace: 'https://trace.example.com/trace/{traceId}' },
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
    ...chat,
  };
  const r = validateConfig(doc, {});
  if (!r.ok) throw new Error(`chat test config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

export interface Bot {
  readonly api: RunningApi;
  readonly worker: Worker;
  stop(): Promise<void>;
}

/** The API role (HTTP server, adapters, notifier, outbox) and a worker, on a unique Redis prefix. */
export async function startBot(config: Config, extra: Partial<Parameters<typeof startApi>[1]> = {}, worker: { rolloutTimeoutMs?: number } = {}): Promise<Bot> {
  const url = process.env['REDIS_URL'];
  if (url === undefined) throw new Error('REDIS_URL is not set: run the tests with npm test, which starts Redis');
  const api = await startApi(config, { redisUrl: url, prefix: `chat-${randomBytes(4).toString('hex')}:`, log: silentLog(), host: '127.0.0.1', port: 0, ...extra });
  const w = runWorker(api.s, { rolloutTimeoutMs: worker.rolloutTimeoutMs ?? 60_000, lockDurationMs: 5_000, concurrency: 2 });
  return {
    api,
    worker: w,
    async stop() {
      await w.close();
      await api.stop();
    },
  };
}
