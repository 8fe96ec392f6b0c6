import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { AdhocFreeze, Lock } from '../core/policy.ts';
import { KubeError } from '../kube/errors.ts';
import type { HealthState } from '../kube/revision-health.ts';
import type { WorkloadStatus } from '../kube/status.ts';
import type { Workload as KubeWorkload } from '../kube/workload.ts';
import { BindError, bindSpec, planOf, type GatewayFor } from './bind.ts';
import type { JobContext, JobResult } from './context.ts';
import { createLedger, queuedWorkloads } from './ledger.ts';
import { leaseKey } from './leases.ts';
import type { OpQueue } from './op-queue.ts';
import type { Operations } from './operations.ts';
import { processors } from './processors/index.ts';
import { QUEUE_NAME } from './queue.ts';
import { leaveQueue, passGate, queuedBehindText, type Behind, type GateDeps } from './queue-gate.ts';
import type { RevisionHealthStore, RevisionRef } from './revision-health.ts';
import { runtimeBlock } from './run-policy.ts';
import { inOperationTrace, inSpan } from '../telemetry/spans.ts';
import { jobPayload, type JobPayload, type JobSpec, type Workload } from './spec.ts';

/**
 * Runs queued operations. A job first passes the operation queue's gate (queue-gate.ts): while
 * an earlier operation on one of its workloads is still to finish it waits, as a delayed job
 * woken when that one ends (and every few seconds anyway). Once through, an operation that
 * needed no approval is bound again to what is live then; then policy is asked again
 * (a freeze, lock or config change since the request blocks the run), and the bound spec goes to
 * the kind's processor. Transient Kubernetes errors are thrown back to BullMQ, which retries
 * with backoff; invalid or forbidden ones fail the job at once. A job whose worker died is
 * picked up again by another worker after the lock expires (stalled-job detection), and
 * processors are safe to re-run. Whatever way an operation ends, it leaves the queue.
 */
export interface AuditInput {
  readonly kind: 'started' | 'step' | 'succeeded' | 'failed' | 'blocked' | 'paused' | 'cancelled' | 'expired' | 'rolled_back' | 'revision';
  readonly actor: string;
  readonly opId: string;
  readonly app?: string;
  readonly env?: string;
  readonly cluster?: string;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
  readonly traceId?: string;
  readonly dedupeKey?: string;
}

