import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Config } from '../config/schema.ts';
import { appRunsIn, namespaceFor } from '../core/targets.ts';
import type { KubeClients } from './clients.ts';
import { KubeError, kubeCall } from './errors.ts';

/**
 * Sample workloads for trying the bot on the local clusters: every app of the config, in every
 * environment on each cluster, running `<repository>:v1.0.0`, so that `/deploy web v1.4.2 to
 * prod` has something to change. Created with an admin identity (the bot can't create), and only
 * where missing: running it again changes nothing.
 */
export interface SampleWorkload {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly container: string;
  readonly image: string;
}

export const SAMPLE_TAG = 'v1.0.0';

/** What the config asks for, per cluster. Pure. */
export function sampleWorkloads(config: Config): SampleWorkload[] {
  const out: SampleWorkload[] = [];
  for (const [env, e] of Object.entries(config.environments)) {
    for (const [app, a] of Object.entries(config.apps)) {
      if (!appRunsIn(config, app, env)) continue;
      for (const cluster of e.clusters) {
        out.push({ cluster, namespace: namespaceFor(config, env, app), kind: a.workload.kind, name: a.workload.name ?? app, container: a.container ?? app, image: `${a.image}:${SAMPLE_TAG}` });
      }
    }
  }
  return out;
}

function body(w: SampleWorkload): V1Deployment & V1StatefulSet {
  const labels = { app: w.name, 'app.kubernetes.io/part-of': 'chatops-sample' };
  return {
    metadata: { name: w.name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: w.name } },
      ...(w.kind === 'StatefulSet' ? { serviceName: w.name, podManagementPolicy: 'Parallel' } : { progressDeadlineSeconds: 60, revisionHistoryLimit: 10 }),
      template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: w.container, image: w.image }] } },
    },
  };
}

/** Creates the missing ones on one cluster; returns what it created. */
export async function ensureSampleWorkloads(admin: KubeClients, workloads: readonly SampleWorkload[]): Promise<string[]> {
  const created: string[] = [];
  for (const w of workloads) {
    const ctx = { cluster: admin.cluster, verb: 'create', resource: w.kind === 'Deployment' ? 'deployments' : 'statefulsets', namespace: w.namespace, name: w.name };
    try {
      if (w.kind === 'Deployment') await kubeCall(ctx, () => admin.apps.createNamespacedDeployment({ namespace: w.namespace, body: body(w) }));
      else await kubeCall(ctx, () => admin.apps.createNamespacedStatefulSet({ namespace: w.namespace, body: body(w) }));
      created.push(`${w.kind} ${w.namespace}/${w.name}`);
    } catch (e) {
      if (e instanceof KubeError && e.kind === 'conflict') continue; // already there
      throw e;
    }
  }
  return created;
}
