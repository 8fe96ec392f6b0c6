import type { Plan } from '../core/resolve.ts';
import { batchSize, parsePodSteps, podBatchesFor, podNames, podPace, type PodBatch } from '../core/pod-batches.ts';
import { rolloutState } from '../kube/rollout-state.ts';
import { BindError, imageIn, look, refOf, workloadOf, type BindDeps, type Bound, type GatewayFor } from './bind-live.ts';
import type { PodRelease, UpgradeTarget, Workload } from './spec.ts';

/**
 * Binds `/deploy <app> <tag> to <env> pods=…` to the live StatefulSets: on every cluster, the
 * replicas it has now resolve the batches to partitions (so a share is of that cluster's own
 * replicas), and what the release will restore is recorded (the partition, the revision every
 * pod runs). The result is a batch upgrade whose every batch lowers each StatefulSet's partition;
 * the plan says which pods each batch moves on which cluster, and how fast the controller moves
 * them. Refused: a StatefulSet an HPA scales (its replica count isn't fixed), one that isn't RollingUpdate, one whose pods don't all run one
 * revision (a rollout under way), one that already runs the image, batches its replicas can't
 * take.
 */
interface Found {
  readonly w: Workload;
  readonly fromImage: string;
  readonly set: PodRelease['sets'][number];
  readonly batches: readonly PodBatch[];
}

async function findOne(plan: Plan, gatewayFor: GatewayFor, deps: BindDeps, w: Workload, steps: Parameters<typeof podBatchesFor>[0]): Promise<Found> {
  const image = plan.image ?? '';
  const where = `${w.name} on ${w.cluster}`;
  const gw = gatewayFor(w.cluster);
  const [{ status }, hpa] = await Promise.all([look(gw, w, deps), gw.hpa(refOf(w))]);
  if (hpa !== undefined) {
    throw new BindError(
      `${where} is scaled by the HorizontalPodAutoscaler ${hpa.name} (${hpa.settings.min}-${hpa.settings.max} replicas): pod batches are fixed to its replicas when the release starts, so they can't follow a replica count that changes; turn the autoscaler off for the release (/autoscale ${w.app} in ${w.env} off) or deploy without pods=`,
    );
  }
  if (status.strategy !== 'RollingUpdate') throw new BindError(`${where} uses the ${status.strategy} update strategy; pod batches move pods through the RollingUpdate partition`);
  if (status.currentRevision === undefined || status.currentRevision !== status.updateRevision || rolloutState(status).phase !== 'complete') {
    throw new BindError(`${where} is in the middle of a rollout (${rolloutState(status).message}); pod batches start from a StatefulSet whose pods all run one revision`);
  }
  const fromImage = imageIn(w, status, image);
  if (fromImage === image) throw new BindError(`${where} already runs ${image}; there is nothing to release in batches`);
  const replicas = status.replicas.desired;
  const r = podBatchesFor(steps, replicas, where);
  if (!r.ok) throw new BindError(r.problem);
  return {
    w,
    fromImage,
    batches: r.batches,
    set: {
      workload: w,
      replicas,
      ...(status.partition === undefined ? {} : { partition: status.partition }),
      podManagementPolicy: status.podManagementPolicy ?? 'OrderedReady',
      ...(status.maxUnavailable === undefined ? {} : { maxUnavailable: status.maxUnavailable }),
      fromRevision: status.currentRevision,
    },
  };
}

export async function bindPodRelease(plan: Plan, gatewayFor: GatewayFor, deps: BindDeps): Promise<Bound> {
  const parsed = parsePodSteps(plan.pods ?? []);
  if (!parsed.ok) throw new BindError(parsed.problem);
  // Every cluster looked at; a refusal names the first cluster in the plan's order, whichever answered first.
  const settled = await Promise.allSettled(plan.targets.map(workloadOf).map((w) => findOne(plan, gatewayFor, deps, w, parsed.steps)));
  const found = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  // Each StatefulSet's batches, as targets: a batch that adds no pod on a cluster leaves it out there.
  const batches: UpgradeTarget[][] = parsed.steps.map(() => []);
  for (const f of found) {
    let from = f.set.partition ?? 0;
    let first = true;
    for (const [i, b] of f.batches.entries()) {
      if (batchSize(b) === 0) continue;
      batches[i]?.push({ workload: f.w, fromImage: f.fromImage, pods: { partition: b.partition, fromPartition: from, hi: b.hi, lo: b.lo, setsImage: first } });
      from = b.partition;
      first = false;
    }
  }
  const empty = batches.findIndex((b) => b.length === 0);
  if (empty >= 0) throw new BindError(`batch ${empty + 1} (${parsed.steps.length > 0 ? (plan.pods ?? [])[empty] : ''}) adds no pod on any cluster; leave it out`);
  const lines = found.map((f) => {
    const each = f.batches.map((b, i) => `batch ${i + 1}: ${podNames(f.w.name, b)}${batchSize(b) === 0 ? '' : ` (partition ${b.partition})`}`).join('; ');
    return `${f.w.cluster}: ${f.set.replicas} replicas, ${f.fromImage} → ${plan.image ?? ''}; ${each}. ${podPace(f.set.podManagementPolicy, f.set.maxUnavailable)}`;
  });
  const replicas = [...new Set(found.map((f) => f.set.replicas))];
  const differ = replicas.length > 1 ? [`Replicas differ per cluster (${found.map((f) => `${f.set.replicas} on ${f.w.cluster}`).join(', ')}): each batch is taken of each cluster's own replicas.`] : [];
  const restore = found.map((f) => `${f.w.cluster}: ${f.set.partition === undefined ? 'no rollingUpdate block (partition 0)' : `partition ${f.set.partition}`}`).join(', ');
  return {
    spec: {
      kind: 'upgrade',
      env: plan.env ?? '',
      app: plan.apps.join(','),
      apps: [...plan.apps],
      image: plan.image ?? '',
      gate: plan.gate ?? 'manual',
      // Every cluster's StatefulSet moves its batch at once.
      concurrency: Math.max(1, found.length),
      batches,
      pods: { asked: [...(plan.pods ?? [])], ...(plan.bake === undefined ? {} : { bake: plan.bake }), sets: found.map((f) => f.set) },
    },
    lines: [...lines, ...differ, `At the end (or on Abort and roll back) the update strategy is restored: ${restore}.`],
    notes: [],
    heading: 'Pod batches',
  };
}