export interface WorkerDeps {
  readonly config: Config;
  readonly connection: Redis;
  readonly prefix: string;
  readonly ops: Operations;
  readonly gatewayFor: GatewayFor;
  readonly audit: (entry: AuditInput) => Promise<void>;
  readonly withLease: <T>(workload: Workload, owner: string, fn: () => Promise<T>) => Promise<T>;
  readonly policyState: (now: Date) => Promise<{ locks: readonly Lock[]; freezes: readonly AdhocFreeze[] }>;
  readonly clock: () => Date;
  /** The BullMQ queue of operations (to see whether a job is alive and wake waiting ones). */
  readonly jobs: Queue;
  /** Who changes which workload next. */
  readonly opQueue: OpQueue;
  readonly health: RevisionHealthStore;
  readonly rolloutTimeoutMs?: number;
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal; a dead worker's job is retried after about this. */
  readonly lockDurationMs?: number;
  /** For HTTP health probes (batch upgrades); default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

/** A waiting job looks again this often even if nobody wakes it. */
export const QUEUE_POLL_MS = 3000;

function runProcessor(spec: JobSpec, ctx: JobContext): Promise<JobResult> {
  switch (spec.kind) {
    case 'deploy':
      return processors.deploy(spec, ctx);
    case 'scale':
      return processors.scale(spec, ctx);
    case 'rollback':
      return processors.rollback(spec, ctx);
    case 'restart':
      return processors.restart(spec, ctx);
    case 'upgrade':
      return processors.upgrade(spec, ctx);
    case 'autoscale':
      return processors.autoscale(spec, ctx);
  }
}

export function gateDeps(deps: Pick<WorkerDeps, 'opQueue' | 'ops' | 'jobs' | 'clock' | 'audit'>): GateDeps {
  return {
    queue: deps.opQueue,
    ops: deps.ops,
    jobs: deps.jobs,
    clock: deps.clock,
    audit: (e) => deps.audit({ kind: e.kind, actor: 'bot', opId: e.opId, app: e.app, env: e.env, summary: e.summary, detail: {}, dedupeKey: e.dedupeKey }),
  };
}

/** Shows who it waits for in its record (the live message), when that changed. */
async function noteQueued(deps: WorkerDeps, opId: string, behind: readonly Behind[]): Promise<void> {
  const text = queuedBehindText(behind);
  const op = await deps.ops.get(opId);
  if (op !== undefined && op.queuedBehind !== text) await deps.ops.update(opId, { queuedBehind: text }, deps.clock());
}

/**
 * An operation that needed no approval is bound again to what is live when it starts: others
 * ahead of it in the queue may have changed its workloads since it was asked for. Once: the
 * job's data keeps the result, so a retry does not bind again after its own write. An approved
 * one keeps what was approved; its writes refuse a changed "from" (and it offers "Request again").
 */
async function rebindAtStart(deps: WorkerDeps, job: Job, p: JobPayload): Promise<JobPayload | { nothing: string }> {
  if (p.rebound === true || p.approvedBy.length > 0 || p.approvalId !== undefined || p.decision !== undefined) return p;
  const bound = await bindSpec(deps.config, planOf(p.spec), deps.gatewayFor, p.spec.kind === 'restart' ? p.spec.token : p.opId, { health: deps.health, now: deps.clock(), opId: p.opId, actor: p.requestedBy });
  if (bound.spec === undefined) return { nothing: bound.notes.join('; ') };
  // A promotion keeps the digest it was asked for and its source, which the run checks again.
  const spec = p.spec.kind === 'deploy' && p.spec.promotion !== undefined && bound.spec.kind === 'deploy' ? { ...bound.spec, promotion: p.spec.promotion } : bound.spec;
  // Nobody approved a diff of it: the dry run's "from"s were of the old binding, so they go.
  const next = jobPayload.parse({ ...p, spec, rebound: true, preview: undefined });
  await job.updateData(next);
  return next;
}

export async function processJob(deps: WorkerDeps, job: Job, signal: AbortSignal, token?: string): Promise<JobResult> {
  const parsed = jobPayload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id ?? '?'} has an invalid payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  let p = parsed.data;
  const gd = gateDeps(deps);
  const gate = await passGate(gd, p.opId, job.id ?? p.opId);
  if (gate.kind === 'wait') {
    await noteQueued(deps, p.opId, gate.behind);
    await job.moveToDelayed(Date.now() + QUEUE_POLL_MS, token);
    throw new DelayedError();
  }
  // Ended in the queue (superseded, expired) or a stale decision job: its record already says so.
  if (gate.kind !== 'go') return { outcome: 'cancelled', summary: gate.kind === 'ended' ? gate.summary : 'nothing to do', targets: [], superseded: true };
  if (gate.waited) {
    const op = await deps.ops.get(p.opId);
    if (op?.queuedBehind !== undefined && op.queuedBehind !== '') await deps.ops.update(p.opId, { queuedBehind: '' }, deps.clock());
  }
  let rebound: JobPayload | { nothing: string } | { failed: string };
  try {
    rebound = await rebindAtStart(deps, job, p);
  } catch (e) {
    // What binding refuses (a container gone, a revision pruned) no retry fixes: the operation ends here.
    if (!(e instanceof BindError) && !(e instanceof KubeError && !e.retryable)) throw e;
    rebound = { failed: e.message };
  }
  if (!('opId' in rebound)) {
    const result: JobResult = 'nothing' in rebound ? { outcome: 'succeeded', summary: `Nothing to do any more: ${rebound.nothing}`, targets: [] } : { outcome: 'failed', summary: `Not run: ${rebound.failed}`, targets: [] };
    await deps.ops.update(p.opId, { status: result.outcome, summary: result.summary, result }, deps.clock());
    await deps.audit({ kind: result.outcome === 'failed' ? 'failed' : 'succeeded', actor: p.requestedBy, opId: p.opId, app: p.spec.app, env: p.spec.env, summary: result.summary, detail: {}, traceId: p.traceId, dedupeKey: `${job.id ?? p.opId}:end` });
    await leaveQueue(gd, p.opId);
    return result;
  }
  p = rebound;
  const payload = p;
  // One span per job run, in the operation's trace, under the span that enqueued the job.
  const attributes = { 'chatops.op_id': payload.opId, 'chatops.kind': payload.spec.kind, 'chatops.app': payload.spec.app, 'chatops.env': payload.spec.env, 'chatops.attempt': job.attemptsMade + 1 };
  return inOperationTrace(payload, `operation ${payload.spec.kind}`, attributes, async (span) => {
    const result = await runJob(deps, job, payload, signal);
    span.setAttribute('chatops.outcome', result.outcome);
    return result;
  });
}

