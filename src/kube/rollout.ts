import type { KubeClients } from './clients.ts';
import { diagnose, type Diagnosis } from './diagnose.ts';
import { KubeError } from './errors.ts';
import { workloadStatus, type WorkloadCondition, type WorkloadStatus } from './status.ts';
import { processWatches, type WatchHub, type WatchSubscription } from './watch-hub.ts';
import type { WorkloadRef } from './workload.ts';
import { rolloutState } from './rollout-state.ts';

export { rolloutState, type RolloutPhase, type RolloutState } from './rollout-state.ts';

/**
 * Follows a rollout until it is complete, has failed (a Deployment past its
 * progressDeadlineSeconds: Progressing=False, ProgressDeadlineExceeded), or runs out of time.
 * The states come from the shared watch of the workload's namespace and kind (watch.ts): one
 * LIST and WATCH per namespace however many rollouts in it are followed. While that watch is
 * down the follower polls the workload with a GET every interval, as it did before watches, and
 * that is also where a cluster that stopped answering is noticed and reported. On failure or
 * timeout the result carries a diagnosis: pod reasons and Warning events.
 */
export interface RolloutProgress {
  readonly observedGeneration: number;
  readonly generation: number;
  /** Desired replicas. */
  readonly replicas: number;
  /** Pods that exist, old and new. */
  readonly current: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly unavailable: number;
  readonly conditions: readonly WorkloadCondition[];
  /** StatefulSets only. */
  readonly currentRevision?: string | undefined;
  readonly updateRevision?: string | undefined;
  readonly partition?: number | undefined;
}

export interface FollowOptions {
  readonly timeoutMs: number;
  /** Poll interval while the watch is down (or with `watches: false`); default 300 ms. */
  readonly intervalMs?: number | undefined;
  /** The shared watches to follow through; default the process's; false polls only. */
  readonly watches?: WatchHub | false | undefined;
  /** Called with each state that differs from the previous one. Errors in it are not caught. */
  readonly onProgress?: ((p: RolloutProgress) => void | Promise<void>) | undefined;
  /** Wait at least for the controller to observe this generation (from the write's result). */
  readonly minGeneration?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Whether to attach a diagnosis on failure or timeout; default true. */
  readonly diagnose?: boolean | undefined;
  readonly now?: (() => number) | undefined;
  /**
   * Called when the cluster stops answering (a transient error after a good read, or at the
   * first read) and when it answers again, so the caller can say so while it keeps waiting.
   * Errors in it are not caught.
   */
  readonly onContact?: ((change: ContactChange) => void | Promise<void>) | undefined;
}

export type ContactChange =
  | { readonly state: 'lost'; readonly reason: string }
  | { readonly state: 'back'; readonly downMs: number };

export interface RolloutResult {
  readonly outcome: 'complete' | 'failed' | 'timeout' | 'cancelled';
  readonly reason: string | undefined;
  readonly message: string;
  readonly last: RolloutProgress;
  /**
   * The workload's state the outcome was judged on (from the watch, or the fallback GET);
   * undefined when it was never seen. Its revision is the one that completed or failed.
   */
  readonly status: WorkloadStatus | undefined;
  /** How many distinct states were reported through onProgress. */
  readonly updates: number;
  readonly elapsedMs: number;
  readonly diagnosis: Diagnosis | undefined;
  /** Time the cluster did not answer while being followed, summed over every outage. */
  readonly unreachableMs: number;
}

export function progressOf(s: WorkloadStatus): RolloutProgress {
  const base = {
    observedGeneration: s.observedGeneration,
    generation: s.generation,
    replicas: s.replicas.desired,
    current: s.replicas.current,
    updated: s.replicas.updated,
    ready: s.replicas.ready,
    available: s.replicas.available,
    unavailable: s.replicas.unavailable,
    conditions: s.conditions,
  };
  if (s.ref.kind === 'Deployment') return base;
  return { ...base, currentRevision: s.currentRevision, updateRevision: s.updateRevision, partition: s.partition };
}

/** The key used to tell states apart (conditions without their timestamps). */
function progressKey(p: RolloutProgress): string {
  return JSON.stringify(p);
}

export async function followRollout(c: KubeClients, ref: WorkloadRef, options: FollowOptions): Promise<RolloutResult> {
  const hub = options.watches ?? processWatches();
  const sub = hub === false ? undefined : hub.subscribe(c, ref);
  try {
    return await follow(c, ref, options, sub);
  } finally {
    sub?.close();
  }
}

