import { KubeError } from '../../kube/errors.ts';
import { selectContainers } from '../../kube/images.ts';
import { StaleRequest } from '../../kube/retry.ts';
import { describeTarget, followWithProgress, outageNote, refOf, rolloutFailure, type JobContext, type JobResult, type Processor, type TargetResult } from '../context.ts';
import { leaseKey } from '../leases.ts';
import { createLedger, type Ledger, type LedgerSnapshot } from '../ledger.ts';
import { runProbe } from '../probe.ts';
import type { SpecOf, UpgradeTarget } from '../spec.ts';
import { afterHealthy, blockedGate, mapLimit, mayAct, nextBatch, rollbackCandidate, workloadAction, type GateState } from '../upgrade-steps.ts';

/**
 * A batch upgrade, run from its step ledger (ledger.ts). Each job of the operation (the first,
 * then one per decision from chat) picks up where the ledger stands: the next batch that isn't
 * healthy, its workloads updated concurrently (up to the spec's concurrency) under their
 * leases, each write conditional on the image bound at request time; then the batch's health
 * gate (rollouts complete, the apps' HTTP probes). gate=auto goes on to the next batch,
 * gate=manual pauses after each batch but the last, and a failed batch or a policy block
 * pauses too: the job ends with outcome "paused" and the next decision starts a new job.
 *
 * A job killed midway is run again (BullMQ's stalled-job detection) and resumes: finished
 * workloads are skipped, written ones are re-checked against the live image, never written
 * twice, and pending ones are written conditionally (a write that landed just before the crash
 * is found in place and not repeated).
 */
type Spec = SpecOf<'upgrade'>;

interface Run {
  readonly spec: Spec;
  readonly ctx: JobContext;
  readonly ledger: Ledger;
  readonly opId: string;
  /** This job's decision number (0: the first job). */
  readonly n: number;
}

interface WorkloadOutcome {
  readonly ok: boolean;
  readonly message: string;
}

const keyOf = (t: UpgradeTarget): string => leaseKey(t.workload);

function allTargets(spec: Spec): UpgradeTarget[] {
  return spec.batches.flat();
}

function stepOf(snap: LedgerSnapshot, t: UpgradeTarget) {
  return snap.workloads.get(keyOf(t))?.step ?? 'pending';
}

function percentDone(spec: Spec, snap: LedgerSnapshot): number {
  const all = allTargets(spec);
  return Math.round((100 * all.filter((t) => stepOf(snap, t) === 'done').length) / Math.max(1, all.length));
}

function targetResults(spec: Spec, snap: LedgerSnapshot): TargetResult[] {
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
      const back = targets.filter((t) => t.outcome === 'rolled_back').length;
      const tail = g.state === 'rolled_back' ? `; ${back} workload(s) rolled back to their old image${why}` : `; ${targets.filter((t) => t.outcome === 'done').length} workload(s) keep ${spec.image}`;
      const failed = g.reason?.startsWith('rollback failed') === true;
      return { outcome: failed ? 'failed' : 'cancelled', summary: `upgrade to ${spec.image} aborted${by}${tail}`, targets };
    }
    case 'running':
      return { outcome: 'paused', summary: `upgrade to ${spec.image} is being run by another job`, targets, superseded: true };
  }
}

async function snapshot(r: Run): Promise<LedgerSnapshot> {
  const snap = await r.ledger.read(r.opId);
  if (snap === undefined) throw new Error(`operation ${r.opId} has no upgrade ledger`);
  return snap;
}

/** Moves the gate and ends the job with what the ledger says then. */
async function endWith(r: Run, state: GateState, batch: number, reason?: string): Promise<JobResult> {
  await r.ledger.setGate(r.opId, r.n, state, batch, reason);
  return resultFromLedger(r.spec, await snapshot(r), r.opId);
}

function kubeMessage(e: unknown): string | undefined {
  if (e instanceof StaleRequest) return e.message;
  if (e instanceof KubeError && !e.retryable) return e.message;
  return undefined; // transient, a busy lease, anything unknown: the job retries and resumes
}

