import { setTimeout as sleep } from 'node:timers/promises';
import { batchPods, podNames, type BatchPods } from '../../core/pod-batches.ts';
import type { ClusterGateway } from '../../kube/gateway.ts';
import { selectContainers } from '../../kube/images.ts';
import { describeTarget, followWithProgress, outageNote, refOf, rolloutFailure } from '../context.ts';
import type { LedgerSnapshot } from '../ledger.ts';
import type { PodBatchStep, UpgradeTarget, Workload } from '../spec.ts';
import { expectedChanges } from '../preview.ts';
import { mapLimit } from '../upgrade-steps.ts';
import { podBatchWrite } from '../writes.ts';
import { keyOf, stepTarget, type Run, type WorkloadOutcome } from './upgrade-run.ts';

/**
 * One StatefulSet's part of a pod batch (`/deploy … pods=`): lower its partition to the batch's
 * (the first batch sets the new image in the same write), then wait until every pod from the top
 * ordinal down to the batch's lowest runs the new revision (controller-revision-hash equal to the
 * StatefulSet's updateRevision) and is Ready. Every write is conditional on the partition the
 * batch before left, so a stale step never sets it backwards, and a write that already landed
 * (a worker killed after it) is found in place and not made again. The ledger moves as for a
 * workload of a batch upgrade: pending → written → done | failed.
 */
export type PodTarget = UpgradeTarget & { readonly pods: PodBatchStep };

export function isPodTarget(t: UpgradeTarget): t is PodTarget {
  return t.pods !== undefined;
}

/** The same StatefulSet's replicas as bound (the batch's pods are counted against them). */
function replicasOf(r: Run, w: Workload): number {
  return r.spec.pods?.sets.find((s) => s.workload.cluster === w.cluster && s.workload.namespace === w.namespace && s.workload.name === w.name)?.replicas ?? 0;
}

/** The pods against the batch: a few reads while the controller's status and the pods settle. */
export async function lookAtPods(gw: ClusterGateway, w: Workload, replicas: number, lo: number, tries: number): Promise<{ pods: BatchPods; revision: string | undefined }> {
  for (let i = 1; ; i++) {
    const d = await gw.diagnose(refOf(w), { eventLimit: 0 });
    const pods = batchPods(w.name, replicas, lo, d.status.updateRevision, d.pods);
    if (pods.ok || i >= tries) return { pods, revision: d.status.updateRevision };
    await sleep(500);
  }
}

function podLine(t: PodTarget, revision: string | undefined, pods: BatchPods): string {
  const head = `${podNames(t.workload.name, { partition: t.pods.partition, hi: t.pods.hi, lo: t.pods.lo })}: partition ${t.pods.partition}, revision ${revision ?? '?'}, ${pods.ready} of ${pods.wanted} updated pod(s) Ready`;
  return pods.problems.length === 0 ? head : `${head}; ${pods.problems.slice(0, 3).join('; ')}${pods.problems.length > 3 ? '; …' : ''}`;
}

