import type { Config } from '../config/schema.ts';
import { deployImage, type Plan } from '../core/resolve.ts';
import { targetsFor, type Target } from '../core/targets.ts';
import type { ClusterGateway } from '../kube/gateway.ts';
import { selectContainers } from '../kube/images.ts';
import { parseRevisionTarget, selectRevision } from '../kube/revisions.ts';
import { planPromotion } from './promotion.ts';
import type { JobSpec, Workload } from './spec.ts';

/**
 * Binds a resolved plan to the live state of each workload when the request is made: the image,
 * revision or replica count it runs now, and for a rollback the revision it will go to on that
 * cluster. The job later refuses to run if the live state moved away from this (someone else
 * changed it), and treats "already at the target" as done, so a replay never flips twice.
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

function workloadOf(t: Target): Workload {
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

const refOf = (w: Workload) => ({ namespace: w.namespace, name: w.name, kind: w.kind });

async function currentImage(gw: ClusterGateway, w: Workload, image: string): Promise<{ image: string; revision: number }> {
  const s = await gw.status(refOf(w));
  const sel = selectContainers(s.containers, image, w.container);
  if (!sel.ok) throw new BindError(`${w.kind} ${w.namespace}/${w.name} on ${w.cluster}: ${sel.problem}`);
  const images = [...new Set(sel.containers.map((c) => c.image))];
  if (images.length !== 1) throw new BindError(`${w.kind} ${w.namespace}/${w.name} on ${w.cluster} runs different images in the containers to change (${images.join(', ')}); name one with the app's container setting`);
  return { image: images[0] as string, revision: s.revision ?? 0 };
}

/** Workloads of one batch updated at once when the request doesn't say (concurrency=<n>). */
export const DEFAULT_UPGRADE_CONCURRENCY = 5;

export async function bindSpec(config: Config, plan: Plan, gatewayFor: GatewayFor, token: string, fetch: typeof globalThis.fetch = globalThis.fetch): Promise<JobSpec> {
  const app = plan.apps[0] ?? '';
  const env = plan.env ?? '';
  const workloads = plan.targets.map(workloadOf);
  const deployTo = async (image: string) => ({
    kind: 'deploy' as const,
    env,
    app,
    image,
    autoRollback: config.environments[env]?.autoRollback === true,
    targets: await Promise.all(
      workloads.map(async (w) => {
        const cur = await currentImage(gatewayFor(w.cluster), w, image);
        return { workload: w, fromImage: cur.image, fromRevision: cur.revision };
      }),
    ),
  });
  switch (plan.verb) {
    case 'deploy':
      return deployTo(plan.image ?? '');
    case 'promote': {
      // What the source runs now, bound by digest: the approval covers exactly that build.
      const from = plan.promoteFrom ?? '';
      const sources = targetsFor(config, app, from).map(workloadOf);
      const p = await planPromotion({ config, gatewayFor, fetch }, from, plan.targets, sources);
      if (!p.ok) throw new BindError(p.reason, p.table);
      const allowed = deployImage(config, app, env, p.image);
      if (!allowed.ok) throw new BindError(`${allowed.error.message} (${from} runs ${p.image})`);
      return { ...(await deployTo(p.image)), promotion: p.promotion };
    }
    case 'scale': {
      const targets = await Promise.all(
        workloads.map(async (w) => ({ workload: w, fromReplicas: (await gatewayFor(w.cluster).status(refOf(w))).replicas.desired })),
      );
      return { kind: 'scale', env, app, replicas: plan.replicas ?? 0, targets };
    }
    case 'rollback': {
      const target = parseRevisionTarget(plan.rollbackTo);
      const targets = await Promise.all(
        workloads.map(async (w) => {
          const revisions = await gatewayFor(w.cluster).history(refOf(w));
          const choice = selectRevision(revisions, target);
          if (!choice.ok) throw new BindError(`${w.app} on ${w.cluster} can't be rolled back: ${choice.problem}`);
          const imageOf = (images: readonly { name: string; image: string }[]) =>
            (w.container === undefined ? images[0] : images.find((c) => c.name === w.container))?.image ?? '';
          return { workload: w, fromRevision: choice.from.revision, toRevision: choice.to.revision, fromImage: imageOf(choice.from.images), toImage: imageOf(choice.to.images) };
        }),
      );
      return { kind: 'rollback', env, app, targets };
    }
    case 'restart':
      return { kind: 'restart', env, app, token, targets: workloads.map((w) => ({ workload: w })) };
    case 'upgrade': {
      const image = plan.image ?? '';
      const batches = await Promise.all(
        (plan.batches ?? []).map((batch) =>
          Promise.all(
            batch.map(async (t) => {
              const w = workloadOf(t);
              return { workload: w, fromImage: (await currentImage(gatewayFor(w.cluster), w, image)).image };
            }),
          ),
        ),
      );
      return {
        kind: 'upgrade',
        env,
        app: plan.apps.join(','),
        apps: [...plan.apps],
        image,
        gate: plan.gate ?? 'manual',
        concurrency: Math.max(1, plan.concurrency ?? DEFAULT_UPGRADE_CONCURRENCY),
        batches,
      };
    }
    default:
      throw new BindError(`${plan.verb} is not a job`);
  }
}
