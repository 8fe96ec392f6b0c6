import type { Target } from '../core/targets.ts';
import type { ClusterGateway } from '../kube/gateway.ts';
import { selectContainers } from '../kube/images.ts';
import type { RevisionInfo } from '../kube/revisions.ts';
import { rolloutState } from '../kube/rollout-state.ts';
import type { WorkloadStatus } from '../kube/status.ts';
import type { RevisionHealthStore } from './revision-health.ts';
import type { JobSpec, Workload } from './spec.ts';

/**
 * What binding a request to the live clusters shares (bind.ts for every verb, bind-pods.ts for
 * pod-batch releases): the error, the dependencies, the result, and the one look at a workload.
 */
export type GatewayFor = (cluster: string) => ClusterGateway;

export class BindError extends Error {
  override readonly name = 'BindError';
  /** Lines that explain it (a promotion's table of what the source runs where). */
  readonly details: readonly string[];
  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.details = details;
  }
}

export interface BindDeps {
  readonly health: RevisionHealthStore;
  readonly now: Date;
  /** The operation being bound and who asked (recorded with the facts it finds). */
  readonly opId: string;
  readonly actor: string;
  /** For a promotion's probe of the source (tests give their own). */
  readonly fetch?: typeof globalThis.fetch;
}

export interface Bound {
  /** Undefined when there is nothing to do on any cluster (a rollback whose last change was already undone). */
  readonly spec: JobSpec | undefined;
  /** For the plan: what each workload goes from and to (a rollback: revision, image, age, health). */
  readonly lines: readonly string[];
  /** Workloads left out because they already are where asked, and why. */
  readonly notes: readonly string[];
  /** The heading of `lines` in the plan, when not where a rollback lands. */
  readonly heading?: string;
}

export function workloadOf(t: Target): Workload {
  return {
    cluster: t.cluster,
    region: t.region,
    namespace: t.namespace,
    kind: t.kind,
    name: t.workload,
    app: t.app,
    env: t.env,
    ...(t.container === undefined ? {} : { container: t.container }),
  };
}

export const refOf = (w: Workload) => ({ namespace: w.namespace, name: w.name, kind: w.kind });

export function imageIn(w: Workload, status: WorkloadStatus, image: string): string {
  const sel = selectContainers(status.containers, image, w.container);
  if (!sel.ok) throw new BindError(`${w.kind} ${w.namespace}/${w.name} on ${w.cluster}: ${sel.problem}`);
  const images = [...new Set(sel.containers.map((c) => c.image))];
  if (images.length !== 1) throw new BindError(`${w.kind} ${w.namespace}/${w.name} on ${w.cluster} runs different images in the containers to change (${images.join(', ')}); name one with the app's container setting`);
  return images[0] as string;
}

/** The workload's status and revisions; its current revision is recorded as seen complete when its rollout is. */
export async function look(gw: ClusterGateway, w: Workload, deps: BindDeps): Promise<{ status: WorkloadStatus; revisions: RevisionInfo[] }> {
  const live = await gw.revisions(refOf(w));
  const current = live.revisions.find((r) => r.current);
  if (current !== undefined && rolloutState(live.status).phase === 'complete') await deps.health.seen(w, current, { at: deps.now, opId: deps.opId, actor: deps.actor });
  return live;
}