async function follow(c: KubeClients, ref: WorkloadRef, options: FollowOptions, sub: WatchSubscription | undefined): Promise<RolloutResult> {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 300;
  const started = now();
  let since: Date | undefined;
  let lastKey = '';
  let updates = 0;
  let last: RolloutProgress | undefined;
  let seen: WorkloadStatus | undefined;
  let lostAt: number | undefined;
  let unreachableMs = 0;
  const finish = async (outcome: RolloutResult['outcome'], state: { reason: string | undefined; message: string }): Promise<RolloutResult> => {
    const wantDiagnosis = (options.diagnose ?? true) && (outcome === 'failed' || outcome === 'timeout');
    let diagnosis: Diagnosis | undefined;
    if (wantDiagnosis) {
      try {
        diagnosis = await diagnose(c, ref);
      } catch {
        // A diagnosis is a courtesy: the outcome stands without it.
        diagnosis = undefined;
      }
    }
    return {
      outcome,
      reason: state.reason,
      message: state.message,
      last: last ?? emptyProgress(),
      status: seen,
      updates,
      elapsedMs: now() - started,
      diagnosis,
      unreachableMs: unreachableMs + (lostAt === undefined ? 0 : now() - lostAt),
    };
  };
  const cancelled = () => finish('cancelled', { reason: 'Cancelled', message: 'stopped following the rollout' });

  for (;;) {
    if (options.signal?.aborted === true) return cancelled();
    const view = sub?.view();
    let status: WorkloadStatus | undefined = view?.phase === 'up' ? view.status : undefined;
    // Read it ourselves while the watch is down, and when the watch doesn't have it (it may not
    // exist: the GET says so the way polling always did). While the first LIST is under way, wait.
    const poll = view === undefined || view.phase === 'down' || (view.phase === 'up' && status === undefined);
    if (poll) {
      try {
        status = await workloadStatus(c, ref);
        sub?.polled();
      } catch (e) {
        // A blip while reading, or the apiserver down for a while, is not the rollout failing:
        // keep polling until the deadline, and say once that the cluster stopped answering.
        // An apiserver coming back answers 403 for a moment, until its RBAC caches are filled:
        // during an outage already seen, that is the outage going on, not a lost permission.
        const outage = e instanceof KubeError && (e.retryable || (lostAt !== undefined && e.kind === 'forbidden'));
        if (!outage) throw e;
        if (lostAt === undefined) {
          lostAt = now();
          await options.onContact?.({ state: 'lost', reason: e.message });
        }
      }
    }
    if (status !== undefined && lostAt !== undefined) {
      const downMs = now() - lostAt;
      unreachableMs += downMs;
      lostAt = undefined;
      await options.onContact?.({ state: 'back', downMs });
    }
    if (status !== undefined) {
      const p = progressOf(status);
      const key = progressKey(p);
      last = p;
      seen = status;
      if (key !== lastKey) {
        lastKey = key;
        updates++;
        await options.onProgress?.(p);
      }
      since ??= deadlinesBefore(started, status.deadlineExceededAt);
      const state = rolloutState(status, options.minGeneration, since);
      if (state.phase === 'complete') return finish('complete', state);
      if (state.phase === 'failed') return finish('failed', state);
    }
    const left = options.timeoutMs - (now() - started);
    if (left <= 0) {
      const state = status === undefined ? undefined : rolloutState(status, options.minGeneration);
      return finish('timeout', {
        reason: 'Timeout',
        message: `the rollout did not finish within ${Math.round(options.timeoutMs / 1000)} s${state === undefined ? '' : ` (${state.message})`}`,
      });
    }
    // Polling: again after the interval (or as soon as the watch is back). Watching: at the next
    // change of the workload or of the watch.
    const wait = poll ? Math.min(interval, left) : left;
    if (sub === undefined) await sleepFor(wait, options.signal);
    else await sub.next(wait, options.signal);
  }
}

/** Waits `ms`, or less if the signal aborts. */
function sleepFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The time before which an exceeded deadline belongs to an earlier rollout. Condition times have
 * whole-second precision, so a deadline exceeded within a second before this rollout began can't
 * be told from one after it by time alone; but the condition seen at the first read is always the
 * earlier rollout's (the controller keeps a timed-out condition unchanged until the new pods make
 * progress, and no rollout exceeds its deadline within one poll), so it counts as stale too.
 */
export function deadlinesBefore(startedMs: number, firstSeen: Date | undefined): Date {
  const truncated = startedMs - 1000;
  return new Date(firstSeen === undefined ? truncated : Math.max(truncated, firstSeen.getTime() + 1));
}

function emptyProgress(): RolloutProgress {
  return { observedGeneration: 0, generation: 0, replicas: 0, current: 0, updated: 0, ready: 0, available: 0, unavailable: 0, conditions: [] };
}
