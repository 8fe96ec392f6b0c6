import type { KubeClients } from '../../../src/kube/clients.ts';
import { kubeCall } from '../../../src/kube/errors.ts';
import { followRollout, type RolloutResult } from '../../../src/kube/rollout.ts';
import { patchWorkload, readWorkload, type WorkloadKind, type WorkloadRef } from '../../../src/kube/workload.ts';

/**
 * Test workloads, created and changed by the admin (setup), never by the bot. Every revision
 * differs in its image AND in an env var (RELEASE), so a rollback can be checked on the whole
 * pod template, not just the image. A sidecar from another repository shows that an image
 * change by repository leaves unrelated containers alone.
 */
export const REPO = 'registry.example.com/team/web';
export const SIDECAR_IMAGE = 'registry.example.com/team/proxy:1.0';

type DeploymentBody = Parameters<KubeClients['apps']['createNamespacedDeployment']>[0]['body'];
type StatefulSetBody = Parameters<KubeClients['apps']['createNamespacedStatefulSet']>[0]['body'];

export interface WorkloadOptions {
  readonly replicas?: number;
  readonly tag?: string;
  readonly progressDeadlineSeconds?: number;
}

function podTemplate(name: string, tag: string) {
  return {
    metadata: { labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: 'web', image: `${REPO}:${tag}`, env: [{ name: 'RELEASE', value: tag }] },
        { name: 'proxy', image: SIDECAR_IMAGE },
      ],
    },
  };
}

export async function createDeployment(admin: KubeClients, namespace: string, name = 'web', o: WorkloadOptions = {}): Promise<WorkloadRef> {
  const body: DeploymentBody = {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: o.replicas ?? 3,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 10,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, o.tag ?? 'v1'),
    },
  };
  await kubeCall({ cluster: admin.cluster, verb: 'create', resource: 'deployments', namespace, name }, () => admin.apps.createNamespacedDeployment({ namespace, body }));
  return { namespace, kind: 'Deployment', name };
}

export async function createStatefulSet(admin: KubeClients, namespace: string, name = 'db', o: WorkloadOptions = {}): Promise<WorkloadRef> {
  const body: StatefulSetBody = {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: o.replicas ?? 3,
      serviceName: name,
      // Parallel: pods start together (faster tests); updates still go one ordinal at a time.
      podManagementPolicy: 'Parallel',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, o.tag ?? 'v1'),
    },
  };
  await kubeCall({ cluster: admin.cluster, verb: 'create', resource: 'statefulsets', namespace, name }, () => admin.apps.createNamespacedStatefulSet({ namespace, body }));
  return { namespace, kind: 'StatefulSet', name };
}

/** A new revision made by the admin: image tag and RELEASE env var both change. */
export async function rollTemplate(admin: KubeClients, ref: WorkloadRef, tag: string): Promise<void> {
  await patchWorkload(admin, ref, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:${tag}`, env: [{ name: 'RELEASE', value: tag }] }] } } },
  });
}

export async function waitForRollout(clients: KubeClients, ref: WorkloadRef, timeoutMs = 60_000): Promise<RolloutResult> {
  // The spec as it is now must be the one observed: rollouts are followed through the process's
  // shared watch, whose last event can still be from before a change the test just made (then it
  // looks complete at once). The bot's jobs pass their write's generation the same way.
  const generation = (await readWorkload(clients, ref)).object.metadata?.generation ?? 0;
  const r = await followRollout(clients, ref, { timeoutMs, intervalMs: 200, diagnose: false, minGeneration: generation });
  if (r.outcome !== 'complete') throw new Error(`${ref.kind} ${ref.name} did not roll out: ${r.outcome} ${r.message}`);
  return r;
}

/** The web container's image and RELEASE env var, read back (by the admin). */
export async function webTemplate(admin: KubeClients, ref: WorkloadRef): Promise<{ image: string | undefined; release: string | undefined; proxy: string | undefined }> {
  const w = await readWorkload(admin, ref);
  const containers = w.object.spec?.template.spec?.containers ?? [];
  const web = containers.find((c) => c.name === 'web');
  return {
    image: web?.image,
    release: web?.env?.find((e) => e.name === 'RELEASE')?.value,
    proxy: containers.find((c) => c.name === 'proxy')?.image,
  };
}

export async function resourceVersion(admin: KubeClients, ref: WorkloadRef): Promise<string> {
  const w = await readWorkload(admin, ref);
  return w.object.metadata?.resourceVersion ?? '';
}

/**
 * metadata.generation: it moves only when the spec changes. (The resourceVersion also moves
 * whenever a controller writes status, so it cannot show that nobody changed the spec.)
 */
export async function generation(admin: KubeClients, ref: WorkloadRef): Promise<number> {
  const w = await readWorkload(admin, ref);
  return w.object.metadata?.generation ?? 0;
}

export function ref(namespace: string, kind: WorkloadKind, name: string): WorkloadRef {
  return { namespace, kind, name };
}

/** Pods of a workload (by its app label) as the admin sees them. */
export async function pods(admin: KubeClients, namespace: string, app: string) {
  const list = await admin.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
