import type { Queue } from 'bullmq';
import { tagOf } from '../kube/images.ts';
import { leaseKey } from './leases.ts';
import type { OpQueue, QueueEntry } from './op-queue.ts';
import type { OpRecord, OpStatus, Operations } from './operations.ts';
import type { JobSpec } from './spec.ts';

/**
 * The queue (op-queue.ts) tied to operation records and jobs: before an operation's job does
 * anything it passes the gate, which starts it or says who it waits for. Whoever it waits for is
 * checked first: an operation that ended (its record says so) or whose running job is gone for
 * good (failed or removed: a worker killed while holding the head, out of retries) is taken off
 * the queue, and a dead one is marked failed, so the next in line never waits forever on a
 * crash. An entry past its expiry holds nobody up and is ended by its own job.
 */
export interface GateDeps {
  readonly queue: OpQueue;
  readonly ops: Operations;
  /** The BullMQ queue: whether a job is still alive, and waking the delayed jobs of the next in line. */
  readonly jobs: Queue;
  readonly clock: () => Date;
  readonly audit: (e: { kind: 'failed' | 'expired' | 'cancelled'; opId: string; app: string; env: string; summary: string; dedupeKey: string }) => Promise<void>;
}

export interface Behind {
  readonly entry: QueueEntry;
  readonly op: OpRecord | undefined;
}

export type Gate =
  | { readonly kind: 'go'; readonly waited: boolean }
  | { readonly kind: 'wait'; readonly behind: readonly Behind[] }
  /** It ended in the queue (superseded, expired): the record says how; nothing ran. */
  | { readonly kind: 'ended'; readonly status: OpStatus; readonly summary: string }
  /** A job of a paused operation that was not resumed (a stale decision job): nothing to do. */
  | { readonly kind: 'paused' };

export const FINAL_STATUSES: ReadonlySet<OpStatus> = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled']);
const DEAD_JOB_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'unknown']);
/** An entry is made just before its operation's record: without a record for this long, it is a leftover. */
const RECORD_GRACE_MS = 60_000;

/** Whether the entry's operation has ended, or never got a record (a request that died half-way). */
export function endedOrOrphaned(entry: QueueEntry, op: OpRecord | undefined, now: number): boolean {
  return op === undefined ? now - entry.since > RECORD_GRACE_MS : FINAL_STATUSES.has(op.status);
}

/** Lease keys of every workload a spec changes. */
export function workloadsOf(spec: JobSpec): string[] {
  const targets = spec.kind === 'upgrade' ? spec.batches.flat() : spec.targets;
  return [...new Set(targets.map((t) => leaseKey(t.workload)))];
}

/** "deploy web v2 by alice": what an operation does, for the people queued behind it. */
export function whatOf(spec: JobSpec, actor: string): string {
  const tag = (image: string) => tagOf(image) ?? image;
  const what = ((): string => {
    switch (spec.kind) {
      case 'deploy':
        return `deploy ${spec.app} ${tag(spec.image)}`;
      case 'scale':
        return `scale ${spec.app} to ${spec.replicas}`;
      case 'autoscale':
        return spec.hpa === null ? `autoscale ${spec.app} off` : `autoscale ${spec.app} ${spec.hpa.min}-${spec.hpa.max}`;
      case 'rollback':
        return `rollback ${spec.app}${spec.to === undefined ? '' : ` to ${spec.to}`}`;
      case 'upgrade':
        return spec.pods === undefined ? `upgrade ${spec.app} to ${tag(spec.image)}` : `deploy ${spec.app} ${tag(spec.image)} in pod batches (${spec.pods.asked.join(',')})`;
      case 'restart':
        return `restart ${spec.app}`;
    }
  })();
  return `${what} in ${spec.env} by ${actor}`;
}

/** Deploys of one app in one env supersede each other. */
export function groupOf(spec: JobSpec): string {
  return spec.kind === 'deploy' ? `deploy|${spec.env}|${spec.app}` : '';
}

function stateWords(b: Behind): string {
  if (b.entry.state === 'running') return 'running';
  if (b.entry.state === 'paused') return 'paused, waiting for a decision';
  return b.op?.status === 'awaiting_approval' ? 'waiting for approval' : 'queued';
}

/** "op-1a2b (deploy web v1 in staging by alice, running)" */
export function describeBehind(b: Behind): string {
  return `${b.entry.opId} (${b.entry.what}, ${stateWords(b)})`;
}

/** The sentence a queued operation shows: "Queued behind op-… (…)". */
export function queuedBehindText(behind: readonly Behind[]): string {
  const first = behind.slice(0, 3).map(describeBehind).join(', ');
  return `Queued behind ${first}${behind.length > 3 ? ` and ${behind.length - 3} more` : ''}; it starts when ${behind.length === 1 ? 'that one is' : 'they are'} done.`;
}

