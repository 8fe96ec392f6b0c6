import { describeTarget, refOf } from '../context.ts';
import type { JobResult } from '../context.ts';
import { StaleRequest } from '../../kube/retry.ts';
import { mapLimit, rollbackCandidate } from '../upgrade-steps.ts';
import { abortPodRelease } from './upgrade-pods-abort.ts';
import { allTargets, endWith, keyOf, kubeMessage, snapshot, stepOf, type Run, type WorkloadOutcome } from './upgrade-run.ts';

/**
 * Abort; with rollback, every workload this operation may have written goes back to the image
 * it ran before, but only if it still runs the upgrade's image: a newer deploy is kept.
 */
export async function abortUpgrade(r: Run, rollback: boolean): Promise<JobResult> {
  if (r.spec.pods !== undefined) return abortPodRelease(r, rollback);
  const { spec, ctx, ledger, opId } = r;
  const snap = await snapshot(r);
  if (!rollback) return endWith(r, 'aborted', snap.gate.batch, undefined);
  const candidates = allTargets(spec).filter((t) => rollbackCandidate(stepOf(snap, t)));
  const outcomes = await mapLimit(candidates, spec.concurrency, (t) =>
    ctx.withLease(t.workload, async (): Promise<WorkloadOutcome & { kept?: boolean }> => {
      const w = t.workload;
      const gw = ctx.gatewayFor(w.cluster);
      let generation: number;
      let changed: boolean;
      let leaving: Awaited<ReturnType<typeof gw.history>>[number] | undefined;
      try {
        // The revision being left, to record it as undone once the write is in.
        leaving = (await gw.history(refOf(w))).find((x) => x.current);
        const res = await gw.setImage({ ...refOf(w), image: t.fromImage, container: w.container, expectedFrom: spec.image, changeCause: `chatops ${opId}: abort --rollback of the upgrade to ${spec.image} (by ${ctx.payload.decision?.by ?? '?'})` });
        generation = res.generation;
        changed = res.changed;
      } catch (e) {
        if (e instanceof StaleRequest) {
          const message = `kept: it no longer runs ${spec.image} (a newer change is never overwritten)`;
          await ledger.moveWorkload(opId, keyOf(t), stepOf(snap, t), message);
          return { ok: true, kept: true, message };
        }
        const msg = kubeMessage(e);
        if (msg === undefined) throw e;
        return { ok: false, message: msg };
      }
      await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', `back on ${t.fromImage}`);
      if (changed && leaving !== undefined && leaving.images.some((c) => c.image === spec.image)) await ctx.noteRevision(w, 'undone', leaving);
      if (changed) await ctx.audit('rolled_back', `rolled ${describeTarget(w)} back to ${t.fromImage} (abort of the upgrade to ${spec.image})`, { from: spec.image, to: t.fromImage }, w);
      let rollout: Awaited<ReturnType<typeof gw.followRollout>>;
      try {
        rollout = await gw.followRollout(refOf(w), { timeoutMs: ctx.rolloutTimeoutMs, minGeneration: generation, signal: ctx.signal });
      } catch (e) {
        const msg = kubeMessage(e);
        if (msg === undefined) throw e;
        return { ok: false, message: `back on ${t.fromImage}, but its rollout could not be followed: ${msg}` };
      }
      await ctx.progress({ step: 'rollback', cluster: w.cluster, workload: w.name, percent: 100, message: `back on ${t.fromImage}: ${rollout.message}` });
      if (rollout.outcome === 'cancelled') throw new Error(`following the rollback of ${describeTarget(w)} was cancelled`);
      if (rollout.outcome === 'complete') await ctx.noteRevision(w, 'complete', undefined, rollout.status);
      if (rollout.outcome !== 'complete') {
        const message = `back on ${t.fromImage}, but its rollout did not complete: ${rollout.message}`;
        await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', message);
        return { ok: false, message };
      }
      return { ok: true, message: `back on ${t.fromImage}` };
    }),
  );
  const bad = outcomes.filter((o) => !o.ok);
  const kept = outcomes.filter((o) => o.kept === true).length;
  const reason = bad.length > 0 ? `rollback failed on ${bad.length} workload(s): ${bad[0]?.message ?? ''}` : kept > 0 ? `${kept} kept a newer image` : undefined;
  return endWith(r, 'rolled_back', snap.gate.batch, reason);
}
