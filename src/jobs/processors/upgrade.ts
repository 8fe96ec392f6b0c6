import { selectContainers } from '../../kube/images.ts';
import { describeTarget, followWithProgress, outageNote, refOf, rolloutFailure, type JobResult, type Processor } from '../context.ts';
import { createLedger, type LedgerSnapshot } from '../ledger.ts';
import { runProbe } from '../probe.ts';
import { expectedChanges } from '../preview.ts';
import type { UpgradeTarget } from '../spec.ts';
import { afterHealthy, blockedGate, mapLimit, mayAct, nextBatch } from '../upgrade-steps.ts';
import { inSpan } from '../../telemetry/spans.ts';
import { abortUpgrade } from './upgrade-abort.ts';
import { bakeBatch, isPodTarget, restoreStrategy, updatePodBatch } from './upgrade-pods.ts';
import { endWith, keyOf, kubeMessage, percentDone, resultFromLedger, snapshot, stepTarget, type Run, type WorkloadOutcome } from './upgrade-run.ts';
import { upgradeWrite } from '../writes.ts';

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
async function updateWorkload(r: Run, t: UpgradeTarget, snap: LedgerSnapshot, batch: number): Promise<WorkloadOutcome> {
  const { spec, ctx, ledger, opId } = r;
  const w = t.workload;
  const key = keyOf(t);
  return stepTarget(r, t, snap, batch, async ({ action, fail, done }) => {
    const gw = ctx.gatewayFor(w.cluster);
    let generation: number;
    if (action === 'write') {
      // Conditional on the image bound at request time; finds the target in place (no write) if
      // an earlier run's write landed just before it died.
      const res = await gw.setImage({ ...upgradeWrite(spec, t, batch, ctx.payload), expect: expectedChanges(ctx.payload.preview, w) });
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
      await ctx.noteRevision(w, 'failed', undefined, rollout.status);
      return fail(rolloutFailure(rollout));
    }
    return { ...(await done(`${spec.image} is live${outageNote(w.cluster, rollout)}`)), seen: rollout.status };
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

/** Every batch healthy: a pod-batch release first puts each StatefulSet's update strategy back as it was. */
async function finish(r: Run): Promise<JobResult> {
  if (r.spec.pods !== undefined) await restoreStrategy(r);
  return endWith(r, 'done', r.spec.batches.length);
}

/** What one batch holds, for chat: workloads, or a pod-batch release's pods on each cluster. */
function batchWords(r: Run, i: number): string {
  const targets = r.spec.batches[i] ?? [];
  if (r.spec.pods === undefined) return `${targets.length} workload(s)`;
  const pods = targets.reduce((n, t) => n + (t.pods === undefined ? 0 : t.pods.hi - t.pods.lo + 1), 0);
  return `${pods} pod(s) on ${targets.length} cluster(s)`;
}

async function runBatches(r: Run): Promise<JobResult> {
  for (;;) {
    const snap = await snapshot(r);
    if (!mayAct(snap.gate.state, snap.decisions, r.n)) return resultFromLedger(r.spec, snap, r.opId);
    const i = nextBatch(snap.batches);
    if (i === undefined) return finish(r);
    // A span per batch, under the job's: its writes, waits and probes hang under it.
    const attributes = { 'chatops.op_id': r.opId, 'chatops.batch': i + 1, 'chatops.batches': r.spec.batches.length };
    const ended = await inSpan(`batch ${i + 1}`, attributes, () => runBatch(r, snap, i));
    if (ended !== undefined) return ended;
  }
}

/** Batch i, then the gate after it: a result ends the job; undefined goes on with the next batch. */
async function runBatch(r: Run, snap: LedgerSnapshot, i: number): Promise<JobResult | undefined> {
  const { spec, ctx, ledger, opId } = r;
  const total = spec.batches.length;
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
  await ctx.progress({ step: 'batch', batch: i + 1, percent: percentDone(spec, snap), message: `batch ${i + 1} of ${total}: ${batchWords(r, i)}${step === 'failed' ? ' (retry)' : ''}` });
  const outcomes = await mapLimit(targets, spec.concurrency, (t) => (isPodTarget(t) ? updatePodBatch(r, t, snap, i) : updateWorkload(r, t, snap, i)));
  const failed = outcomes.map((o, j) => ({ o, t: targets[j] as UpgradeTarget })).filter((x) => !x.o.ok);
  let problems =
    failed.length > 0
      ? [`${failed.length} of ${targets.length} workload(s) failed: ${failed.slice(0, 3).map((x) => `${x.t.workload.app} on ${x.t.workload.cluster}: ${x.o.message}`).join('; ')}${failed.length > 3 ? '; …' : ''}`]
      : await probeBatch(r, i);
  // bake=: a batch about to go on by itself must stay healthy for a while first (checked again after).
  const bake = spec.pods?.bake;
  if (problems.length === 0 && bake !== undefined && afterHealthy(spec.gate, i, total) === 'next') problems = await bakeBatch(r, i, bake, () => probeBatch(r, i));
  const after = await snapshot(r);
  if (problems.length > 0) {
    await ledger.moveBatch(opId, i, 'failed');
    const reason = problems.join('; ');
    await ctx.audit('step', `batch ${i + 1} of ${total} failed: ${reason}`, { batch: i + 1 });
    await ctx.progress({ step: 'gate', batch: i + 1, percent: percentDone(spec, after), message: `batch ${i + 1} failed: ${reason}` });
    return endWith(r, 'paused_failed', i + 1, reason);
  }
  await ledger.moveBatch(opId, i, 'healthy');
  // Rollouts complete and probes passing: each new revision is known good (a StatefulSet's once all its pods run it).
  // The state each rollout was judged complete on names its revision (no second read of the workload).
  if (spec.pods === undefined || i === total - 1) await mapLimit(targets, spec.concurrency, (t, j) => ctx.noteRevision(t.workload, 'complete', undefined, outcomes[j]?.seen));
  await ctx.audit('step', `batch ${i + 1} of ${total} is healthy (${batchWords(r, i)})`, { batch: i + 1 });
  await ctx.progress({ step: 'gate', batch: i + 1, percent: percentDone(spec, after), message: `batch ${i + 1} of ${total} is healthy` });
  const next = afterHealthy(spec.gate, i, total);
  if (next === 'done') return finish(r);
  if (next === 'wait') return endWith(r, 'waiting_decision', i + 1);
  return undefined;
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