async function updateWorkload(r: Run, t: UpgradeTarget, snap: LedgerSnapshot, batch: number): Promise<WorkloadOutcome> {
  const { spec, ctx, ledger, opId } = r;
  const step = stepOf(snap, t);
  const action = workloadAction(step);
  if (action === 'skip') return { ok: step === 'done', message: snap.workloads.get(keyOf(t))?.message ?? step };
  const w = t.workload;
  const key = keyOf(t);
  const fail = async (message: string): Promise<WorkloadOutcome> => {
    await ledger.moveWorkload(opId, key, 'failed', message);
    await ctx.progress({ step: 'workload', batch: batch + 1, cluster: w.cluster, workload: w.name, percent: 0, message: `failed: ${message}` });
    return { ok: false, message };
  };
  const work = async (): Promise<WorkloadOutcome> => {
    const gw = ctx.gatewayFor(w.cluster);
    let generation: number;
    if (action === 'write') {
      // Conditional on the image bound at request time; finds the target in place (no write) if
      // an earlier run's write landed just before it died.
      const res = await gw.setImage({
        ...refOf(w),
        image: spec.image,
        container: w.container,
        expectedFrom: t.fromImage,
        changeCause: `chatops ${opId}: upgrade to ${spec.image}, batch ${batch + 1} of ${spec.batches.length} (by ${ctx.payload.requestedBy})`,
      });
      generation = res.generation;
      await ledger.moveWorkload(opId, key, 'written', res.changed ? `set ${spec.image}` : `already ran ${spec.image}`);
      await ctx.audit('step', `${res.changed ? 'set' : 'found'} ${spec.image} on ${describeTarget(w)} (batch ${batch + 1})`, { changed: res.changed, containers: res.containers, batch: batch + 1 }, w);
    } else {
      // Written by an earlier run of this operation: look, don't write again.
      const s = await gw.status(refOf(w));
      const sel = selectContainers(s.containers, spec.image, w.container);
      const running = sel.ok ? [...new Set(sel.containers.map((c) => c.image))] : [];
      if (!sel.ok || running.some((img) => img !== spec.image)) {
        return fail(`${describeTarget(w)} was changed by someone else after this upgrade set ${spec.image}: it runs ${running.join(', ') || 'something else'} now`);
      }
      generation = s.generation;
    }
    await ctx.progress({ step: 'rollout', batch: batch + 1, cluster: w.cluster, workload: w.name, percent: 0, message: `rolling out ${spec.image}` });
    const rollout = await followWithProgress(ctx, gw, w, generation, batch + 1);
    if (rollout.outcome === 'cancelled') throw new Error(`following the rollout of ${describeTarget(w)} was cancelled`);
    if (rollout.outcome !== 'complete') {
      await ctx.noteRevision(w, 'failed');
      return fail(rolloutFailure(rollout));
    }
    const live = `${spec.image} is live${outageNote(w.cluster, rollout)}`;
    await ledger.moveWorkload(opId, key, 'done', live);
    await ctx.progress({ step: 'workload', batch: batch + 1, cluster: w.cluster, workload: w.name, percent: 100, message: live });
    return { ok: true, message: live };
  };
  return ctx.withLease(w, async () => {
    try {
      return await work();
    } catch (e) {
      // Stale, forbidden, gone, invalid: this workload fails (the batch pauses); anything else retries the job.
      const msg = kubeMessage(e);
      if (msg === undefined) throw e;
      return fail(msg);
    }
  });
}

