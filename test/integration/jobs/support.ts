import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { onTestFinished } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { OpRecord } from '../../../src/jobs/operations.ts';
import { createServices, runWorker, type Services } from '../../../src/service/services.ts';
import { BOT_USER, cluster } from '../support/cluster.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * A bot config for one test: app `web` of env `test` lives in the test's namespace on the given
 * clusters; alice and dave are devs (prod-like rule: one approval from sre), bob and carol are
 * sre (may deploy and roll back without approval).
 */
export function jobsConfig(namespace: string, clusterNames: readonly string[], approvals = 1, options: { autoRollback?: boolean } = {}): Config {
  const r = validateConfig(jobsConfigDoc(namespace, clusterNames, approvals, options), {});
  if (!r.ok) throw new Error(`jobs test config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** The same config as a plain document (a child worker process gets it as a file). */
export function jobsConfigDoc(namespace: string, clusterNames: readonly string[], approvals = 1, options: { autoRollback?: boolean } = {}): Record<string, unknown> {
  return {
    mode: 'local',
    people: { alice: {}, bob: {}, carol: {}, dave: {}, erin: {} },
    groups: { devs: ['alice', 'dave'], sre: ['bob', 'carol', 'erin'] },
    clusters: Object.fromEntries(clusterNames.map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }])),
    environments: { test: { clusters: [...clusterNames], namespace, registries: ['registry.example.com'], autoRollback: options.autoRollback === true } },
    apps: { web: { image: 'registry.example.com/team/web', container: 'web', maxReplicas: 10 } },
    access: [
      { name: 'sre', who: ['group:sre'], verbs: ['deploy', 'rollback', 'scale', 'restart'], envs: ['test'] },
      { name: 'devs', who: ['group:devs'], verbs: ['deploy', 'scale', 'restart'], envs: ['test'], approval: { count: approvals, from: ['group:sre'], expires: '30m' } },
      { name: 'devs-rollback', who: ['group:devs'], verbs: ['rollback'], envs: ['test'] },
      { name: 'reads', who: ['*'], verbs: ['status', 'history', 'revisions', 'diagnose', 'audit', 'jobs'], envs: ['*'] },
      { name: 'settings', who: ['group:sre'], verbs: ['lock', 'unlock', 'freeze'], envs: ['test'] },
    ],
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
}

export interface Harness {
  readonly s: Services;
  readonly worker: Worker;
  /** Moves the services' clock (approval expiry) without touching the machine's. */
  advance(ms: number): void;
}

/** Services with a unique Redis prefix and an in-process worker, closed when the test ends. */
export function harness(config: Config): Harness {
  const url = process.env['REDIS_URL'];
  if (url === undefined) throw new Error('REDIS_URL is not set: run the tests with npm test, which starts Redis');
  let offset = 0;
  const s = createServices(config, { redisUrl: url, prefix: `t-${randomBytes(4).toString('hex')}:`, clock: () => new Date(Date.now() + offset) });
  const worker = runWorker(s, { rolloutTimeoutMs: 60_000, lockDurationMs: 5_000, concurrency: 4 });
  onTestFinished(async () => {
    await worker.close();
    await s.close();
  });
  return {
    s,
    worker,
    advance(ms) {
      offset += ms;
    },
  };
}

const FINAL = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);

export function waitForOp(s: Services, opId: string, timeoutMs = 90_000): Promise<OpRecord> {
  return waitFor(
    `operation ${opId} to finish`,
    async () => {
      const op = await s.ops.get(opId);
      return op !== undefined && FINAL.has(op.status) ? op : undefined;
    },
    timeoutMs,
    250,
  );
}

export function delivery(): string {
  return `test-delivery-${randomBytes(6).toString('hex')}`;
}
