import { autoscaleLine } from '../core/autoscale.ts';
import type { Config } from '../config/schema.ts';
import { deployImage, imageAllowedIn } from '../core/resolve-image.ts';
import type { Plan } from '../core/resolve.ts';
import { targetsFor, type Target } from '../core/targets.ts';
import { ageOf, describeVerdict, imageLabel } from '../kube/revision-health.ts';
import { patientReads } from '../kube/patient-gateway.ts';
import { parseRevisionTarget, selectRevision, type RevisionInfo } from '../kube/revisions.ts';
import { BindError, imageIn, look, refOf, workloadOf, type BindDeps, type Bound, type GatewayFor } from './bind-live.ts';
import { bindPodRelease } from './bind-pods.ts';
import { planPromotion } from './promotion.ts';
import type { JobSpec, SpecOf, Workload } from './spec.ts';

export { BindError, type BindDeps, type Bound, type GatewayFor };

/**
 * Binds a resolved plan to the live state of each workload when the request is made: the image,
 * revision or replica count it runs now, and for a rollback the revision it will go to on that
 * cluster, chosen with what the bot knows of each revision's health. The job later refuses to
 * run if the live state moved away from this (someone else changed it), and treats "already at
 * the target" as done, so a replay never flips twice.
 *
 * A revision live and complete when a request is bound against it is recorded as seen complete
 * (if nothing else is known of it), so a later rollback knows it was good.
 */
function targetOf(w: Workload): Target {
  return { app: w.app, env: w.env, cluster: w.cluster, region: w.region, namespace: w.namespace, kind: w.kind, workload: w.name, container: w.container };
}

/** The plan a bound spec came from (enough to bind it again to what is live now). */
export function planOf(spec: JobSpec): Plan {
  const base = { verb: spec.kind, env: spec.env, apps: spec.kind === 'upgrade' ? spec.apps : [spec.app], dryRun: false } as const;
  switch (spec.kind) {
    case 'deploy':
      return { ...base, targets: spec.targets.map((t) => targetOf(t.workload)), image: spec.image };
    case 'scale':
      return { ...base, targets: spec.targets.map((t) => targetOf(t.workload)), replicas: spec.replicas };
    case 'rollback':
      return { ...base, targets: spec.targets.map((t) => targetOf(t.workload)), ...(spec.to === undefined ? {} : { rollbackTo: spec.to }) };
    case 'restart':
      return { ...base, targets: spec.targets.map((t) => targetOf(t.workload)) };
    case 'autoscale':
      return { ...base, targets: spec.targets.map((t) => targetOf(t.workload)), autoscale: spec.hpa ?? 'off' };
    case 'upgrade': {
      if (spec.pods !== undefined) {
        const bake = spec.pods.bake === undefined ? {} : { bake: spec.pods.bake };
        return { ...base, verb: 'deploy', targets: spec.pods.sets.map((s) => targetOf(s.workload)), image: spec.image, pods: spec.pods.asked, gate: spec.gate, ...bake };
      }
      const batches = spec.batches.map((b) => b.map((t) => targetOf(t.workload)));
      return { ...base, targets: batches.flat(), image: spec.image, batches, gate: spec.gate, concurrency: spec.concurrency };
    }
  }
}

/** Workloads of one batch updated at once when the request doesn't say (concurrency=<n>). */
export const DEFAULT_UPGRADE_CONCURRENCY = 5;

type RollbackTarget = SpecOf<'rollback'>['targets'][number];

