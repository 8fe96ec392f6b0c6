import { openApproval } from '../core/approval.ts';
import { linksFor } from '../core/links.ts';
import { message, type Message } from '../core/message.ts';
import { decisionMessage } from '../core/messages.ts';
import { decide, type Decision } from '../core/policy.ts';
import type { Plan } from '../core/resolve.ts';
import { BindError, bindSpec, type Bound } from '../jobs/bind.ts';
import { claim, dedupeKey } from '../jobs/dedupe.ts';
import type { QueueEntry } from '../jobs/op-queue.ts';
import type { OpRecord } from '../jobs/operations.ts';
import { enqueue } from '../jobs/queue.ts';
import { FINAL_STATUSES, groupOf, leaveQueue, passGate, queuedBehindText, supersededSummary, whatOf, workloadsOf } from '../jobs/queue-gate.ts';
import { preflightSpec, type PreflightReport } from '../jobs/preflight-run.ts';
import { DryRunRefused, previewSpec, type Previewed } from '../jobs/preview.ts';
import { approvalDigest, idFrom, jobPayload, type JobPayload, type TargetPreview } from '../jobs/spec.ts';
import { KubeError } from '../kube/errors.ts';
import { pendingKey } from './approval-decisions.ts';
import { withChecks } from './diff-message.ts';
import { approvalRequestMessage, confirmsApprovals, opMessage, withPromotion } from './messages.ts';
import { saveOpBase } from './op-live.ts';
import { LANDS_ON } from './op-view.ts';
import { newOpTrace } from './request-trace.ts';
import type { Inbound, Reply } from './inbound-types.ts';
import { queueGate, type Services } from './services.ts';

/**
 * A request that changes workloads (deploy, scale, rollback, restart, upgrade), once policy let
 * it through: one delivery makes one operation, bound to the live state, placed in the
 * operation queue (behind every earlier operation on any of its workloads; a rollback at the
 * front; superseding older unstarted deploys of the same app), then sent for approval or queued.
 * The answer says whom it waits for, and the operation's live message keeps saying it.
 *
 * A rollback that would go forward (to a revision that failed, was undone, is newer than the
 * last known-good one, or runs images the environment may not pull) is a deploy in disguise:
 * policy decides it as a deploy (approval, freezes, locks), and the answer says why.
 */