/** Takes the operation off the queue (or keeps `keep` while it pauses, said by job `by`) and wakes the jobs waiting on its workloads. */
export async function leaveQueue(d: GateDeps, opId: string, keep?: readonly string[], by?: string): Promise<void> {
  const wake = await d.queue.release(opId, keep, by);
  for (const id of new Set(wake)) {
    try {
      const job = await d.jobs.getJob(id);
      if (job !== undefined && job !== null && (await job.isDelayed())) await job.promote();
    } catch {
      // It moved on meanwhile (started, finished): its own poll covers the rest.
    }
  }
}

/** Whether someone ahead is really still there; takes off the queue (and marks failed) those that are not. */
async function clearDead(d: GateDeps, behind: readonly QueueEntry[]): Promise<{ cleared: boolean; alive: Behind[] }> {
  let cleared = false;
  const alive: Behind[] = [];
  for (const entry of behind) {
    const op = await d.ops.get(entry.opId);
    if (endedOrOrphaned(entry, op, d.clock().getTime())) {
      await leaveQueue(d, entry.opId);
      cleared = true;
      continue;
    }
    if (op === undefined) {
      alive.push({ entry, op });
      continue;
    }
    if (entry.state === 'running' && op.status === 'paused') {
      // It paused without saying so to the queue (a crash in between): it keeps everything until decided.
      await leaveQueue(d, entry.opId, entry.workloads);
      cleared = true;
      continue;
    }
    if (entry.state === 'running' && DEAD_JOB_STATES.has(await d.jobs.getJobState(entry.job))) {
      const summary = `stopped: its job ended without finishing (a worker died or it ran out of retries); some workloads may have changed, check /status before asking again`;
      await d.ops.update(entry.opId, { status: 'failed', summary }, d.clock());
      await d.audit({ kind: 'failed', opId: entry.opId, app: op.app, env: op.env, summary, dedupeKey: `${entry.opId}:dead` });
      await leaveQueue(d, entry.opId);
      cleared = true;
      continue;
    }
    alive.push({ entry, op });
  }
  return { cleared, alive };
}

/** Ends an operation that never left the queue, once (its record then says why). */
async function endInQueue(d: GateDeps, entry: QueueEntry, status: 'cancelled' | 'expired', summary: string): Promise<Gate> {
  const op = await d.ops.get(entry.opId);
  if (op !== undefined && !FINAL_STATUSES.has(op.status)) {
    await d.ops.update(entry.opId, { status, summary, queuedBehind: '' }, d.clock());
    await d.audit({ kind: status, opId: entry.opId, app: op.app, env: op.env, summary, dedupeKey: `${entry.opId}:queue-${status}` });
  }
  await leaveQueue(d, entry.opId);
  const now = await d.ops.get(entry.opId);
  return { kind: 'ended', status: now?.status ?? status, summary: now?.summary ?? summary };
}

export function supersededSummary(by: string, what: string | undefined): string {
  return `Superseded by ${by}${what === undefined ? '' : ` (${what})`}: a newer deploy of the same app and environment was asked for before this one started. Nothing was run.`;
}

/**
 * Starts `opId` under `job` if nothing is ahead of it. `dry`: only says who it would wait for
 * (the request's answer); it changes nothing but taking dead entries off the queue.
 */
export async function passGate(d: GateDeps, opId: string, job: string, options: { dry?: boolean } = {}): Promise<Gate> {
  for (let round = 0; ; round++) {
    const r = await d.queue.tryStart(opId, job, d.clock().getTime(), options);
    switch (r.kind) {
      case 'none': {
        // Not (or no longer) queued: an operation from before the queue goes; one that ended stays ended.
        const op = await d.ops.get(opId);
        return op !== undefined && FINAL_STATUSES.has(op.status) ? { kind: 'ended', status: op.status, summary: op.summary } : { kind: 'go', waited: false };
      }
      case 'go':
        return { kind: 'go', waited: r.entry.waited };
      case 'paused':
        return { kind: 'paused' };
      case 'superseded': {
        const summary = supersededSummary(r.entry.by ?? 'a newer deploy', r.entry.byWhat);
        return options.dry === true ? { kind: 'ended', status: 'cancelled', summary } : endInQueue(d, r.entry, 'cancelled', summary);
      }
      case 'expired': {
        const summary = `Expired in the queue at ${new Date(r.entry.expiresAt).toISOString()} before its turn came; nothing was run.`;
        return options.dry === true ? { kind: 'ended', status: 'expired', summary } : endInQueue(d, r.entry, 'expired', summary);
      }
      case 'wait': {
        const { cleared, alive } = await clearDead(d, r.behind);
        // Whoever was dead is gone now: look again (a few times at most; the poll covers the rest).
        if (cleared && round < 3) continue;
        return { kind: 'wait', behind: alive };
      }
    }
  }
}
