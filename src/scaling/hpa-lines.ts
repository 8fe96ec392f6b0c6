import type { HpaState } from '../kube/hpa.ts';

/**
 * What /status says about a workload's HPA: replicas now and wanted within its bounds, each
 * metric against its target, the newest scaling event and its reason, and a condition that
 * keeps it from scaling. Pure.
 */
export function hpaLines(h: HpaState): string[] {
  const metrics = h.metrics.map((m) => `${m.name} ${m.current ?? 'not measured yet'} (target ${m.target})`).join('; ');
  const lines = [`HPA ${h.name}: ${h.currentReplicas} now, ${h.desiredReplicas} desired (min ${h.settings.min}, max ${h.settings.max}${h.settings.scaleDownSeconds === undefined ? '' : `, scale-down window ${h.settings.scaleDownSeconds}s`}); ${metrics}`];
  const stuck = h.conditions.find((c) => (c.type === 'ScalingActive' || c.type === 'AbleToScale') && c.status === 'False');
  if (stuck !== undefined) lines.push(`  not scaling: ${stuck.reason ?? stuck.type}${stuck.message === undefined ? '' : `: ${stuck.message}`}`);
  const limited = h.conditions.find((c) => c.type === 'ScalingLimited' && c.status === 'True');
  if (limited !== undefined) lines.push(`  limited: ${limited.reason ?? ''}${limited.message === undefined ? '' : `: ${limited.message}`}`);
  const e = h.lastEvent;
  if (e !== undefined) lines.push(`  last scaling event${e.at === undefined ? '' : ` ${e.at.toISOString().slice(0, 19).replace('T', ' ')} UTC`}: ${e.reason}: ${e.message}`);
  else if (h.lastScaleTime !== undefined) lines.push(`  last scaled ${h.lastScaleTime.toISOString().slice(0, 19).replace('T', ' ')} UTC`);
  return lines;
}