export async function requestOperation(s: Services, inbound: Inbound, plan: Plan, decided: Decision, answer: Message): Promise<Reply> {
  const now = s.clock();
  const actor = inbound.actor ?? '';
  const opId = idFrom('op', inbound.deliveryId);
  const first = await claim(s.redis, s.prefix, `delivery:${inbound.deliveryId}`, opId);
  if (!first.first) {
    const op = await s.ops.get(first.value);
    return { message: op === undefined ? message('Already received', 'info', { text: `This request was already received as ${first.value}.` }) : opMessage(op, { text: `Already received: ${op.summary}` }), opId: first.value, repeat: true };
  }
  // Nothing is created until the request is bound and decided: let the same delivery be tried again.
  const forget = () => s.redis.del(dedupeKey(s.prefix, `delivery:${inbound.deliveryId}`));

  let bound: Bound;
  try {
    bound = await bindSpec(s.config, plan, s.gatewayFor, opId, { health: s.health, now, opId, actor, fetch: s.fetch });
  } catch (e) {
    await forget();
    if (e instanceof BindError || e instanceof KubeError) {
      // A promotion refused for what its source runs shows the table of it.
      const sections = e instanceof BindError && e.details.length > 0 ? [{ heading: plan.promoteFrom === undefined ? 'Details' : `${plan.promoteFrom} runs`, lines: [...e.details] }] : [];
      return { message: message("I couldn't prepare that", 'error', { text: e.message, sections, context: ['nothing was changed'] }) };
    }
    throw e;
  }
  const spec = bound.spec;
  if (spec === undefined) {
    await forget();
    return { message: message(`Nothing to roll back: ${plan.apps.join(', ')} in ${plan.env ?? ''}`, 'info', { text: bound.notes.join(' '), context: ['nothing was written'] }) };
  }

  let decision = decided;
  let base = answer;
  if (spec.kind === 'rollback' && spec.asDeploy !== undefined) {
    const { locks, freezes } = await s.policyState(now);
    decision = decide({ actor: inbound.actor, verb: 'deploy', env: spec.env, apps: [spec.app] }, { config: s.config, now, locks, freezes });
    const asked = decisionMessage(plan, decision, actor);
    base = { ...asked, text: `This rollback goes forward, not back (${spec.asDeploy}), so it is decided as a deploy: ${asked.text ?? ''}`.trim() };
    if (decision.kind === 'deny') {
      await forget();
      return { message: base };
    }
  }
  base = withPlan(base, bound);
  if (spec.kind === 'deploy' && spec.promotion !== undefined) base = withPromotion(base, spec.promotion, spec.image);
  // Every write the job would make, dry run on its cluster first (dryRun=All): the apiserver's
  // refusal (an admission policy, a LimitRange, a forbidden field, RBAC) is the answer. A
  // `--dry-run` request gets the same checks, and the plan with their diff and warnings.
  // Then preflight, on the workloads as they would be: warnings go with the approval, or block.
  let previewed: Previewed[];
  let report: PreflightReport;
  try {
    previewed = await previewSpec(spec, s.gatewayFor, { opId, requestedBy: actor });
    report = await preflightSpec(s.config, spec, previewed, s.gatewayFor);
  } catch (e) {
    await forget();
    if (e instanceof DryRunRefused) return { message: message('The cluster refused that', 'denied', { text: e.message, context: [`dry run (dryRun=All) on ${e.cluster}: no approval was opened and nothing was changed`] }) };
    if (e instanceof KubeError) return { message: message("I couldn't prepare that", 'error', { text: e.message, context: ['nothing was changed'] }) };
    throw e;
  }
  const preview: TargetPreview[] = previewed.map((p) => p.preview);
  if (report.mode === 'block' && report.findings.length > 0) {
    await forget();
    return {
      message: message('Preflight refused that', 'denied', {
        text: `${spec.env} does not take changes to workloads with preflight findings: fix the workload, or list the check under preflightSkip for ${spec.env}.`,
        sections: withChecks(message('', 'denied'), preview, report).sections ?? [],
        context: ['no approval was opened and nothing was changed'],
      }),
    };
  }
  // (A dry run makes no operation: no page to link to for a diff cut short.)
  const jobLink = plan.dryRun ? undefined : linksFor({ ...(s.config.links.job === undefined ? {} : { job: s.config.links.job }) }, { jobId: opId, app: spec.app, env: spec.env })[0];
  base = withChecks(base, preview, report, jobLink);
  if (plan.dryRun) {
    await forget();
    return { message: { ...base, context: [...base.context, 'dry run: nothing was queued'] } };
  }

  const expiresAt = now.getTime() + (decision.kind === 'approval' ? decision.expiresIn.seconds : s.config.queue.maxWait.seconds) * 1000;
  const placed = await s.opQueue.register({
    opId,
    score: now.getTime(),
    kind: spec.kind,
    rollback: spec.kind === 'rollback' && spec.asDeploy === undefined,
    workloads: workloadsOf(spec),
    group: groupOf(spec),
    expiresAt,
    what: whatOf(spec, actor),
    job: opId,
    since: now.getTime(),
  });
  for (const old of placed.superseded) await settleSuperseded(s, old);
  const gate = await passGate(queueGate(s), opId, opId, { dry: true });
  const queuedBehind = gate.kind === 'wait' && gate.behind.length > 0 ? queuedBehindText(gate.behind) : undefined;
  // What the queue did with it, as it stands when the answer goes out (superseded meanwhile, or waiting).
  const queueNote = async (): Promise<{ queueNote?: string }> => {
    const op = await s.ops.get(opId);
    const said = op?.status === 'cancelled' ? op.summary : queuedBehind;
    return said === undefined ? {} : { queueNote: said };
  };

  let payload: JobPayload;
  {
    // The operation's trace is this request's: its approvals, job and steps continue it.
    const { traceId, parentSpanId } = newOpTrace();
    payload = jobPayload.parse({ opId, spec, preview, requestedBy: actor, approvedBy: [], traceId, parentSpanId, requestedAt: now.toISOString(), ...(plan.reason === undefined ? {} : { reason: plan.reason }) });
  }
  const promotion = spec.kind === 'deploy' ? spec.promotion : undefined;
  const summary = promotion === undefined ? `${spec.kind} of ${spec.app} in ${spec.env} requested by ${actor}` : `promotion of ${spec.app} from ${promotion.from} to ${spec.env} requested by ${actor}`;
  const record: OpRecord = {
    id: opId,
    kind: spec.kind,
    status: 'queued',
    env: spec.env,
    app: spec.app,
    requestedBy: actor,
    approvedBy: [],
    summary,
    traceId: payload.traceId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    request: inbound.text,
    ...(queuedBehind === undefined ? {} : { queuedBehind }),
  };
  const context = [...(queuedBehind === undefined ? [] : [queuedBehind]), ...(placed.superseded.length > 0 ? [`supersedes ${placed.superseded.map((e) => e.opId).join(', ')}`] : [])];

  // The plan as first answered: the live chat message of the operation is built on it.
  await saveOpBase(s, opId, base);
  if (decision.kind === 'approval') {
    const approvalId = idFrom('apr', opId);
    const opened = openApproval({ id: approvalId, requester: actor, approvers: decision.approvers, required: decision.count, digest: approvalDigest(payload), now, expiresInSeconds: decision.expiresIn.seconds });
    if (!opened.ok) {
      await leaveQueue(queueGate(s), opId);
      return { message: message("I couldn't open an approval", 'error', { text: opened.error }) };
    }
    await s.redis.set(pendingKey(s, approvalId), JSON.stringify({ ...payload, approvalId }), 'EX', decision.expiresIn.seconds + 7 * 24 * 3600);
    const { approval } = await s.approvals.create(opened.value);
    await s.ops.create({ ...record, status: 'awaiting_approval', approvalId });
    await s.audit.append({ at: now, kind: 'requested', actor, opId, approvalId, app: spec.app, env: spec.env, summary: `${summary}; waiting for ${decision.count} approval(s) from ${decision.from.join(', ')}`, detail: { digest: approval.digest, spec, ...(queuedBehind === undefined ? {} : { queuedBehind }) }, traceId: payload.traceId }, { dedupeKey: `${opId}:requested` });
    await supersededMeanwhile(s, opId);
    const asked = approvalRequestMessage(base, approval, opId, confirmsApprovals(spec.env, s.config.environments[spec.env]?.confirmApprovals) ? spec.env : undefined);
    return { created: true, message: { ...asked, context: [...asked.context, ...context] }, opId, approvalId, ...(await queueNote()) };
  }

  await s.ops.create(record);
  await s.audit.append({ at: now, kind: 'requested', actor, opId, app: spec.app, env: spec.env, summary, detail: { spec, ...(queuedBehind === undefined ? {} : { queuedBehind }) }, traceId: payload.traceId }, { dedupeKey: `${opId}:requested` });
  if (!(await supersededMeanwhile(s, opId))) await enqueue(s.queue, payload);
  const op = (await s.ops.get(opId)) ?? record;
  const text = op.status === 'cancelled' ? op.summary : `Queued: ${summary}.${queuedBehind === undefined ? '' : ` ${queuedBehind}`}`;
  return { created: true, message: opMessage(op, { text, links: linksFor(s.config.links, { jobId: opId, traceId: payload.traceId, app: spec.app, env: spec.env }) }), opId, ...(await queueNote()) };
}

