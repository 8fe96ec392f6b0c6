import { StaleRequest } from '../../kube/retry.ts';
import { expectedChanges } from '../preview.ts';
import { rollbackWrite } from '../writes.ts';
import { describeTarget, followWithProgress, forEachTarget, outageNote, refOf, summarize, type Processor, type TargetResult } from '../context.ts';

/**
 * Rolls each workload back to the revision bound when the request was made, conditional on the
 * revision it ran then. After the rollback that revision comes back under a new number, so a
 * replay finds the workload already running the target image and writes nothing.
 */
export const rollback: Processor<'rollback'> = async (spec, ctx) => {
  const results = await forEachTarget(spec.targets, (t) =>
    ctx.withLease(t.workload, async (): Promise<TargetResult> => {
      const w = t.workload;
      const gw = ctx.gatewayFor(w.cluster);
      const base = { cluster: w.cluster, workload: `${w.namespace}/${w.name}` };
      if (t.fromRevision === t.toRevision) return { ...base, outcome: 'unchanged', message: `already at revision ${t.toRevision}` };
      const status = await gw.status(refOf(w));
      const running = status.containers.find((c) => w.container === undefined || c.name === w.container)?.image;
      // What became of both revisions: the one it went back to (complete or failed), the one it left (undone).
      const settle = async (generation: number) => {
        const rollout = await followWithProgress(ctx, gw, w, generation);
        if (rollout.outcome === 'cancelled') return rollout;
        await ctx.noteRevision(w, rollout.outcome === 'complete' ? 'complete' : 'failed', undefined, rollout.status);
        if (t.fromKey !== undefined) await ctx.noteRevision(w, 'undone', { key: t.fromKey, revision: t.fromRevision });
        return rollout;
      };
      if (status.revision !== t.fromRevision) {
        // Already rolled back by an earlier run of this job: the target template is live.
        if (running === t.toImage) {
          await settle(status.generation);
          return { ...base, outcome: 'unchanged', message: `already runs ${t.toImage}` };
        }
        return { ...base, outcome: 'blocked', message: `${describeTarget(w)} is at revision ${status.revision ?? '?'} now, not ${t.fromRevision} as when asked; nothing was changed` };
      }
      try {
        const r = await gw.rollback({ ...rollbackWrite(t, ctx.payload), expect: expectedChanges(ctx.payload.preview, w) });
        await ctx.audit('step', `rolled ${describeTarget(w)} back from revision ${r.from.revision} to ${r.to.revision}`, { from: r.from.revision, to: r.to.revision, changed: r.changed }, w);
        const rollout = await settle(r.generation);
        if (rollout.outcome !== 'complete') return { ...base, outcome: 'failed', message: rollout.message };
        return { ...base, outcome: 'done', message: `back on revision ${t.toRevision} (${t.toImage})${outageNote(w.cluster, rollout)}` };
      } catch (e) {
        if (e instanceof StaleRequest) return { ...base, outcome: 'blocked', message: e.message };
        throw e;
      }
    }),
  );
  return summarize('rollback', results);
};
