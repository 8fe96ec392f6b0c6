import { autoscaleLine } from '../core/autoscale.ts';
import type { Config } from '../config/schema.ts';
import type { Plan } from '../core/resolve.ts';
import type { Target } from '../core/targets.ts';
import type { ClusterGateway } from '../kube/gateway.ts';
import { selectContainers } from '../kube/images.ts';
import { parseRevisionTarget, selectRevision } from '../kube/revisions.ts';
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

export async function bindSpec(config: Config, plan: Plan, gatewayFor: GatewayFor, token: string): Promise<JobSpec> {
  const app = plan.apps[0] ?? '';
  const env = plan.env ?? '';
  const workloads = plan.targets.map(workloadOf);
  switch (plan.verb) {
    case 'deploy': {
      const image = plan.image ?? '';
      const targets = await Promise.all(
        workloads.map(async (w) => {
          const cur = await currentImage(gatewayFor(w.cluster), w, image);
          return { workload: w, fromImage: cur.image, fromRevision: cur.revision };
        }),
      );
      return { kind: 'deploy', env, app, image, autoRollback: config.environments[env]?.autoRollback === true, targets };
    }
    case 'scale': {
      const targets = await Promise.all(
        workloads.map(async (w) => {
          const gw = gatewayFor(w.cluster);
          const [status, hpa] = await Promise.all([gw.status(refOf(w)), gw.hpa(refOf(w))]);
          // A count set by hand would be undone by the HPA at its next sync (15 s).
          if (hpa !== undefined) {
            throw new BindError(
              `HPA ${hpa.name} owns the replicas of ${app} on ${w.cluster} (${hpa.settings.min} to ${hpa.settings.max}, now ${status.replicas.desired}) and would undo a count set by hand. Change its bounds instead: ${autoscaleLine(app, env, hpa.settings)}, or hand the replicas back with /autoscale ${app} in ${env} off.`,
            );
          }
          return { workload: w, fromReplicas: status.replicas.desired };
        }),
      );
      return { kind: 'scale', env, app, replicas: plan.replicas ?? 0, targets };
    }
    case 'autoscale': {
      const desired = plan.autoscale;
      if (desired === undefined) throw new BindError('autoscale without settings');
      const targets = await Promise.all(workloads.map(async (w) => ({ workload: w, from: (await gatewayFor(w.cluster).hpa(refOf(w)))?.settings ?? null })));
      return { kind: 'autoscale', env, app, hpa: desired === 'off' ? null : desired, targets };
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
