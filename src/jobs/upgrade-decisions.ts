import { SpanKind } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/log.ts';
import type { Config } from '../config/schema.ts';
import { decide, type AdhocFreeze, type Lock } from '../core/policy.ts';
import { createLedger, queuedWorkloads } from './ledger.ts';
import type { OpRecord, Operations } from './operations.ts';
import { QUEUE_NAME } from './queue.ts';
import { jobPayload, policyVerbOf, type JobPayload } from './spec.ts';
import { inOperationTrace, recordedSpanId } from '../telemetry/spans.ts';
import { decisionRefusal, type DecisionKind } from './upgrade-steps.ts';
import type { OpQueue } from './op-queue.ts';

/**
 * Decisions on a paused batch upgrade (/continue, /retry, /abort [--rollback]), the request
 * side: check who decides, move the ledger's gate (one compare-and-set: continue only while
 * it waits for a decision, retry only after a batch failed, abort while paused; so a decision
 * delivered twice, or two people clicking at once, is taken once), then queue the job that
 * acts on it, `<op>-d<n>` with n the ledger's decision counter, so it is queued once too.
 *
 * Who may decide, asked against the upgrade's own environment and apps (typed or clicked alike):
 * for continue, retry and abort, someone the `upgrade` access rule allows outright, or one of the
 * people who may approve the upgrade as it was requested; for abort --rollback ("Abort and roll
 * back"), someone the `rollback` rule allows, or one of those approvers. Someone whose own rule
 * would need an approval can't wave a batch through on their own; the requester may still abort
 * (without rollback) their own upgrade. Continue and retry obey freezes and locks like the
 * upgrade; abort, with or without rollback, is exempt from them, as a rollback is.
 *
 * The decision also moves the operation in the queue (op-queue.ts): it waits again under the
 * decision's job for the workloads it still has to change, or, to roll back, for the ones it
 * changed, at the front like any rollback.
 */
export interface DecisionDeps {
  readonly config: Config;
  readonly redis: Redis;
  readonly prefix: string;
  readonly clock: () => Date;
  readonly queue: Queue;
  readonly ops: Operations;
  readonly audit: AuditLog;
  readonly opQueue: OpQueue;
  policyState(now: Date): Promise<{ locks: Lock[]; freezes: AdhocFreeze[] }>;
}

export interface DecisionOptions {
  readonly rollback?: boolean;
  readonly reason?: string | undefined;
}

export type DecisionOutcome =
  | { readonly kind: 'accepted'; readonly n: number; readonly jobId: string; readonly op: OpRecord | undefined; readonly summary: string }
  | { readonly kind: 'refused'; readonly status: 'denied' | 'error' | 'info'; readonly title: string; readonly text: string; readonly op?: OpRecord | undefined };

export function decisionJobId(opId: string, n: number): string {
  // BullMQ refuses custom ids with one ":" in them, hence "-d".
  return `${opId}-d${n}`;
}

function whoMayDecide(deps: DecisionDeps, payload: JobPayload, actor: string, kind: DecisionKind, rollback: boolean, now: Date, world: { locks: Lock[]; freezes: AdhocFreeze[] }): string | undefined {
  const spec = payload.spec;
  const apps = spec.kind === 'upgrade' ? spec.apps : [spec.app];
  // Abort stops or undoes work, so like a rollback it is not held back by freezes or locks.
  const exempt = kind === 'abort';
  const policyWorld = exempt ? { config: { ...deps.config, freezes: [] }, now, locks: [], freezes: [] } : { config: deps.config, now, ...world };
  // Abort and roll back puts the old images back: it is a rollback, authorized as one. A pod-batch
  // release was asked as a deploy: going on with it is deploying, authorized as that.
  const verb = rollback ? 'rollback' : policyVerbOf(spec) === 'deploy' ? 'deploy' : kind;
  const mine = decide({ actor, verb, env: spec.env, apps }, policyWorld);
  if (mine.kind === 'deny') return mine.reason;
  if (mine.kind === 'allow') return undefined;
  if (kind === 'abort' && !rollback && actor === payload.requestedBy) return undefined;
  const asRequested = decide({ actor: payload.requestedBy, verb: policyVerbOf(spec), env: spec.env, apps }, { config: { ...deps.config, freezes: [] }, now, locks: [], freezes: [] });
  if (asRequested.kind === 'approval' && asRequested.approvers.includes(actor)) return undefined;
  const who = asRequested.kind === 'approval' ? `, or one of its approvers (${asRequested.approvers.join(', ')})` : '';
  return `Your access rule (${mine.rule}) needs an approval for ${rollback ? 'rollbacks' : 'upgrades'}, so you can't decide this at once: ask someone it lets ${rollback ? 'roll back' : 'upgrade'} without approval${who}.`;
}

