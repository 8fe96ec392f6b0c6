import { AppsV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { reuseConnections } from '../src/kube/connections.ts';
import type { ClusterInfo } from './lib/clusters.ts';
import { pool, rolledOut } from './lib/fleet.ts';

/**
 * The baselines of P3, written as anyone would with @kubernetes/client-node alone and the bot's
 * own credentials (the `chatops-bot` user, so the apiserver treats both alike: same RBAC, same
 * API Priority and Fairness flow): per Deployment, a strategic-merge patch of the container's
 * image (what `kubectl set image` sends, without reading first), then a watch of that one
 * Deployment (fieldSelector on its name) from the resourceVersion the patch returned, until its
 * rollout is complete (observedGeneration >= the patch's generation, updatedReplicas ==
 * replicas == availableReplicas == spec.replicas): one write and one read per Deployment, the
 * least any follower can do, and the fastest (each change arrives as it happens). Should a
 * watch end early, a GET says where the rollout stands and a new watch goes on from there. No
 * Redis, no lease, no ledger, no progress, no audit: what is left is the Kubernetes work itself.
 *
 * client-node has no client-side rate limiter (no QPS/burst as client-go has), and neither
 * does the bot's kube layer on top of it: both sides send requests as fast as their loops go.
 * (The bot caps its requests in flight at 64 per cluster, src/kube/request-limit.ts, against
 * fan-outs over thousands of workloads at request time; at concurrency 50 its jobs stay under it.)
 * Both keep their connections open between calls: client-node 2.0 alone opens a new TLS
 * connection for every request, which the bot avoids (src/kube/connections.ts); the baselines
 * get the same one-line fix, so that P3 compares the bot's own work with the loop's, not two
 * transports (with a handshake per request, the raw loop of 1,000 Deployments used about 3x
 * the CPU in this process, 18-25 s against 5-8 s, and the apiservers paid for the handshakes too).
 */
export interface Target {
  readonly cluster: string;
  readonly name: string;
}

export interface Timed {
  readonly ms: number;
  /** Watch requests (and GETs after a watch that ended early) until the rollout was seen complete. */
  readonly polls: number;
}

export interface RawClient {
  readonly apps: AppsV1Api;
  readonly watch: Watch;
}

export function botApps(clusters: readonly ClusterInfo[]): Map<string, RawClient> {
  // A KubeConfig of its own: its own connections, not the bot's cached clients.
  return new Map(
    clusters.map((c) => {
      const kc = new KubeConfig();
      kc.loadFromFile(c.kubeconfig);
      kc.setCurrentContext(c.botContext);
      const shared = reuseConnections(kc);
      return [c.name, { apps: shared.makeApiClient(AppsV1Api), watch: new Watch(shared) }] as const;
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** Watches one Deployment from `resourceVersion` until it is rolled out (true) or the watch ends (false). */
function watchUntilRolledOut(w: Watch, namespace: string, name: string, resourceVersion: string, generation: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let conn: AbortController | undefined;
    let settled = false;
    const end = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn?.abort();
      resolve(ok);
    };
    const timer = setTimeout(() => end(false), timeoutMs);
    void w
      .watch(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: false },
        (type: string, obj: V1Deployment) => {
          if ((type === 'ADDED' || type === 'MODIFIED') && rolledOut(obj, generation)) end(true);
        },
        () => end(false),
      )
      .then((c) => {
        conn = c;
        if (settled) c.abort();
      });
  });
}

/** Set the image, then wait for the rollout: one Deployment. */
export async function setImageAndWait(client: RawClient, namespace: string, name: string, image: string, timeoutMs = 300_000): Promise<Timed> {
  const t0 = performance.now();
  const patched = await client.apps.patchNamespacedDeployment({ name, namespace, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } }, strategic);
  const generation = patched.metadata?.generation ?? 0;
  let rv = patched.metadata?.resourceVersion ?? '';
  for (let polls = 1; ; polls++) {
    if (await watchUntilRolledOut(client.watch, namespace, name, rv, generation, Math.max(1000, timeoutMs - (performance.now() - t0)))) return { ms: performance.now() - t0, polls };
    if (performance.now() - t0 > timeoutMs) throw new Error(`${namespace}/${name}: rollout to ${image} not complete after ${timeoutMs} ms`);
    // The watch ended early: where does it stand now?
    const d = await client.apps.readNamespacedDeployment({ name, namespace });
    if (rolledOut(d, generation)) return { ms: performance.now() - t0, polls: polls + 1 };
    rv = d.metadata?.resourceVersion ?? '';
    await sleep(100);
  }
}

export interface LoopResult {
  readonly totalMs: number;
  readonly batchMs: number[];
  /** When each batch began (epoch ms), to line up with the apiservers' audit logs. */
  readonly batchStartAt: number[];
  readonly perDeploymentMs: number[];
  readonly polls: number;
}

/** The raw loop: the same batches one after the other, each with at most `concurrency` Deployments at once. */
export async function rawLoop(apis: ReadonlyMap<string, RawClient>, namespaceOf: (t: Target) => string, batches: readonly (readonly Target[])[], image: string, concurrency: number): Promise<LoopResult> {
  const t0 = performance.now();
  const batchMs: number[] = [];
  const batchStartAt: number[] = [];
  const per: Timed[] = [];
  for (const batch of batches) {
    batchStartAt.push(Date.now());
    const tb = performance.now();
    per.push(...(await pool(batch, concurrency, (t) => setImageAndWait(apiOf(apis, t), namespaceOf(t), t.name, image))));
    batchMs.push(performance.now() - tb);
  }
  return { totalMs: performance.now() - t0, batchMs, batchStartAt, perDeploymentMs: per.map((p) => p.ms), polls: per.reduce((a, p) => a + p.polls, 0) };
}

/** The serial loop: set the image, wait for the rollout, then the next one. */
export async function serialLoop(apis: ReadonlyMap<string, RawClient>, namespaceOf: (t: Target) => string, targets: readonly Target[], image: string): Promise<LoopResult> {
  const t0 = performance.now();
  const batchStartAt = [Date.now()];
  const per: Timed[] = [];
  for (const t of targets) per.push(await setImageAndWait(apiOf(apis, t), namespaceOf(t), t.name, image));
  const totalMs = performance.now() - t0;
  return { totalMs, batchMs: [totalMs], batchStartAt, perDeploymentMs: per.map((p) => p.ms), polls: per.reduce((a, p) => a + p.polls, 0) };
}

function apiOf(apis: ReadonlyMap<string, RawClient>, t: Target): RawClient {
  const api = apis.get(t.cluster);
  if (api === undefined) throw new Error(`no client for cluster ${t.cluster}`);
  return api;
}
