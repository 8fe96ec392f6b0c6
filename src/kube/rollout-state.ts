import type { WorkloadStatus } from './status.ts';

/**
 * Where a rollout stands, from one status read. Pure and apart from rollout.ts (which follows
 * rollouts through watches and so loads the Kubernetes client), so the request path can judge
 * a status without loading the client at start (test/unit/architecture/lazy-kube-client).
 */
export type RolloutPhase = 'progressing' | 'complete' | 'failed';

export interface RolloutState {
  readonly phase: RolloutPhase;
  /** ProgressDeadlineExceeded when failed. */
  readonly reason: string | undefined;
  /** A sentence for chat ("2 of 3 new pods updated"). */
  readonly message: string;
}

/** Where a rollout stands, the way `kubectl rollout status` decides it. Pure. */
export function rolloutState(s: WorkloadStatus, minGeneration = 0, since?: Date): RolloutState {
  const r = s.replicas;
  if (s.observedGeneration < Math.max(s.generation, minGeneration)) return { phase: 'progressing', reason: undefined, message: 'waiting for the controller to pick up the change' };
  if (s.ref.kind === 'Deployment') {
    const progressing = s.conditions.find((c) => c.type === 'Progressing');
    // A deadline exceeded before this rollout began belongs to the previous one (see deadlineExceededAt).
    const stale = since !== undefined && s.deadlineExceededAt !== undefined && s.deadlineExceededAt.getTime() < since.getTime();
    if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded' && !stale) {
      const detail = progressing.message === undefined ? '' : ` (${progressing.message})`;
      return { phase: 'failed', reason: 'ProgressDeadlineExceeded', message: `the rollout made no progress within its progress deadline${detail}` };
    }
    if (s.paused) return { phase: 'progressing', reason: undefined, message: 'the deployment is paused' };
    if (r.updated < r.desired) return { phase: 'progressing', reason: undefined, message: `${r.updated} of ${r.desired} new pods updated` };
    if (r.current > r.updated) return { phase: 'progressing', reason: undefined, message: `${r.current - r.updated} old pods pending termination` };
    if (r.current > r.desired) return { phase: 'progressing', reason: undefined, message: `${r.current - r.desired} extra pods pending termination` };
    if (r.available < r.updated) return { phase: 'progressing', reason: undefined, message: `${r.available} of ${r.updated} updated pods available` };
    return { phase: 'complete', reason: undefined, message: `${r.updated} of ${r.desired} pods updated and available` };
  }
  if (s.strategy !== 'RollingUpdate') return { phase: 'complete', reason: undefined, message: `the ${s.strategy} strategy updates pods only when they are deleted` };
  if (r.ready < r.desired) return { phase: 'progressing', reason: undefined, message: `${r.ready} of ${r.desired} pods ready` };
  if (r.current > r.desired) return { phase: 'progressing', reason: undefined, message: `${r.current - r.desired} extra pods pending termination` };
  if (s.partition !== undefined && s.partition > 0) {
    const want = Math.max(0, r.desired - s.partition);
    if (r.updated < want) return { phase: 'progressing', reason: undefined, message: `${r.updated} of ${want} pods above the partition updated` };
    return { phase: 'complete', reason: undefined, message: `${r.updated} pods with ordinal >= ${s.partition} updated` };
  }
  if (s.updateRevision !== s.currentRevision) return { phase: 'progressing', reason: undefined, message: `${r.updated} of ${r.desired} pods updated` };
  if (r.available < r.desired) return { phase: 'progressing', reason: undefined, message: `${r.available} of ${r.desired} pods available` };
  return { phase: 'complete', reason: undefined, message: `${r.desired} pods updated and ready` };
}
