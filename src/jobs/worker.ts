import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import { decide, type AdhocFreeze, type Lock } from '../core/policy.ts';
import { KubeError } from '../kube/errors.ts';
import type { GatewayFor } from './bind.ts';
import type { JobContext, JobResult } from './context.ts';
import type { Operations } from './operations.ts';
import { processors } from './processors/index.ts';
import { QUEUE_NAME } from './queue.ts';
import { inOperationTrace, inSpan } from '../telemetry/spans.ts';
import { jobPayload, type JobPayload, type JobSpec, type Workload } from './spec.ts';

/**
 * Runs queued operations. Before doing anything it asks policy again (a freeze, lock or config
 * change since the request blocks the run), then hands the bound spec to the kind's processor.
 * Transient Kubernetes errors are thrown back to BullMQ, which retries with backoff; invalid or
 * forbidden ones fail the job at once. A job whose worker died is picked up again by another
 * worker after the lock expires (stalled-job detection), and processors are safe to re-run.
 */
export interface AuditInput {
  readonly kind: 'started' | 'step' | 'succeeded' | 'failed' | 'blocked' | 'paused' | 'cancelled' | 'rolled_back';
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
  readonly rolloutTimeoutMs?: number;
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal; a dead worker's job is retried after about this. */
  readonly lockDurationMs?: number;
  /** For HTTP health probes (batch upgrades); default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

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

/** Policy at run time: anything but a denial lets an approved (or allowed) job run. */
async function blockedByPolicy(deps: WorkerDeps, p: JobPayload, now: Date): Promise<string | undefined> {
  const { locks, freezes } = await deps.policyState(now);
  const apps = p.spec.kind === 'upgrade' ? p.spec.apps : [p.spec.app];
  const d = decide({ actor: p.requestedBy, verb: p.spec.kind, env: p.spec.env, apps }, { config: deps.config, now, locks, freezes });
  if (d.kind === 'deny') return d.reason;
  if (d.kind === 'approval' && p.approvedBy.length < d.count) return `it now needs ${d.count} approval(s) and has ${p.approvedBy.length}`;
  return undefined;
}

export async function processJob(deps: WorkerDeps, job: Job, signal: AbortSignal): Promise<JobResult> {
  const parsed = jobPayload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id ?? '?'} has an invalid payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const p = parsed.data;
  // One span per job run, in the operation's trace, under the span that enqueued the job.
  const attributes = { 'chatops.op_id': p.opId, 'chatops.kind': p.spec.kind, 'chatops.app': p.spec.app, 'chatops.env': p.spec.env, 'chatops.attempt': job.attemptsMade + 1 };
  return inOperationTrace(p, `operation ${p.spec.kind}`, attributes, async (span) => {
    const result = await runJob(deps, job, p, signal);
    span.setAttribute('chatops.outcome', result.outcome);
    return result;
  });
}

async function runJob(deps: WorkerDeps, job: Job, p: JobPayload, signal: AbortSignal): Promise<JobResult> {
  const base = { actor: p.requestedBy, opId: p.opId, app: p.spec.app, env: p.spec.env, traceId: p.traceId };
  // One operation may run as several jobs (a batch upgrade: one more per decision), so the
  // audit dedupe keys are per job; for every other kind the job id is the operation id.
  const jobId = job.id ?? p.opId;
  const now = deps.clock();
  // A batch upgrade asks policy itself before each batch and pauses (not ends) when blocked.
  const blocked = p.spec.kind === 'upgrade' ? undefined : await blockedByPolicy(deps, p, now);
  if (blocked !== undefined) {
    const result: JobResult = { outcome: 'blocked', summary: `Not run: ${blocked}`, targets: [] };
    await deps.ops.update(p.opId, { status: 'blocked', summary: result.summary, result }, now);
    await deps.audit({ ...base, kind: 'blocked', summary: result.summary, detail: {}, dedupeKey: `${jobId}:blocked` });
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
    policyBlock: () => blockedByPolicy(deps, p, deps.clock()),
    fetch: deps.fetch ?? globalThis.fetch,
  };
  try {
    const result = await runProcessor(p.spec, ctx);
    if (result.superseded === true) return result;
    const end = deps.clock();
    await deps.ops.update(p.opId, { status: result.outcome, summary: result.summary, result }, end);
    await deps.audit({ ...base, kind: result.outcome, summary: result.summary, detail: { targets: result.targets }, dedupeKey: `${jobId}:end` });
    return result;
  } catch (e) {
    if (e instanceof KubeError && !e.retryable) {
      const summary = `${p.spec.kind} failed: ${e.message}`;
      await deps.ops.update(p.opId, { status: 'failed', summary }, deps.clock());
      await deps.audit({ ...base, kind: 'failed', summary, detail: { kind: e.kind }, dedupeKey: `${jobId}:end` });
      throw new UnrecoverableError(summary);
    }
    throw e;
  }
}

export function startWorker(deps: WorkerDeps): Worker {
  const lockDuration = deps.lockDurationMs ?? 10_000;
  return new Worker(QUEUE_NAME, (job, _token, signal) => processJob(deps, job, signal ?? new AbortController().signal), {
    connection: deps.connection,
    prefix: `${deps.prefix}bull`,
    concurrency: deps.concurrency ?? 8,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 5,
  });
}
