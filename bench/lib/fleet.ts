import { request } from 'node:https';
import type { V1Deployment, V1Node } from '@kubernetes/client-node';
import { clientsFor, type KubeClients } from '../../src/kube/clients.ts';
import type { ClusterInfo } from './clusters.ts';

/**
 * A fleet of one-replica Deployments for a benchmark, set up and torn down with the admin
 * identity: kwok nodes of its own (tainted, so nothing else lands on them and the local
 * clusters' two 110-pod nodes are not filled), a namespace, the Deployments, and the checks
 * that every one of them is rolled out on a given image.
 */
export const FLEET_LABEL = 'chatops-bench';

export function admin(c: ClusterInfo): KubeClients {
  return clientsFor(c.name, c.region, { kubeconfig: c.kubeconfig, context: c.adminContext });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items`, at most `limit` at once; the first error is thrown after all settle. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed !== undefined) throw failed.e;
  return out;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Nodes for `pods` pods on one cluster, only for pods that tolerate the fleet's taint. */
export async function addNodes(c: ClusterInfo, id: string, pods: number): Promise<string[]> {
  const a = admin(c);
  const perNode = 500;
  const names = Array.from({ length: Math.max(1, Math.ceil(pods / perNode)) }, (_, i) => `${id}-${c.name}-${i}`);
  for (const name of names) {
    const body: V1Node = {
      metadata: {
        name,
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', [FLEET_LABEL]: id },
      },
      spec: { taints: [{ key: FLEET_LABEL, value: id, effect: 'NoSchedule' }] },
      status: { allocatable: { cpu: '256', memory: '1Ti', pods: String(perNode) }, capacity: { cpu: '256', memory: '1Ti', pods: String(perNode) } },
    };
    await a.core.createNode({ body });
  }
  await until(
    `the nodes of ${id} on ${c.name} to be Ready`,
    async () => {
      const list = await a.core.listNode({ labelSelector: `${FLEET_LABEL}=${id}` });
      const ready = list.items.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true);
      return ready.length >= names.length ? true : undefined;
    },
    60_000,
    250,
  );
  return names;
}

export async function deleteNodes(c: ClusterInfo, names: readonly string[]): Promise<void> {
  const a = admin(c);
  for (const name of names) await a.core.deleteNode({ name }).catch(() => undefined);
}

export function deploymentBody(name: string, image: string, id: string): V1Deployment {
  const labels = { app: name, [FLEET_LABEL]: id };
  return {
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'app', image }],
          nodeSelector: { [FLEET_LABEL]: id },
          tolerations: [{ key: FLEET_LABEL, operator: 'Equal', value: id, effect: 'NoSchedule' }],
        },
      },
    },
  };
}

/** Whether a Deployment's rollout is complete, the way `kubectl rollout status` decides. */
export function rolledOut(d: V1Deployment, minGeneration = 0): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= Math.max(minGeneration, d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/**
 * Waits until every Deployment of the fleet (in whatever namespaces) runs `image`, is rolled
 * out, and no pod other than theirs is left (old pods gone): the state each timed run starts from.
 */
export async function settled(c: ClusterInfo, id: string, count: number, image: string, timeoutMs: number): Promise<void> {
  const a = admin(c);
  const labelSelector = `${FLEET_LABEL}=${id}`;
  await until(
    `${count} Deployments of ${id} on ${image} on ${c.name}`,
    async () => {
      const list = await a.apps.listDeploymentForAllNamespaces({ labelSelector });
      const ok = list.items.filter((d) => rolledOut(d) && d.spec?.template.spec?.containers[0]?.image === image).length;
      if (ok < count) return undefined;
      const pods = await a.core.listPodForAllNamespaces({ labelSelector });
      return pods.items.length === count ? true : undefined;
    },
    timeoutMs,
    1000,
  );
}

/** Pods of the fleet left on a cluster (all namespaces). */
export async function fleetPods(c: ClusterInfo, id: string): Promise<number> {
  return (await admin(c).core.listPodForAllNamespaces({ labelSelector: `${FLEET_LABEL}=${id}` })).items.length;
}

/** apiserver_request_total by "VERB resource[/subresource]", read from the apiserver's /metrics as admin. */
export async function requestCounts(c: ClusterInfo): Promise<Map<string, number>> {
  const kc = admin(c).kubeConfig;
  const url = new URL('/metrics', kc.getCurrentCluster()?.server ?? c.server);
  const opts: { headers: Record<string, string> } & Record<string, unknown> = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const text = await new Promise<string>((done, fail) => {
    const req = request({ ...opts, hostname: url.hostname, port: url.port, path: url.pathname, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => (res.statusCode === 200 ? done(Buffer.concat(chunks).toString()) : fail(new Error(`GET /metrics on ${c.name}: ${res.statusCode ?? '?'}`))));
    });
    req.on('error', fail);
    req.end();
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = new Map([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const sub = labels.get('subresource') ?? '';
    const key = `${labels.get('verb') ?? '?'} ${labels.get('resource') ?? '?'}${sub === '' ? '' : `/${sub}`}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** Requests of the Deployment kind the bot (or a baseline) makes: reads and writes, summed from countDiff's keys. */
export function deploymentRequests(diff: Readonly<Record<string, number>>): { get: number; list: number; watch: number; patch: number; reads: number } {
  const n = (verb: string) => diff[`${verb} deployments`] ?? 0;
  const r = { get: n('GET'), list: n('LIST'), watch: n('WATCH'), patch: n('PATCH') };
  return { ...r, reads: r.get + r.list + r.watch };
}

/** The counts of `after` minus `before`, for the resources a rollout touches, without zeros. */
export function countDiff(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...after].sort()) {
    if (!/ (deployments|replicasets|pods)(\/|$)/.test(k)) continue;
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}
