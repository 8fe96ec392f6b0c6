import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { reuseConnections } from '../src/kube/connections.ts';
import type { ClusterInfo } from './lib/clusters.ts';
import { pool, rolledOut } from './lib/fleet.ts';

/**
 * The baselines of P3, written as anyone would with @kubernetes/client-node alone and the bot's
 * own credentials (the `chatops-bot` user, so the apiserver treats both alike: same RBAC, same
 * API Priority and Fairness flow): per Deployment, a strategic-merge patch of the container's
 * image (what `kubectl set image` sends), then a GET of the Deployment right away and every
 * `pollMs` until its rollout is complete (observedGeneration >= the patch's generation,
 * updatedReplicas == replicas == availableReplicas == spec.replicas). No Redis, no lease, no
 * ledger, no progress, no audit: what is left is the Kubernetes work itself.
 *
 * client-node has no client-side rate limiter (no QPS/burst as client-go has), and neither
 * does the bot's kube layer on top of it: both sides send requests as fast as their loops go.
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
  /** GETs until the rollout was seen complete. */
  readonly polls: number;
}

export function botApps(clusters: readonly ClusterInfo[]): Map<string, AppsV1Api> {
  // A KubeConfig of its own: its own connections, not the bot's cached clients.
  return new Map(
    clusters.map((c) => {
      const kc = new KubeConfig();
      kc.loadFromFile(c.kubeconfig);
      kc.setCurrentContext(c.botContext);
      return [c.name, reuseConnections(kc).makeApiClient(AppsV1Api)] as const;
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** Set the image, then wait for the rollout: one Deployment. */
export async function setImageAndWait(api: AppsV1Api, namespace: string, name: string, image: string, pollMs: number, timeoutMs = 300_000): Promise<Timed> {
  const t0 = performance.now();
  const patched = await api.patchNamespacedDeployment({ name, namespace, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } }, strategic);
  const generation = patched.metadata?.generation ?? 0;
  for (let polls = 1; ; polls++) {
    const d = await api.readNamespacedDeployment({ name, namespace });
    if (rolledOut(d, generation)) return { ms: performance.now() - t0, polls };
    if (performance.now() - t0 > timeoutMs) throw new Error(`${namespace}/${name}: rollout to ${image} not complete after ${timeoutMs} ms`);
    await sleep(pollMs);
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
export async function rawLoop(apis: ReadonlyMap<string, AppsV1Api>, namespace: string, batches: readonly (readonly Target[])[], image: string, concurrency: number, pollMs: number): Promise<LoopResult> {
  const t0 = performance.now();
  const batchMs: number[] = [];
  const batchStartAt: number[] = [];
  const per: Timed[] = [];
  for (const batch of batches) {
    batchStartAt.push(Date.now());
    const tb = performance.now();
    per.push(...(await pool(batch, concurrency, (t) => setImageAndWait(apiOf(apis, t), namespace, t.name, image, pollMs))));
    batchMs.push(performance.now() - tb);
  }
  return { totalMs: performance.now() - t0, batchMs, batchStartAt, perDeploymentMs: per.map((p) => p.ms), polls: per.reduce((a, p) => a + p.polls, 0) };
}

/** The serial loop: set the image, wait for the rollout, then the next one. */
export async function serialLoop(apis: ReadonlyMap<string, AppsV1Api>, namespace: string, targets: readonly Target[], image: string, pollMs: number): Promise<LoopResult> {
  const t0 = performance.now();
  const batchStartAt = [Date.now()];
  const per: Timed[] = [];
  for (const t of targets) per.push(await setImageAndWait(apiOf(apis, t), namespace, t.name, image, pollMs));
  const totalMs = performance.now() - t0;
  return { totalMs, batchMs: [totalMs], batchStartAt, perDeploymentMs: per.map((p) => p.ms), polls: per.reduce((a, p) => a + p.polls, 0) };
}

function apiOf(apis: ReadonlyMap<string, AppsV1Api>, t: Target): AppsV1Api {
  const api = apis.get(t.cluster);
  if (api === undefined) throw new Error(`no client for cluster ${t.cluster}`);
  return api;
}
