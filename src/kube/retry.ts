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