export async function decideUpgradeOp(deps: DecisionDeps, opId: string, kind: DecisionKind, actor: string | undefined, options: DecisionOptions = {}): Promise<DecisionOutcome> {
  const now = deps.clock();
  if (actor === undefined) return { kind: 'refused', status: 'denied', title: 'Not allowed', text: "I don't know who you are, so you can't decide on upgrades." };
  const ledger = createLedger(deps.redis, deps.prefix);
  const snap = await ledger.read(opId);
  const op = await deps.ops.get(opId);
  if (snap === undefined) {
    const text =
      op === undefined
        ? `There is no operation ${opId}.`
        : op.kind !== 'upgrade'
          ? `${opId} is a ${op.kind}, not a batch upgrade.`
          : `The upgrade ${opId} has not started yet (it is ${op.status.replace('_', ' ')}).`;
    return { kind: 'refused', status: 'error', title: 'No paused upgrade', text, op };
  }
  const world = await deps.policyState(now);
  const rollback = kind === 'abort' && options.rollback === true;
  const notAllowed = whoMayDecide(deps, snap.payload, actor, kind, rollback, now, world);
  if (notAllowed !== undefined) return { kind: 'refused', status: 'denied', title: 'Not allowed', text: notAllowed, op };

  const r = await ledger.decide(opId, { kind, rollback, by: actor, ...(options.reason === undefined ? {} : { reason: options.reason }) });
  if (!r.accepted) {
    const text = r.gate === undefined ? `There is no upgrade ${opId}.` : `Not taken: ${decisionRefusal(r.gate.state, kind, r.gate.batch)}`;
    return { kind: 'refused', status: 'info', title: `/${kind} ${opId}`, text, op };
  }

  const jobId = decisionJobId(opId, r.n);
  const payload = jobPayload.parse({ ...r.payload, decision: { n: r.n, kind, rollback, by: actor, ...(options.reason === undefined ? {} : { reason: options.reason }) } });
  const what = kind === 'continue' ? 'continue with the next batch' : kind === 'retry' ? 'retry the failed batch' : rollback ? 'abort and roll back' : 'abort';
  const summary = `${what}: decided by ${actor}${options.reason === undefined ? '' : ` (${options.reason})`}`;
  await deps.audit.append(
    {
      at: now,
      kind: kind === 'abort' ? 'cancelled' : 'resumed',
      actor,
      opId,
      app: payload.spec.app,
      env: payload.spec.env,
      summary: `upgrade ${opId}: ${summary}`,
      detail: { decision: kind, n: r.n, rollback, job: jobId },
      traceId: payload.traceId,
    },
    { dedupeKey: `${opId}:d${r.n}` },
  );
  // In the queue again: for what it still has to change, or (rolling back) what it changed, at the front.
  const targets = payload.spec.kind === 'upgrade' ? payload.spec.batches.flat() : [];
  const workloads = kind === 'abort' && !rollback ? [] : queuedWorkloads(targets, await ledger.read(opId), rollback ? 'rollback' : 'change');
  await deps.opQueue.resume(opId, { job: jobId, workloads, rollback, expiresAt: now.getTime() + deps.config.queue.maxWait.seconds * 1000 });
  const updated = await deps.ops.update(opId, { status: 'queued', summary: `upgrade: ${summary}` }, now);
  // A job id already queued is not added again (BullMQ keeps the first). The add is a span of
  // the upgrade's trace, linked to the click or command that decided, and the job hangs under it.
  const attributes = { 'chatops.op_id': opId, 'chatops.kind': payload.spec.kind, 'chatops.upgrade_decision': kind, 'messaging.system': 'bullmq', 'messaging.destination.name': QUEUE_NAME };
  await inOperationTrace(payload, `enqueue ${payload.spec.kind}`, attributes, (span) => deps.queue.add(payload.spec.kind, { ...payload, parentSpanId: recordedSpanId(span) ?? payload.parentSpanId }, { jobId }), { kind: SpanKind.PRODUCER });
  return { kind: 'accepted', n: r.n, jobId, op: updated ?? op, summary };
}