/** Workloads a paused upgrade still has to change: the rest leave the queue for others. */
async function stillToChange(deps: WorkerDeps, p: JobPayload): Promise<string[] | undefined> {
  if (p.spec.kind !== 'upgrade') return undefined;
  return queuedWorkloads(p.spec.batches.flat(), await createLedger(deps.connection, deps.prefix).read(p.opId), 'change');
}

/** Most targets an approved deploy reads early: one per cluster of its env, so a handful. */
const EARLY_READS_MAX = 16;

/**
 * An approved deploy's workloads, read as soon as the job is picked up, beside the Redis
 * bookkeeping that comes first (policy again, the record and audit entry, the lease): the write
 * computes from that read instead of making its own after them (P2: approved → first write). The
 * write stays conditional on the read's resourceVersion, so a change in between is a 409 and a
 * fresh read (kube/set-image.ts). Nothing else reads early: an unapproved deploy was bound again
 * at start, and other verbs' writes read through their own paths.
 */
function earlyReads(deps: WorkerDeps, p: JobPayload): Map<string, Promise<KubeWorkload>> {
  const reads = new Map<string, Promise<KubeWorkload>>();
  if (p.spec.kind !== 'deploy' || p.approvedBy.length === 0 || p.spec.targets.length > EARLY_READS_MAX) return reads;
  for (const t of p.spec.targets) {
    const w = t.workload;
    const read = deps.gatewayFor(w.cluster).read({ namespace: w.namespace, kind: w.kind, name: w.name });
    // Used or not (the job may be blocked first), its failure is handled where it is used.
    read.catch(() => undefined);
    reads.set(leaseKey(w), read);
  }
  return reads;
}

