import { randomBytes } from 'node:crypto';
import { afterAll, onTestFinished } from 'vitest';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { kubeCall } from '../../../src/kube/errors.ts';
import { applyRbac, type ApplyRbacResult } from '../../../src/kube/rbac-apply.ts';
import { botRbac } from '../../../src/kube/rbac.ts';
import { BOT_USER, adminClients, cluster } from './cluster.ts';

/**
 * One namespace per test, on one or more clusters, created by the admin and (unless told
 * otherwise) opened to the bot with the RBAC the gateway generates from a config naming just
 * that namespace. Deleted when the test ends, without waiting for the deletion to finish.
 */
export function uniqueName(prefix = 'ns'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A minimal but valid bot config in which app `web` of env `test` lives in `namespace`. */
export function testConfig(namespace: string, clusterNames: readonly string[]): Config {
  const doc = {
    people: {},
    clusters: Object.fromEntries(clusterNames.map((c) => [c, { region: cluster(c).region, kubeconfig: cluster(c).kubeconfig, context: cluster(c).botContext }])),
    environments: { test: { clusters: [...clusterNames], namespace, registries: ['registry.example.com'] } },
    apps: { web: { image: 'registry.example.com/team/web' } },
    kubernetes: { identity: { kind: 'User', name: BOT_USER } },
  };
  const r = validateConfig(doc, {});
  if (!r.ok) throw new Error(`test config is invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

export interface TestNamespace {
  readonly name: string;
  readonly clusters: readonly string[];
  readonly config: Config;
  /** What applying the RBAC did per cluster (undefined when rbac: false). */
  readonly rbac: readonly ApplyRbacResult[] | undefined;
}

/** `scope: 'file'` (for beforeAll) removes the namespace when the file's tests end instead of the test's. */
export async function testNamespace(options: { clusters?: readonly string[]; rbac?: boolean; prefix?: string; scope?: 'test' | 'file' } = {}): Promise<TestNamespace> {
  const names = options.clusters ?? ['gz'];
  const name = uniqueName(options.prefix ?? 'ns');
  const config = testConfig(name, names);
  (options.scope === 'file' ? afterAll : onTestFinished)(async () => {
    await Promise.all(names.map((c) => deleteNamespace(c, name)));
  });
  let rbac: ApplyRbacResult[] | undefined;
  if (options.rbac ?? true) {
    rbac = [];
    for (const plan of botRbac(config)) rbac.push(await applyRbac(adminClients(plan.cluster), plan, { createNamespaces: true }));
  } else {
    for (const c of names) {
      const admin = adminClients(c);
      await kubeCall({ cluster: c, verb: 'create', resource: 'namespaces', name }, () => admin.core.createNamespace({ body: { metadata: { name } } }));
    }
  }
  return { name, clusters: names, config, rbac };
}

export async function deleteNamespace(clusterName: string, name: string): Promise<void> {
  const admin = adminClients(clusterName);
  try {
    await admin.core.deleteNamespace({ name, propagationPolicy: 'Background' });
  } catch {
    // Already gone, or the cluster went away: nothing left to clean.
  }
}
