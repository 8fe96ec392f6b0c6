import { setTimeout as sleep } from 'node:timers/promises';
import { KubeError } from './errors.ts';

/**
 * Optimistic concurrency: every write carries the resourceVersion it was computed from. When
 * the apiserver says 409 (someone, often a controller updating status, wrote in between), the
 * gateway re-reads, re-checks the caller's preconditions and re-applies, a few times. A failed
 * precondition ("the image is no longer what you expected") is a conflict that is never
 * retried: it means the request is stale, and replaying it must not flip anything.
 */
export class StaleRequest extends KubeError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'StaleRequest';
  }
}

export const DEFAULT_CONFLICT_ATTEMPTS = 5;

export async function retryOnConflict<T>(attempts: number, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const retry = e instanceof KubeError && e.kind === 'conflict' && !(e instanceof StaleRequest) && e.status === 409 && attempt < attempts;
      if (!retry) throw e;
      // A little jitter so two writers that collided do not collide again.
      await sleep(20 * attempt + Math.floor(Math.random() * 30));
    }
  }
}

/** Waits between tries of a read that failed transiently: about 4 s in all before giving up. */
export const TRANSIENT_READ_DELAYS_MS: readonly number[] = [250, 1000, 3000];

/**
 * A read tried again while the cluster answers with a transient error: a 429 from the
 * apiserver's flow control, a 5xx, a dropped connection. Binding a large upgrade reads every
 * workload at once, and at 3,000 Deployments one 429 used to refuse the whole request. Anything
 * else (forbidden, not found, invalid) is thrown at once. Only for reads: a write's retries
 * belong to the job, which knows whether it already happened.
 */
export async function retryTransientRead<T>(read: () => Promise<T>, delaysMs: readonly number[] = TRANSIENT_READ_DELAYS_MS, wait: (ms: number) => Promise<unknown> = sleep): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await read();
    } catch (e) {
      const delay = delaysMs[i];
      if (!(e instanceof KubeError) || !e.retryable || delay === undefined) throw e;
      await wait(delay);
    }
  }
}
