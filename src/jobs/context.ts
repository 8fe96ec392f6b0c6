import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { ClusterGateway } from '../kube/gateway.ts';
import type { HealthState } from '../kube/revision-health.ts';
import type { RevisionRef } from './revision-health.ts';
import type { ContactChange, RolloutResult } from '../kube/rollout.ts';
import type { WorkloadStatus } from '../kube/status.ts';
import type { Workload as KubeWorkload } from '../kube/workload.ts';
import type { JobKind, JobPayload, SpecOf, Workload } from './spec.ts';

/**
 * What a processor gets: the payload, a way to reach each cluster, and the side channels
 * (progress for chat, the audit log, the per-workload lease). Processors own retries of their
 * own steps and must be safe to run again from the start after a crash: every write is
 * conditional on the bound "from" state and a target already reached counts as done.
 */
export interface ProgressEvent {
  readonly opId: string;
  readonly step: string;
  /** 1-based batch of a batch upgrade. */
  readonly batch?: number;
  readonly cluster?: string;
  readonly workload?: string;
  readonly percent: number;
  readonly message: string;
}

export interface TargetResult {
  readonly cluster: string;
  readonly workload: string;
  readonly outcome: 'done' | 'unchanged' | 'failed' | 'blocked' | 'rolled_back';
  readonly message: string;
}

export interface JobResult {
  /** paused: a batch upgrade waits for a decision (continue / retry / abort); cancelled: it was aborted. */
  readonly outcome: 'succeeded' | 'failed' | 'blocked' | 'paused' | 'cancelled';
  readonly summary: string;
  readonly targets: readonly TargetResult[];
  /** The job found a newer job of its operation at work (a batch upgrade): it changed nothing and records nothing. */
  readonly superseded?: boolean;
}

export interface JobContext {
  readonly payload: JobPayload;
  readonly gatewayFor: (cluster: string) => ClusterGateway;
  readonly progress: (event: Omit<ProgressEvent, 'opId'>) => Promise<void>;
  readonly audit: (kind: 'step' | 'rolled_back', summary: string, detail: Record<string, unknown>, target?: Workload) => Promise<void>;
  /** Runs `fn` holding the workload's lease: one mutating operation per workload at a time. */
  readonly withLease: <T>(workload: Workload, fn: () => Promise<T>) => Promise<T>;
  readonly rolloutTimeoutMs: number;
  readonly signal: AbortSignal;
  /** The queue job's id: the operation id, or `<op>-d<n>` for a decision on a paused upgrade. */
  readonly jobId: string;
  /** Whether BullMQ will not retry this job if it throws (its last attempt). */
  readonly lastAttempt: boolean;
  readonly config: Config;
  /** For state a processor keeps itself (the batch upgrade's step ledger), under `prefix`. */
  readonly redis: Redis;
  readonly prefix: string;
  readonly clock: () => Date;
  /** Policy asked again now (freeze, lock, config): the reason it blocks the run, if it does. */
  readonly policyBlock: () => Promise<string | undefined>;
  /** For HTTP health probes; tests pass one that refuses anything but loopback. */
  readonly fetch: typeof globalThis.fetch;
  /**
   * Records what became of a revision (complete, failed, rolled back from) for later rollbacks
   * and the audit log: `rev` when the job knows its key, else the revision of `seen` (the state a
   * rollout was judged on: its result's `status`, so the workload isn't read again), else the
   * revision the workload runs now.
   */
  readonly noteRevision: (workload: Workload, state: HealthState, rev?: RevisionRef, seen?: WorkloadStatus) => Promise<RevisionRef | undefined>;
  /**
   * The read of this workload the worker started when it picked the job up, if it did (an
   * approved deploy: see earlyReads in worker.ts); the first write computes from it.
   */
  readonly earlyRead: (workload: Workload) => Promise<KubeWorkload> | undefined;
}

export type Processor<K extends JobKind> = (spec: SpecOf<K>, ctx: JobContext) => Promise<JobResult>;

export function describeTarget(w: Workload): string {
  return `${w.app} on ${w.cluster} (${w.namespace}/${w.name})`;
}

export function refOf(w: Workload): { namespace: string; name: string; kind: Workload['kind'] } {
  return { namespace: w.namespace, name: w.name, kind: w.kind };
}

