import { KubeError } from '../../kube/errors.ts';
import { StaleRequest } from '../../kube/retry.ts';
import { expectedChanges } from '../preview.ts';
import { deployWrite } from '../writes.ts';
import { describeTarget, followWithProgress, forEachTarget, outageNote, refOf, rolloutFailure, summarize, type Processor, type TargetResult } from '../context.ts';
import { probeVerdict } from '../probe-verdict.ts';
import { promotionBlock } from '../promotion.ts';
import type { RevisionRef } from '../revision-health.ts';

/**
 * Sets the new image on every bound workload, follows each rollout to the end, and then, when
 * the app has a probe, holds the deploy to its probe gate (probe-gate.ts): a deploy counts only
 * once its probe agrees. A workload no longer running the image it ran when the request was
 * made is left alone (blocked: someone else changed it); one already running the new image
 * counts as done. A failed rollout or probe gate is rolled back to the bound "from" revision
 * when the environment asks for it; that rollback is not probed or rolled back in turn.
 *
 * A promotion is this deploy of the source's digest, run only while every source cluster it
 * took from still runs that digest and is healthy; otherwise it is blocked, nothing changed.
 */
export const deploy: Processor<'deploy'> = async (spec, ctx) => {
  const verb = spec.promotion === undefined ? 'deploy' : 'promotion';
  if (spec.promotion !== undefined) {
    const block = await promotionBlock({ config: ctx.config, gatewayFor: ctx.gatewayFor, fetch: ctx.fetch, signal: ctx.signal }, spec.promotion);
    if (block !== undefined) {
      await ctx.audit('step', `promotion blocked: ${block}`, { promotion: spec.promotion });
      return summarize(verb, spec.targets.map((t) => ({ cluster: t.workload.cluster, workload: `${t.workload.namespace}/${t.workload.name}`, outcome: 'blocked' as const, message: block })));
    }
  }
  const results = await forEachTarget(spec.targets, (t) =>
    ctx.withLease(t.workload, async (): Promise<TargetResult> => {
      const w = t.workload;
      const gw = ctx.gatewayFor(w.cluster);
      const base = { cluster: w.cluster, workload: `${w.namespace}/${w.name}` };
      let generation: number;
      try {
        const r = await gw.setImage({ ...deployWrite(spec, t, ctx.payload), expect: expectedChanges(ctx.payload.preview, w) }, { firstRead: ctx.earlyRead(w) });
        generation = r.generation;
        await ctx.audit('step', `${r.changed ? 'set' : 'found'} ${spec.image} on ${describeTarget(w)}`, { changed: r.changed, containers: r.containers }, w);
      } catch (e) {
        if (e instanceof StaleRequest) return { ...base, outcome: 'blocked', message: e.message };
        throw e;
      }
      await ctx.progress({ step: 'rollout', cluster: w.cluster, workload: w.name, percent: 0, message: `rolling out on ${w.cluster}` });
      const rollout = await followWithProgress(ctx, gw, w, generation);
      // A failed deploy (rollout or probe) is rolled back where the env asks; the revision it
      // went to is recorded as failed and then undone, the one it went back to as good again.
      const undo = async (why: string, bad: RevisionRef | undefined): Promise<TargetResult> => {
        if (!spec.autoRollback) return { ...base, outcome: 'failed', message: why };
        try {
          const rb = await gw.rollback({ ...refOf(w), target: { kind: 'revision', revision: t.fromRevision }, changeCause: `chatops ${ctx.payload.opId}: automatic rollback after a failed ${verb}` });
          await ctx.audit('rolled_back', `rolled ${describeTarget(w)} back to revision ${t.fromRevision} after: ${why}`, { from: rb.from.revision, to: rb.to.revision }, w);
          if (bad !== undefined) await ctx.noteRevision(w, 'undone', bad);
          // Followed to the end, so the revision it went back to is known good again (or not).
          const back = await followWithProgress(ctx, gw, w, rb.generation);
          if (back.outcome === 'complete') await ctx.noteRevision(w, 'complete', undefined, back.status);
          const after = back.outcome === 'complete' ? `${t.fromImage} is live again` : `its rollout did not complete either: ${back.message}`;
          return { ...base, outcome: 'rolled_back', message: `${why}; rolled back to ${t.fromImage}: ${after}` };
        } catch (e) {
          const msg = e instanceof KubeError ? e.message : 'the automatic rollback failed';
          return { ...base, outcome: 'failed', message: `${why}; ${msg}` };
        }
      };
      if (rollout.outcome !== 'complete') return undo(rolloutFailure(rollout), rollout.outcome === 'cancelled' ? undefined : await ctx.noteRevision(w, 'failed', undefined, rollout.status));
      const live = `${spec.image} is live${outageNote(w.cluster, rollout)}`;
      // Known good means rolled out and, when the app has a probe, passing it.
      const verdict = await probeVerdict(ctx, w, spec.image);
      if (verdict !== undefined && !verdict.passed) return undo(verdict.summary, await ctx.noteRevision(w, 'failed', undefined, rollout.status));
      await ctx.noteRevision(w, 'complete', undefined, rollout.status);
      return { ...base, outcome: 'done', message: verdict === undefined ? live : `${live}; ${verdict.summary}` };
    }),
  );
  return summarize(verb, results);
};