export async function updatePodBatch(r: Run, t: PodTarget, snap: LedgerSnapshot, batch: number): Promise<WorkloadOutcome> {
  const { spec, ctx, ledger, opId } = r;
  const w = t.workload;
  const key = keyOf(t);
  const replicas = replicasOf(r, w);
  return stepTarget(r, t, snap, batch, async ({ action, fail, done }) => {
    const gw = ctx.gatewayFor(w.cluster);
    const s = await gw.status(refOf(w));
    const sel = selectContainers(s.containers, spec.image, w.container);
    const running = sel.ok ? [...new Set(sel.containers.map((c) => c.image))] : [];
    let generation: number;
    if (action === 'write') {
      // Later batches only move the partition: the image must still be this release's.
      if (!t.pods.setsImage && (!sel.ok || running.some((img) => img !== spec.image))) {
        return fail(`${describeTarget(w)} was changed by someone else during this release: it runs ${running.join(', ') || 'something else'}, not ${spec.image}`);
      }
      const cause = `chatops ${opId}: ${spec.image} to pods ${podNames(w.name, t.pods)} (batch ${batch + 1} of ${spec.batches.length}, by ${ctx.payload.requestedBy})`;
      // The first write is the one dry run when the release was asked for: it must still start from the diff's "from".
      const write = podBatchWrite(spec, t, t.pods);
      const res = write.kind === 'image+partition' ? await gw.setImageWithPartition({ ...write.input, expect: expectedChanges(ctx.payload.preview, w) }) : await gw.setPartition(write.input);
      generation = res.generation;
      const partition = 'partition' in res ? res.partition : { from: res.from, to: res.to };
      await ledger.moveWorkload(opId, key, 'written', res.changed ? `partition ${partition.from} → ${partition.to}` : `already at partition ${t.pods.partition}`);
      await ctx.audit('step', `${res.changed ? 'lowered' : 'found'} the partition of ${describeTarget(w)} ${res.changed ? `from ${partition.from} ` : ''}to ${t.pods.partition} (batch ${batch + 1}: ${podNames(w.name, t.pods)}; ${cause})`, { changed: res.changed, partition, batch: batch + 1, image: spec.image }, w);
    } else {
      // Written by an earlier run: look, don't write again.
      if (!sel.ok || running.some((img) => img !== spec.image) || s.partition !== t.pods.partition) {
        return fail(`${describeTarget(w)} was changed by someone else after this release wrote to it: it runs ${running.join(', ') || 'something else'} with partition ${s.partition ?? 0}, not ${spec.image} with partition ${t.pods.partition}`);
      }
      generation = s.generation;
    }
    await ctx.progress({ step: 'rollout', batch: batch + 1, cluster: w.cluster, workload: w.name, percent: 0, message: `moving ${podNames(w.name, t.pods)} to ${spec.image}` });
    const rollout = await followWithProgress(ctx, gw, w, generation, batch + 1);
    if (rollout.outcome === 'cancelled') throw new Error(`following the pods of ${describeTarget(w)} was cancelled`);
    const seen = await lookAtPods(gw, w, replicas, t.pods.lo, rollout.outcome === 'complete' ? 10 : 1);
    const line = podLine(t, seen.revision, seen.pods);
    if (rollout.outcome !== 'complete' || !seen.pods.ok) {
      await ctx.noteRevision(w, 'failed');
      return fail(`${line}${rollout.outcome === 'complete' ? '' : ` (${rolloutFailure(rollout)})`}`);
    }
    return done(`${line}${outageNote(w.cluster, rollout)}`);
  });
}

/**
 * bake=: after batch `i` passed its gate and before it goes on by itself, wait `seconds`, then
 * look again: every StatefulSet's pods of the batch still at the update revision and Ready, and
 * the probes. A batch that no longer holds fails (the release pauses). While it bakes the batch
 * stays running in the ledger, so a worker killed meanwhile bakes it again from the start.
 */
export async function bakeBatch(r: Run, i: number, seconds: number, probe: () => Promise<string[]>): Promise<string[]> {
  const { spec, ctx, ledger, opId } = r;
  const targets = (spec.batches[i] ?? []).filter(isPodTarget);
  await ctx.progress({ step: 'gate', batch: i + 1, percent: 100, message: `batch ${i + 1} is healthy; baking ${seconds} s before going on` });
  await sleep(seconds * 1000, undefined, { signal: ctx.signal });
  const problems: string[] = [];
  for (const t of targets) {
    const seen = await lookAtPods(ctx.gatewayFor(t.workload.cluster), t.workload, replicasOf(r, t.workload), t.pods.lo, 1);
    if (seen.pods.ok) continue;
    const message = `after baking ${seconds} s: ${podLine(t, seen.revision, seen.pods)}`;
    await ledger.moveWorkload(opId, keyOf(t), 'failed', message);
    problems.push(`${t.workload.name} on ${t.workload.cluster} ${message}`);
  }
  if (problems.length === 0) problems.push(...(await probe()));
  await ctx.audit('step', `batch ${i + 1} baked ${seconds} s: ${problems.length === 0 ? 'still healthy' : problems.join('; ')}`, { batch: i + 1, bakeSeconds: seconds });
  return problems;
}

/**
 * Once every batch is healthy: each StatefulSet's partition back to what it was before the
 * release (usually already there: the last batch reaches partition 0). Conditional on the
 * partition the last batch left; a no-op when already restored.
 */
export async function restoreStrategy(r: Run): Promise<void> {
  const { spec, ctx } = r;
  const sets = spec.pods?.sets ?? [];
  await mapLimit(sets, spec.concurrency, async (set) => {
    const last = spec.batches.flat().filter((t) => t.pods !== undefined && keyOfSet(t.workload) === keyOfSet(set.workload)).at(-1);
    const res = await ctx.gatewayFor(set.workload.cluster).setPartition({ ...refOf(set.workload), partition: set.partition, ...(last?.pods === undefined ? {} : { expectedFrom: last.pods.partition }) });
    if (res.changed) await ctx.audit('step', `restored the update strategy of ${describeTarget(set.workload)}: ${strategyWords(set.partition)} (from partition ${res.from})`, { partition: { from: res.from, to: set.partition ?? null } }, set.workload);
  });
}

export function strategyWords(partition: number | undefined): string {
  return partition === undefined ? 'no rollingUpdate block, as before' : `partition ${partition}`;
}

function keyOfSet(w: Workload): string {
  return `${w.cluster}/${w.namespace}/${w.name}`;
}
