import { expectedChanges } from '../preview.ts';
import { restartWrite } from '../writes.ts';
import { describeTarget, followWithProgress, forEachTarget, outageNote, summarize, type Processor, type TargetResult } from '../context.ts';

/** A rolling restart keyed by the operation's token: a replay finds the token set and writes nothing. */
export const restart: Processor<'restart'> = async (spec, ctx) => {
  const results = await forEachTarget(spec.targets, (t) =>
    ctx.withLease(t.workload, async (): Promise<TargetResult> => {
      const w = t.workload;
      const gw = ctx.gatewayFor(w.cluster);
      const base = { cluster: w.cluster, workload: `${w.namespace}/${w.name}` };
      const r = await gw.restart({ ...restartWrite(spec, t), expect: expectedChanges(ctx.payload.preview, w) });
      await ctx.audit('step', `${r.changed ? 'restarted' : 'found restarted'} ${describeTarget(w)}`, { token: spec.token, changed: r.changed }, w);
      const rollout = await followWithProgress(ctx, gw, w, r.generation);
      if (rollout.outcome !== 'cancelled') await ctx.noteRevision(w, rollout.outcome === 'complete' ? 'complete' : 'failed', undefined, rollout.status);
      if (rollout.outcome !== 'complete') return { ...base, outcome: 'failed', message: rollout.message };
      return { ...base, outcome: r.changed ? 'done' : 'unchanged', message: `restarted${outageNote(w.cluster, rollout)}` };
    }),
  );
  return summarize('restart', results);
};