async function runJob(deps: WorkerDeps, job: Job, p: JobPayload, signal: AbortSignal): Promise<JobResult> {
  const early = earlyReads(deps, p);
  const base = { actor: p.requestedBy, opId: p.opId, app: p.spec.app, env: p.spec.env, traceId: p.traceId };
  // One operation may run as several jobs (a batch upgrade: one more per decision), so the
  // audit dedupe keys are per job; for every other kind the job id is the operation id.
  const jobId = job.id ?? p.opId;
  const now = deps.clock();
  // A batch upgrade asks policy itself before each batch and pauses (not ends) when blocked.
  const blocked = p.spec.kind === 'upgrade' ? undefined : await runtimeBlock(deps.config, deps.policyState, p, now);
  const gd = gateDeps(deps);
  if (blocked !== undefined) {
    const result: JobResult = { outcome: 'blocked', summary: `Not run: ${blocked}`, targets: [] };
    await deps.ops.update(p.opId, { status: 'blocked', summary: result.summary, result }, now);
    await deps.audit({ ...base, kind: 'blocked', summary: result.summary, detail: {}, dedupeKey: `${jobId}:blocked` });
    await leaveQueue(gd, p.opId);
    return result;
  }
  // Independent writes, so one round trip of waiting rather than two before the work starts.
  await Promise.all([
    deps.ops.update(p.opId, { status: 'running', summary: `${p.spec.kind} running (attempt ${job.attemptsMade + 1})` }, now),
    deps.audit({ ...base, kind: 'started', summary: `${p.spec.kind} of ${p.spec.app} in ${p.spec.env} started`, detail: { attempt: job.attemptsMade + 1, job: jobId }, dedupeKey: `${jobId}:started` }),
  ]);
  const ctx: JobContext = {
    payload: p,
    gatewayFor: deps.gatewayFor,
    // Progress goes to the operation's event stream (chat, console) only: BullMQ's own job
    // progress cost five Redis commands an event and nothing read it.
    progress: (e) => deps.ops.emit({ ...e, opId: p.opId }),
    audit: (kind, summary, detail, target) => deps.audit({ ...base, kind, summary, detail, ...(target === undefined ? {} : { cluster: target.cluster }) }),
    // Each workload step gets its own span under the job's.
    withLease: (w, fn) =>
      inSpan(`step ${p.spec.kind} ${w.cluster}/${w.namespace}/${w.name}`, { 'chatops.cluster': w.cluster, 'chatops.namespace': w.namespace, 'chatops.workload': w.name }, () => deps.withLease(w, p.opId, fn)),
    rolloutTimeoutMs: deps.rolloutTimeoutMs ?? 10 * 60_000,
    signal,
    jobId,
    lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    config: deps.config,
    redis: deps.connection,
    prefix: deps.prefix,
    clock: deps.clock,
    policyBlock: () => runtimeBlock(deps.config, deps.policyState, p, deps.clock()),
    fetch: deps.fetch ?? globalThis.fetch,
    noteRevision: (w, state, rev, seen) => noteRevision(deps, p, w, state, rev, seen),
    earlyRead: (w) => {
      // Once: a second write to the workload (a retry after a conflict) reads afresh.
      const read = early.get(leaseKey(w));
      early.delete(leaseKey(w));
      return read;
    },
  };
  try {
    const result = await runProcessor(p.spec, ctx);
    if (result.superseded === true) return result;
    const end = deps.clock();
    await deps.ops.update(p.opId, { status: result.outcome, summary: result.summary, result }, end);
    await deps.audit({ ...base, kind: result.outcome, summary: result.summary, detail: { targets: result.targets }, dedupeKey: `${jobId}:end` });
    // Paused: it keeps the workloads it still has to change; otherwise it is done with all of them.
    await leaveQueue(gd, p.opId, result.outcome === 'paused' ? await stillToChange(deps, p) : undefined, jobId);
    return result;
  } catch (e) {
    const lastTry = e instanceof KubeError ? !e.retryable : job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (lastTry) {
      // No retry follows: the operation ends here, and whoever waits for it goes on.
      const why = e instanceof Error ? e.message : String(e);
      const summary = `${p.spec.kind} failed: ${why}`;
      await deps.ops.update(p.opId, { status: 'failed', summary }, deps.clock());
      await deps.audit({ ...base, kind: 'failed', summary, detail: e instanceof KubeError ? { kind: e.kind } : {}, dedupeKey: `${jobId}:end` });
      await leaveQueue(gd, p.opId);
      if (e instanceof KubeError) throw new UnrecoverableError(summary);
    }
    throw e;
  }
}

/** A fact about the revision of `seen` or the one a workload runs now (or `rev`), kept for rollbacks and audited once. */
async function noteRevision(deps: WorkerDeps, p: JobPayload, w: Workload, state: HealthState, rev?: RevisionRef, seen?: WorkloadStatus): Promise<RevisionRef | undefined> {
  let which: RevisionRef | undefined = rev;
  if (which === undefined) {
    which = (await deps.gatewayFor(w.cluster).history({ namespace: w.namespace, kind: w.kind, name: w.name }, seen)).find((r) => r.current);
    if (which === undefined) return undefined;
  }
  await deps.health.note(w, state, which, { at: deps.clock(), opId: p.opId, actor: p.requestedBy });
  return which;
}

export function startWorker(deps: WorkerDeps): Worker {
  const lockDuration = deps.lockDurationMs ?? 10_000;
  return new Worker(QUEUE_NAME, (job, token, signal) => processJob(deps, job, signal ?? new AbortController().signal, token), {
    connection: deps.connection,
    prefix: `${deps.prefix}bull`,
    concurrency: deps.concurrency ?? 8,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 5,
    // Stored on each job as processedBy: which process ran (or last took over) a job can be
    // read back from Redis after the fact, for operators and for the worker-kill test.
    name: workerName(),
  });
}

/** This process's worker name: host and pid, as `chatops worker` prints them when it starts. */
export function workerName(pid: number = process.pid): string {
  return `${hostname()}:${pid}`;
}
