import { KubeError } from '../../kube/errors.ts';
import { StaleRequest } from '../../kube/retry.ts';
import type { WorkloadStatus } from '../../kube/status.ts';
import type { JobContext, JobResult, TargetResult } from '../context.ts';
import { targetKey, type Ledger, type LedgerSnapshot } from '../ledger.ts';
import type { SpecOf, UpgradeTarget } from '../spec.ts';
import { workloadAction, type GateState } from '../upgrade-steps.ts';

/**
 * What the parts of a batch upgrade's run share (upgrade.ts runs the batches, upgrade-abort.ts
 * aborts and rolls back): the run, the ledger read as workload steps and as a job result.
 */
export type Spec = SpecOf<'upgrade'>;

export interface Run {
  readonly spec: Spec;
  readonly ctx: JobContext;
  readonly ledger: Ledger;
  readonly opId: string;
  /** This job's decision number (0: the first job). */
  readonly n: number;
}

export interface WorkloadOutcome {
  readonly ok: boolean;
  readonly message: string;
  /** The workload's state its rollout was judged complete on, when this run followed it. */
  readonly seen?: WorkloadStatus | undefined;
}

export const keyOf = (t: UpgradeTarget): string => targetKey(t);

export function allTargets(spec: Spec): UpgradeTarget[] {
  return spec.batches.flat();
}

export function stepOf(snap: LedgerSnapshot, t: UpgradeTarget) {
  return snap.workloads.get(keyOf(t))?.step ?? 'pending';
}

export function percentDone(spec: Spec, snap: LedgerSnapshot): number {
  const all = allTargets(spec);
  return Math.round((100 * all.filter((t) => stepOf(snap, t) === 'done').length) / Math.max(1, all.length));
}

export function targetResults(spec: Spec, snap: LedgerSnapshot): TargetResult[] {
  const out: TargetResult[] = [];
  for (const t of allTargets(spec)) {
    const e = snap.workloads.get(keyOf(t));
    if (e === undefined || e.step === 'pending') continue;
    const outcome: TargetResult['outcome'] = e.step === 'written' ? 'done' : e.step;
    out.push({ cluster: t.workload.cluster, workload: `${t.workload.namespace}/${t.workload.name}`, outcome, message: e.message ?? e.step });
  }
  return out;
}

/** What the ledger says, as a job result (also what a replayed or overtaken job reports). */
export function resultFromLedger(spec: Spec, snap: LedgerSnapshot, opId: string): JobResult {
  const total = spec.batches.length;
  const targets = targetResults(spec, snap);
  const g = snap.gate;
  const count = allTargets(spec).length;
  const why = g.reason === undefined ? '' : `: ${g.reason.replace(/\.+$/, '')}`;
  switch (g.state) {
    case 'done':
      return { outcome: 'succeeded', summary: `upgrade to ${spec.image} finished on ${count} workload(s) in ${total} batch(es)`, targets };
    case 'waiting_decision':
      if (g.reason !== undefined) {
        return { outcome: 'paused', summary: `paused before batch ${g.batch + 1} of ${total}${why}. Say /continue ${opId} once it is allowed again, or /abort ${opId} [--rollback].`, targets };
      }
      return {
        outcome: 'paused',
        summary: `batch ${g.batch} of ${total} is healthy; waiting for a decision: /continue ${opId} for batch ${g.batch + 1}, or /abort ${opId} [--rollback]`,
        targets,
      };
    case 'paused_failed':
      return { outcome: 'paused', summary: `batch ${g.batch} of ${total} failed${why}. Fix it and /retry ${opId}, or /abort ${opId} --rollback.`, targets };
    case 'aborted':
    case 'rolled_back': {
      const by = snap.decision === undefined ? '' : ` by ${snap.decision.by}`;
      // A pod-batch release counts StatefulSets (each is in every batch), a batch upgrade workloads.
      const back = new Set(targets.filter((t) => t.outcome === 'rolled_back').map((t) => `${t.cluster}/${t.workload}`)).size;
      const unit = spec.pods === undefined ? 'workload(s)' : 'StatefulSet(s)';
      const tail =
        g.state === 'rolled_back'
          ? `; ${back} ${unit} rolled back to their old image${why}`
          : spec.pods === undefined
            ? `; ${targets.filter((t) => t.outcome === 'done').length} workload(s) keep ${spec.image}`
            : why;
      const failed = g.reason?.startsWith('rollback failed') === true;
      return { outcome: failed ? 'failed' : 'cancelled', summary: `upgrade to ${spec.image} aborted${by}${tail}`, targets };
    }
    case 'running':
      return { outcome: 'paused', summary: `upgrade to ${spec.image} is being run by another job`, targets, superseded: true };
  }
}

export async function snapshot(r: Run): Promise<LedgerSnapshot> {
  const snap = await r.ledger.read(r.opId);
  if (snap === undefined) throw new Error(`operation ${r.opId} has no upgrade ledger`);
  return snap;
}

/** Moves the gate and ends the job with what the ledger says then. */
export async function endWith(r: Run, state: GateState, batch: number, reason?: string): Promise<JobResult> {
  await r.ledger.setGate(r.opId, r.n, state, batch, reason);
  return resultFromLedger(r.spec, await snapshot(r), r.opId);
}

/** What the work on one target of a batch gets: whether to write or look again, and how it ends. */
export interface TargetStep {
  readonly action: 'write' | 'recheck';
  readonly fail: (message: string) => Promise<WorkloadOutcome>;
  readonly done: (message: string) => Promise<WorkloadOutcome>;
}

/**
 * One target of a batch, the part workload batches and pod batches share: what is finished is
 * skipped (never touched again), the rest runs under the workload's lease; it ends done or failed
 * in the ledger and in chat, and an error no retry fixes (stale, forbidden, gone, invalid) fails
 * the target (the batch pauses) while any other error retries the job.
 */
export async function stepTarget(r: Run, t: UpgradeTarget, snap: LedgerSnapshot, batch: number, work: (s: TargetStep) => Promise<WorkloadOutcome>): Promise<WorkloadOutcome> {
  const step = stepOf(snap, t);
  const action = workloadAction(step);
  if (action === 'skip') return { ok: step === 'done', message: snap.workloads.get(keyOf(t))?.message ?? step };
  const w = t.workload;
  const say = (percent: number, message: string) => r.ctx.progress({ step: 'workload', batch: batch + 1, cluster: w.cluster, workload: w.name, percent, message });
  const end = async (ok: boolean, message: string): Promise<WorkloadOutcome> => {
    await r.ledger.moveWorkload(r.opId, keyOf(t), ok ? 'done' : 'failed', message);
    await say(ok ? 100 : 0, ok ? message : `failed: ${message}`);
    return { ok, message };
  };
  const s: TargetStep = { action, fail: (m) => end(false, m), done: (m) => end(true, m) };
  return r.ctx.withLease(w, async () => {
    try {
      return await work(s);
    } catch (e) {
      const msg = kubeMessage(e);
      if (msg === undefined) throw e;
      return s.fail(msg);
    }
  });
}

export function kubeMessage(e: unknown): string | undefined {
  if (e instanceof StaleRequest) return e.message;
  if (e instanceof KubeError && !e.retryable) return e.message;
  return undefined; // transient, a busy lease, anything unknown: the job retries and resumes
}