/** Runs per-target work for every target, in parallel, and sums it up. */
export async function forEachTarget<T extends { workload: Workload }>(targets: readonly T[], fn: (t: T, index: number) => Promise<TargetResult>): Promise<TargetResult[]> {
  return Promise.all(targets.map((t, i) => fn(t, i)));
}

export function summarize(verb: string, results: readonly TargetResult[]): JobResult {
  const bad = results.filter((r) => r.outcome === 'failed' || r.outcome === 'rolled_back');
  const blocked = results.filter((r) => r.outcome === 'blocked');
  const outcome = blocked.length > 0 && bad.length === 0 ? 'blocked' : bad.length > 0 ? 'failed' : 'succeeded';
  const done = results.filter((r) => r.outcome === 'done' || r.outcome === 'unchanged').length;
  const summary =
    outcome === 'succeeded'
      ? `${verb} finished on ${done} of ${results.length} workload(s)`
      : `${verb} ${outcome} on ${bad.length + blocked.length} of ${results.length} workload(s): ${[...bad, ...blocked].map((r) => `${r.cluster}: ${r.message}`).join('; ')}`;
  return { outcome, summary, targets: results };
}

/**
 * Follows a workload's rollout after a write, reporting each state as a progress event (the
 * share of replicas both updated and available), optionally tagged with the batch, and saying
 * in chat and in the audit log when the cluster stops answering and when it answers again.
 */
export function followWithProgress(ctx: JobContext, gw: ClusterGateway, w: Workload, generation: number, batch?: number): Promise<RolloutResult> {
  const tag = batch === undefined ? {} : { batch };
  let percent = 0;
  return gw.followRollout(refOf(w), {
    timeoutMs: ctx.rolloutTimeoutMs,
    minGeneration: generation,
    signal: ctx.signal,
    onProgress: (p) => {
      percent = p.replicas === 0 ? 100 : Math.round((100 * Math.min(p.updated, p.available)) / p.replicas);
      return ctx.progress({ step: 'rollout', ...tag, cluster: w.cluster, workload: w.name, percent, message: `${p.updated}/${p.replicas} updated, ${p.available} available` });
    },
    onContact: async (change) => {
      const note = contactNote(contactBoard(ctx), w.cluster, change);
      if (note === undefined) return;
      await ctx.progress({ step: 'rollout', ...tag, cluster: w.cluster, percent, message: note });
      await ctx.audit('step', note, { cluster: w.cluster, contact: change.state, ...(change.state === 'back' ? { downMs: change.downMs } : {}) }, w);
    },
  });
}

/**
 * Per job and cluster, how many followed workloads can't reach it, so an outage is told once
 * per cluster (not once per workload of a 500-workload batch) and its end once.
 */
export type ContactBoard = Map<string, { lost: number; told: boolean }>;
const boards = new WeakMap<JobContext, ContactBoard>();

function contactBoard(ctx: JobContext): ContactBoard {
  let b = boards.get(ctx);
  if (b === undefined) boards.set(ctx, (b = new Map<string, { lost: number; told: boolean }>()));
  return b;
}

/** What to say about one follower's contact change, if anything (the first loss, the first return). Updates `board`. */
export function contactNote(board: ContactBoard, cluster: string, change: ContactChange): string | undefined {
  const c = board.get(cluster) ?? { lost: 0, told: false };
  board.set(cluster, c);
  if (change.state === 'lost') {
    c.lost++;
    if (c.told) return undefined;
    c.told = true;
    return `lost contact with cluster ${cluster} (${change.reason}); waiting for it to answer again`;
  }
  c.lost = Math.max(0, c.lost - 1);
  if (!c.told) return undefined;
  c.told = false;
  return `cluster ${cluster} answers again after ${seconds(change.downMs)}; following the rollout`;
}

/** " (cluster gz did not answer for 31 s on the way)" when a rollout outlived an outage, else "". */
export function outageNote(cluster: string, rollout: RolloutResult): string {
  return rollout.unreachableMs >= 1000 ? ` (cluster ${cluster} did not answer for ${seconds(rollout.unreachableMs)} on the way)` : '';
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** Why a rollout did not complete, with the pods' reasons: "… progress deadline (pods: CrashLoopBackOff)". */
export function rolloutFailure(rollout: RolloutResult): string {
  const reasons = rollout.diagnosis?.podReasons ?? [];
  return `${rollout.message}${reasons.length === 0 ? '' : ` (pods: ${reasons.join(', ')})`}`;
}