/** The HTTP probes of a batch: one per app (with a probe) and cluster. Failed ones fail their workloads. */
async function probeBatch(r: Run, batch: number): Promise<string[]> {
  const { spec, ctx } = r;
  const places = new Map<string, UpgradeTarget[]>();
  for (const t of spec.batches[batch] ?? []) {
    if (ctx.config.apps[t.workload.app]?.probe === undefined) continue;
    const k = `${t.workload.app}@${t.workload.cluster}`;
    places.set(k, [...(places.get(k) ?? []), t]);
  }
  const problems = await Promise.all(
    [...places.values()].map(async (targets) => {
      const w = (targets[0] as UpgradeTarget).workload;
      const probe = ctx.config.apps[w.app]?.probe;
      if (probe === undefined) return undefined;
      const res = await runProbe(probe, { region: w.region, cluster: w.cluster, app: w.app, env: w.env }, { fetch: ctx.fetch, signal: ctx.signal });
      await ctx.progress({ step: 'probe', batch: batch + 1, cluster: w.cluster, workload: w.name, percent: 100, message: res.ok ? `${res.url} is healthy` : res.problem });
      if (res.ok) return undefined;
      const msg = `health probe failed: ${res.problem}`;
      for (const t of targets) {
        await r.ledger.moveWorkload(r.opId, keyOf(t), 'failed', msg);
        await ctx.noteRevision(t.workload, 'failed');
      }
      return `${w.app} on ${w.cluster}: ${res.problem}`;
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}

async function runBatches(r: Run): Promise<JobResult> {
  const { spec, ctx, ledger, opId } = r;
  const total = spec.batches.length;
  for (;;) {
    const snap = await snapshot(r);
    if (!mayAct(snap.gate.state, snap.decisions, r.n)) return resultFromLedger(spec, snap, opId);
    const i = nextBatch(snap.batches);
    if (i === undefined) return endWith(r, 'done', total);
    const step = snap.batches[i] ?? 'pending';
    // Policy again before every batch: a freeze, lock or config change since the request pauses it.
    const block = await ctx.policyBlock();
    if (block !== undefined) {
      const g = blockedGate(i, step);
      await ctx.progress({ step: 'gate', batch: i + 1, percent: percentDone(spec, snap), message: `paused before batch ${i + 1}: ${block}` });
      return endWith(r, g.state, g.batch, `blocked: ${block}`);
    }
    const targets = spec.batches[i] ?? [];
    await ledger.moveBatch(opId, i, 'running');
    await ctx.progress({ step: 'batch', batch: i + 1, percent: percentDone(spec, snap), message: `batch ${i + 1} of ${total}: ${targets.length} workload(s)${step === 'failed' ? ' (retry)' : ''}` });
    const outcomes = await mapLimit(targets, spec.concurrency, (t) => updateWorkload(r, t, snap, i));
    const failed = outcomes.map((o, j) => ({ o, t: targets[j] as UpgradeTarget })).filter((x) => !x.o.ok);
    const problems =
      failed.length > 0
        ? [`${failed.length} of ${targets.length} workload(s) failed: ${failed.slice(0, 3).map((x) => `${x.t.workload.app} on ${x.t.workload.cluster}: ${x.o.message}`).join('; ')}${failed.length > 3 ? '; …' : ''}`]
        : await probeBatch(r, i);
    const after = await snapshot(r);
    if (problems.length > 0) {
      await ledger.moveBatch(opId, i, 'failed');
      const reason = problems.join('; ');
      await ctx.audit('step', `batch ${i + 1} of ${total} failed: ${reason}`, { batch: i + 1 });
      await ctx.progress({ step: 'gate', batch: i + 1, percent: percentDone(spec, after), message: `batch ${i + 1} failed: ${reason}` });
      return endWith(r, 'paused_failed', i + 1, reason);
    }
    await ledger.moveBatch(opId, i, 'healthy');
    // Rollouts complete and probes passing: each new revision is known good.
    await mapLimit(targets, spec.concurrency, (t) => ctx.noteRevision(t.workload, 'complete'));
    await ctx.audit('step', `batch ${i + 1} of ${total} is healthy (${targets.length} workload(s))`, { batch: i + 1 });
    await ctx.progress({ step: 'gate', batch: i + 1, percent: percentDone(spec, after), message: `batch ${i + 1} of ${total} is healthy` });
    const next = afterHealthy(spec.gate, i, total);
    if (next === 'done') return endWith(r, 'done', total);
    if (next === 'wait') return endWith(r, 'waiting_decision', i + 1);
  }
}

/**
 * Abort; with rollback, every workload this operation may have written goes back to the image
 * it ran before, but only if it still runs the upgrade's image: a newer deploy is kept.
 */
async function abortUpgrade(r: Run, rollback: boolean): Promise<JobResult> {
  const { spec, ctx, ledger, opId } = r;
  const snap = await snapshot(r);
  if (!rollback) return endWith(r, 'aborted', snap.gate.batch, undefined);
  const candidates = allTargets(spec).filter((t) => rollbackCandidate(stepOf(snap, t)));
  const outcomes = await mapLimit(candidates, spec.concurrency, (t) =>
    ctx.withLease(t.workload, async (): Promise<WorkloadOutcome & { kept?: boolean }> => {
      const w = t.workload;
      const gw = ctx.gatewayFor(w.cluster);
      let generation: number;
      let changed: boolean;
      let leaving: Awaited<ReturnType<typeof gw.history>>[number] | undefined;
      try {
        // The revision being left, to record it as undone once the write is in.
        leaving = (await gw.history(refOf(w))).find((x) => x.current);
        const res = await gw.setImage({ ...refOf(w), image: t.fromImage, container: w.container, expectedFrom: spec.image, changeCause: `chatops ${opId}: abort --rollback of the upgrade to ${spec.image} (by ${ctx.payload.decision?.by ?? '?'})` });
        generation = res.generation;
        changed = res.changed;
      } catch (e) {
        if (e instanceof StaleRequest) {
          const message = `kept: it no longer runs ${spec.image} (a newer change is never overwritten)`;
          await ledger.moveWorkload(opId, keyOf(t), stepOf(snap, t), message);
          return { ok: true, kept: true, message };
        }
        const msg = kubeMessage(e);
        if (msg === undefined) throw e;
        return { ok: false, message: msg };
      }
      await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', `back on ${t.fromImage}`);
      if (changed && leaving !== undefined && leaving.images.some((c) => c.image === spec.image)) await ctx.noteRevision(w, 'undone', leaving);
      if (changed) await ctx.audit('rolled_back', `rolled ${describeTarget(w)} back to ${t.fromImage} (abort of the upgrade to ${spec.image})`, { from: spec.image, to: t.fromImage }, w);
      let rollout: Awaited<ReturnType<typeof gw.followRollout>>;
      try {
        rollout = await gw.followRollout(refOf(w), { timeoutMs: ctx.rolloutTimeoutMs, minGeneration: generation, signal: ctx.signal });
      } catch (e) {
        const msg = kubeMessage(e);
        if (msg === undefined) throw e;
        return { ok: false, message: `back on ${t.fromImage}, but its rollout could not be followed: ${msg}` };
      }
      await ctx.progress({ step: 'rollback', cluster: w.cluster, workload: w.name, percent: 100, message: `back on ${t.fromImage}: ${rollout.message}` });
      if (rollout.outcome === 'cancelled') throw new Error(`following the rollback of ${describeTarget(w)} was cancelled`);
      if (rollout.outcome === 'complete') await ctx.noteRevision(w, 'complete');
      if (rollout.outcome !== 'complete') {
        const message = `back on ${t.fromImage}, but its rollout did not complete: ${rollout.message}`;
        await ledger.moveWorkload(opId, keyOf(t), 'rolled_back', message);
        return { ok: false, message };
      }
      return { ok: true, message: `back on ${t.fromImage}` };
    }),
  );
  const bad = outcomes.filter((o) => !o.ok);
  const kept = outcomes.filter((o) => o.kept === true).length;
  const reason = bad.length > 0 ? `rollback failed on ${bad.length} workload(s): ${bad[0]?.message ?? ''}` : kept > 0 ? `${kept} kept a newer image` : undefined;
  return endWith(r, 'rolled_back', snap.gate.batch, reason);
}

export const upgrade: Processor<'upgrade'> = async (spec, ctx) => {
  const ledger = createLedger(ctx.redis, ctx.prefix);
  const opId = ctx.payload.opId;
  const decision = ctx.payload.decision;
  const r: Run = { spec, ctx, ledger, opId, n: decision?.n ?? 0 };
  await ledger.init(opId, ctx.payload, spec.batches.length);
  const snap = await snapshot(r);
  // A replay of a job whose work is done, or one overtaken by a newer decision: report, change nothing.
  if (!mayAct(snap.gate.state, snap.decisions, r.n)) return resultFromLedger(spec, snap, opId);
  try {
    if (decision?.kind === 'abort') return await abortUpgrade(r, decision.rollback);
    return await runBatches(r);
  } catch (e) {
    // BullMQ retries with backoff and the next attempt resumes from the ledger; out of retries,
    // or on an error no retry fixes, pause where it stands, so people can fix the cause and /retry, or /abort.
    if (!ctx.lastAttempt && kubeMessage(e) === undefined) throw e;
    const now = await snapshot(r);
    const i = nextBatch(now.batches) ?? spec.batches.length - 1;
    if (now.batches[i] === 'running') await ledger.moveBatch(opId, i, 'failed');
    const why = e instanceof Error ? e.message : String(e);
    return endWith(r, 'paused_failed', i + 1, `stopped after repeated errors: ${why}`);
  }
};