async function bindRollback(config: Config, plan: Plan, gatewayFor: GatewayFor, deps: BindDeps, workloads: readonly Workload[]): Promise<Bound> {
  const env = plan.env ?? '';
  const app = plan.apps[0] ?? '';
  const target = parseRevisionTarget(plan.rollbackTo);
  const chosen = await Promise.all(
    workloads.map(async (w) => {
      const live = await look(gatewayFor(w.cluster), w, deps);
      const health = await deps.health.read(w);
      const choice = selectRevision(live.revisions, target, { health, imageAllowed: (image) => imageAllowedIn(config, env, image), container: w.container });
      if (!choice.ok) throw new BindError(`${w.app} on ${w.cluster} can't be rolled back: ${choice.problem}`);
      return { w, choice };
    }),
  );
  const targets: RollbackTarget[] = [];
  const lines: string[] = [];
  const notes: string[] = [];
  const forward: string[] = [];
  for (const { w, choice } of chosen) {
    const label = (r: RevisionInfo) => imageLabel(r.images, w.container);
    if (choice.noop) {
      notes.push(`${w.app} on ${w.cluster} is ${choice.note ?? `already on ${label(choice.to)} (revision ${choice.to.revision})`}; nothing to roll back there`);
      continue;
    }
    const imageOf = (r: RevisionInfo) => (w.container === undefined ? r.images[0] : r.images.find((c) => c.name === w.container))?.image ?? '';
    targets.push({ workload: w, fromRevision: choice.from.revision, toRevision: choice.to.revision, fromImage: imageOf(choice.from), toImage: imageOf(choice.to), fromKey: choice.from.key, toKey: choice.to.key });
    lines.push(
      `${w.cluster}: to revision ${choice.to.revision} (${imageOf(choice.to)}, made ${ageOf(choice.to.createdAt, deps.now)} ago, ${describeVerdict(choice.verdict)}) from revision ${choice.from.revision} (${label(choice.from)})${choice.unknownHealth && choice.rollForward === undefined ? '; no known-good revision is left, so this one is taken' : ''}`,
    );
    if (choice.rollForward !== undefined) forward.push(`${w.cluster}: ${choice.rollForward}`);
  }
  if (targets.length === 0) return { spec: undefined, lines, notes };
  const asDeploy = forward.length > 0 ? forward.join('; ') : undefined;
  return { spec: { kind: 'rollback', env, app, ...(plan.rollbackTo === undefined ? {} : { to: plan.rollbackTo }), ...(asDeploy === undefined ? {} : { asDeploy }), targets }, lines, notes };
}

export async function bindSpec(config: Config, plan: Plan, clusters: GatewayFor, token: string, deps: BindDeps): Promise<Bound> {
  // Binding reads every workload at once: a busy apiserver's 429 is waited out, not the answer.
  const gatewayFor: GatewayFor = (cluster) => patientReads(clusters(cluster));
  const app = plan.apps[0] ?? '';
  const env = plan.env ?? '';
  const workloads = plan.targets.map(workloadOf);
  const only = (spec: JobSpec): Bound => ({ spec, lines: [], notes: [] });
  const deployTo = async (image: string) => ({
    kind: 'deploy' as const,
    env,
    app,
    image,
    autoRollback: config.environments[env]?.autoRollback === true,
    targets: await Promise.all(
      workloads.map(async (w) => {
        const { status } = await look(gatewayFor(w.cluster), w, deps);
        return { workload: w, fromImage: imageIn(w, status, image), fromRevision: status.revision ?? 0 };
      }),
    ),
  });
  switch (plan.verb) {
    case 'deploy':
      if (plan.pods !== undefined) return bindPodRelease(plan, gatewayFor, deps);
      return only(await deployTo(plan.image ?? ''));
    case 'promote': {
      // What the source runs now, bound by digest: the approval covers exactly that build.
      const from = plan.promoteFrom ?? '';
      const sources = targetsFor(config, app, from).map(workloadOf);
      const p = await planPromotion({ config, gatewayFor, fetch: deps.fetch ?? globalThis.fetch }, from, plan.targets, sources);
      if (!p.ok) throw new BindError(p.reason, p.table);
      const allowed = deployImage(config, app, env, p.image);
      if (!allowed.ok) throw new BindError(`${allowed.error.message} (${from} runs ${p.image})`);
      return only({ ...(await deployTo(p.image)), promotion: p.promotion });
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
      return only({ kind: 'scale', env, app, replicas: plan.replicas ?? 0, targets });
    }
    case 'autoscale': {
      const desired = plan.autoscale;
      if (desired === undefined) throw new BindError('autoscale without settings');
      const targets = await Promise.all(workloads.map(async (w) => ({ workload: w, from: (await gatewayFor(w.cluster).hpa(refOf(w)))?.settings ?? null })));
      return only({ kind: 'autoscale', env, app, hpa: desired === 'off' ? null : desired, targets });
    }
    case 'rollback':
      return bindRollback(config, plan, gatewayFor, deps, workloads);
    case 'restart':
      return only({ kind: 'restart', env, app, token, targets: workloads.map((w) => ({ workload: w })) });
    case 'upgrade': {
      const image = plan.image ?? '';
      const batches = await Promise.all(
        (plan.batches ?? []).map((batch) =>
          Promise.all(
            batch.map(async (t) => {
              const w = workloadOf(t);
              return { workload: w, fromImage: imageIn(w, (await look(gatewayFor(w.cluster), w, deps)).status, image) };
            }),
          ),
        ),
      );
      return only({
        kind: 'upgrade',
        env,
        app: plan.apps.join(','),
        apps: [...plan.apps],
        image,
        gate: plan.gate ?? 'manual',
        concurrency: Math.max(1, plan.concurrency ?? DEFAULT_UPGRADE_CONCURRENCY),
        batches,
      });
    }
    default:
      throw new BindError(`${plan.verb} is not a job`);
  }
}
