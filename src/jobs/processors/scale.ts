import { StaleRequest } from '../../kube/retry.ts';
import { scaleWrite } from '../writes.ts';
import { describeTarget, forEachTarget, summarize, type Processor, type TargetResult } from '../context.ts';

/** Scales every bound workload, conditional on the replica count it had when asked. */
export const scale: Processor<'scale'> = async (spec, ctx) => {
  const results = await forEachTarget(spec.targets, (t) =>
    ctx.withLease(t.workload, async (): Promise<TargetResult> => {
      const w = t.workload;
      const base = { cluster: w.cluster, workload: `${w.namespace}/${w.name}` };
      try {
        const r = await ctx.gatewayFor(w.cluster).scale(scaleWrite(spec, t));
        await ctx.audit('step', `${r.changed ? 'scaled' : 'found'} ${describeTarget(w)} at ${spec.replicas} replicas`, { from: r.from, to: r.to, changed: r.changed }, w);
        await ctx.progress({ step: 'scale', cluster: w.cluster, workload: w.name, percent: 100, message: `${r.from} → ${r.to} replicas` });
        return { ...base, outcome: r.changed ? 'done' : 'unchanged', message: `${r.from} → ${r.to} replicas` };
      } catch (e) {
        if (e instanceof StaleRequest) return { ...base, outcome: 'blocked', message: e.message };
        throw e;
      }
    }),
  );
  return summarize('scale', results);
};