/** The plan with what binding found: per workload, the revision, image, age and health a rollback lands on. */
function withPlan(m: Message, bound: Bound): Message {
  const sections = [...(m.sections ?? [])];
  if (bound.lines.length > 0) sections.push({ heading: bound.heading ?? LANDS_ON, lines: bound.lines });
  if (bound.notes.length > 0) sections.push({ heading: 'Left alone', lines: bound.notes });
  return { ...m, sections };
}

/**
 * A deploy a newer one replaced before it started: it ends as cancelled and says by whom; its
 * approval, if still open, is withdrawn; its job, if one waits, is removed (a job already past
 * that point finds the operation ended and does nothing). Its queue entry stays (superseded)
 * until its record says so: a request still on its way finds it and ends itself the same way.
 */
async function settleSuperseded(s: Services, old: QueueEntry): Promise<void> {
  const now = s.clock();
  const summary = supersededSummary(old.by ?? 'a newer deploy', old.byWhat);
  const op = await s.ops.get(old.opId);
  if (op === undefined) return;
  if (!FINAL_STATUSES.has(op.status)) {
    await s.ops.update(old.opId, { status: 'cancelled', summary, queuedBehind: '' }, now);
    if (op.approvalId !== undefined) {
      const a = await s.approvals.get(op.approvalId, now);
      if (a?.status === 'pending') await s.approvals.decide(op.approvalId, { kind: 'cancel', actor: a.requester, now, reason: summary });
    }
    await s.audit.append({ at: now, kind: 'cancelled', actor: 'bot', opId: old.opId, approvalId: op.approvalId, app: op.app, env: op.env, summary, detail: { supersededBy: old.by }, traceId: op.traceId }, { dedupeKey: `${old.opId}:superseded` });
  }
  try {
    const job = await s.queue.getJob(old.job);
    if (job !== undefined && job !== null && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove();
  } catch {
    // It started meanwhile: its gate finds the operation ended.
  }
  await leaveQueue(queueGate(s), old.opId);
}

/** A newer request may have superseded this one while it was being made: then it ends here, as the older ones do. */
async function supersededMeanwhile(s: Services, opId: string): Promise<boolean> {
  const mine = await s.opQueue.get(opId);
  if (mine?.state !== 'superseded') return false;
  await settleSuperseded(s, mine);
  return true;
}
