import { podNames } from '../../core/pod-batches.ts';
import { StaleRequest } from '../../kube/retry.ts';
import { describeTarget, followWithProgress, refOf, type JobResult } from '../context.ts';
import type { LedgerSnapshot } from '../ledger.ts';
import type { PodRelease, Workload } from '../spec.ts';
import { mapLimit, rollbackCandidate } from '../upgrade-steps.ts';
import { isPodTarget, lookAtPods, strategyWords, type PodTarget } from './upgrade-pods.ts';
import { endWith, keyOf, kubeMessage, snapshot, stepOf, type Run, type WorkloadOutcome } from './upgrade-run.ts';

/**
 * Abort of a pod-batch release. A plain abort leaves every StatefulSet as it is: the partition
 * stays where the release left it, so the pods it moved keep the new revision and the rest the
 * old (putting the partition back to 0 would roll every remaining pod to the new one).
 *
 * Abort and roll back puts the old template back with the partition raised to the replicas
 * (no pod moves: every ordinal is below it), then lowers the partition again through the same
 * steps the release took: a partition only ever moves pods from the highest ordinal down, so
 * the pods go back in the batches they went out in, each batch's pods back on the old revision
 * (the controller reuses the old ControllerRevision for the old template) and Ready before the
 * next. Last, the partition goes back to what it was before the release. Every write is
 * conditional on the partition the step before left; each batch that is back is marked
 * rolled_back in the ledger, so a run killed midway resumes without a step set backwards.
 */
function setOf(r: Run, t: PodTarget): PodRelease['sets'][number] | undefined {
  return r.spec.pods?.sets.find((s) => sameSet(s.workload, t.workload));
}

function sameSet(a: Workload, b: Workload): boolean {
  return a.cluster === b.cluster && a.namespace === b.namespace && a.name === b.name;
}

/** One StatefulSet back: template, then the batches it wrote, then the strategy. */
async function rollBackSet(r: Run, snap: LedgerSnapshot, set: PodRelease['sets'][number], targets: readonly PodTarget[]): Promise<WorkloadOutcome & { kept?: boolean }> {
  const { spec, ctx, ledger, opId } = r;
  const w = set.workload;
  const gw = ctx.gatewayFor(w.cluster);
  const written = targets.filter((t) => rollbackCandidate(stepOf(snap, t)) || stepOf(snap, t) === 'rolled_back');
  const todo = written.filter((t) => stepOf(snap, t) !== 'rolled_back');
  if (todo.length === 0) return { ok: true, message: 'nothing to roll back' };
  const lowest = Math.min(...written.map((t) => t.pods.partition));
  const fromImage = todo[0]?.fromImage ?? '';
  // The old template, with the partition above every ordinal; found in place when a run before this one wrote it.
  try {
    const res = await gw.setImageWithPartition({ ...refOf(w), image: fromImage, container: w.container, partition: set.replicas, expectedFrom: spec.image, expectedPartition: lowest });
    if (res.changed) await ctx.audit('rolled_back', `put ${fromImage} back on ${describeTarget(w)} with partition ${set.replicas} (no pod moves yet)`, { from: spec.image, to: fromImage, partition: res.partition }, w);
  } catch (e) {
    if (!(e instanceof StaleRequest)) throw e;
    // Already on the old image: a run before this one wrote the template (its partition steps follow); else someone else changed it.
    const s = await gw.status(refOf(w));
    if (!s.containers.some((c) => c.image === fromImage)) {
      const message = `kept: ${w.name} on ${w.cluster} no longer runs ${spec.image} (a newer change is never overwritten)`;
      for (const t of todo) await ledger.moveWorkload(opId, keyOf(t), stepOf(snap, t), message);
      return { ok: true, kept: true, message };
    }
  }
  let from = set.replicas;
  for (const t of written) {
    if (stepOf(snap, t) === 'rolled_back') {
      from = t.pods.partition;
      continue;
    }
    const res = await gw.setPartition({ ...refOf(w), partition: t.pods.partition, expectedFrom: from });
    from = t.pods.partition;
    const rollout = await followWithProgress(ctx, gw, w, res.generation);
    if (rollout.outcome === 'cancelled') throw new Error(`following the rollback of ${describeTarget(w)} was cancelled`);
    const seen = await lookAtPods(gw, w, set.replicas, t.pods.lo, rollout.outcome === 'complete' ? 10 : 1);
    const back = seen.revision === set.fromRevision ? `back on revision ${set.fromRevision}` : `on revision ${seen.revision ?? '?'} (the old one was ${set.fromRevision})`;
    const line = `${podNames(w.name, t.pods)}: ${back}, ${seen.pods.ready} of ${seen.pods.wanted} Ready`;
    await ctx.progress({ step: 'rollback', cluster: w.cluster, workload: w.name, percent: 100, message: line });
    if (rollout.outcome !== 'complete' || !seen.pods.ok) {
      const message = `${line}; ${seen.pods.problems.slice(0, 3).join('; ') || rollout.message}`;
      await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', message);
      return { ok: false, message };
    }
    await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', line);
  }
  const restored = await gw.setPartition({ ...refOf(w), partition: set.partition, expectedFrom: lowest });
  if (restored.changed) await ctx.audit('rolled_back', `restored the update strategy of ${describeTarget(w)}: ${strategyWords(set.partition)}`, { partition: { from: restored.from, to: set.partition ?? null } }, w);
  await ctx.noteRevision(w, 'complete');
  return { ok: true, message: `back on ${fromImage}, ${strategyWords(set.partition)}` };
}

export async function abortPodRelease(r: Run, rollback: boolean): Promise<JobResult> {
  const { spec } = r;
  const snap = await snapshot(r);
  const targets = spec.batches.flat().filter(isPodTarget);
  if (!rollback) {
    const mixed = (spec.pods?.sets ?? []).map((set) => {
      const moved = targets.filter((t) => sameSet(t.workload, set.workload) && rollbackCandidate(stepOf(snap, t)));
      const lowest = Math.min(set.replicas, ...moved.map((t) => t.pods.partition));
      return lowest >= set.replicas ? `${set.workload.cluster}: untouched` : `${set.workload.cluster}: ${set.workload.name}-${set.replicas - 1}…${lowest} on ${spec.image}, the rest on the old image, partition ${lowest}`;
    });
    return endWith(r, 'aborted', snap.gate.batch, `the StatefulSets are left mixed, partition kept (back to 0 would roll every remaining pod): ${mixed.join('; ')}`);
  }
  const sets = spec.pods?.sets ?? [];
  const outcomes = await mapLimit(sets, spec.concurrency, (set) =>
    r.ctx.withLease(set.workload, async () => {
      try {
        return await rollBackSet(r, snap, set, targets.filter((t) => sameSet(t.workload, set.workload) && setOf(r, t) !== undefined));
      } catch (e) {
        const msg = kubeMessage(e);
        if (msg === undefined) throw e;
        return { ok: false, message: msg };
      }
    }),
  );
  const bad = outcomes.filter((o) => !o.ok);
  const kept = outcomes.filter((o) => 'kept' in o && o.kept === true).length;
  const reason = bad.length > 0 ? `rollback failed on ${bad.length} StatefulSet(s): ${bad[0]?.message ?? ''}` : kept > 0 ? `${kept} kept a newer image` : undefined;
  return endWith(r, 'rolled_back', snap.gate.batch, reason);
}
