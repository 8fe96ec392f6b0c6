import { describeHpaSettings } from '../../core/autoscale.ts';
import { StaleRequest } from '../../kube/retry.ts';
import { describeTarget, forEachTarget, summarize, type Processor, type TargetResult } from '../context.ts';
import { autoscaleWrite } from '../writes.ts';

/**
 * Creates, updates or removes the workload's HPA on every bound cluster, each conditional on
 * the HPA it found when asked. Already as wanted counts as done, so a replay changes nothing.
 */
export const autoscale: Processor<'autoscale'> = async (spec, ctx) => {
  const results = await forEachTarget(spec.targets, (t) =>
    ctx.withLease(t.workload, async (): Promise<TargetResult> => {
      const w = t.workload;
      const base = { cluster: w.cluster, workload: `${w.namespace}/${w.name}` };
      const gw = ctx.gatewayFor(w.cluster);
      try {
        const write = autoscaleWrite(spec, t);
        if (write.kind === 'remove') {
          const r = await gw.removeHpa(write.input);
          const message = r.removed ? `removed HPA ${r.name ?? ''}; ${r.replicas} replicas stay` : `had no HPA; ${r.replicas} replicas stay`;
          await ctx.audit('step', `${r.removed ? 'removed the autoscaler of' : 'found no autoscaler on'} ${describeTarget(w)}`, { name: r.name, replicas: r.replicas, removed: r.removed }, w);
          await ctx.progress({ step: 'autoscale', cluster: w.cluster, workload: w.name, percent: 100, message });
          return { ...base, outcome: r.removed ? 'done' : 'unchanged', message };
        }
        const r = await gw.applyHpa(write.input);
        const to = describeHpaSettings(write.input.settings);
        const message = !r.changed ? `HPA ${r.name} already ${to}` : r.created ? `created HPA ${r.name}: ${to}` : `HPA ${r.name}: ${r.from === null ? '' : `${describeHpaSettings(r.from)} → `}${to}`;
        await ctx.audit('step', `${r.changed ? (r.created ? 'created' : 'updated') : 'found'} the autoscaler of ${describeTarget(w)}`, { name: r.name, from: r.from, to: spec.hpa, changed: r.changed }, w);
        await ctx.progress({ step: 'autoscale', cluster: w.cluster, workload: w.name, percent: 100, message });
        return { ...base, outcome: r.changed ? 'done' : 'unchanged', message };
      } catch (e) {
        if (e instanceof StaleRequest) return { ...base, outcome: 'blocked', message: e.message };
        throw e;
      }
    }),
  );
  return summarize('autoscale', results);
};
