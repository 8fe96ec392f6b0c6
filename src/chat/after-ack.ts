import pLimit from 'p-limit';

/**
 * At most this many chat requests of one process are carried out at once after their ack
 * (binding, the request-time dry runs and preflight, the approval, the live message); the rest
 * wait here, in order. Why: the acks are answered on the same event loop, and with hundreds of
 * requests in preparation at once each ack waits behind all of their Kubernetes and Redis
 * replies (P1 on an idle machine: /deploy ack p99 7.6 s at 200 per second, past Slack's 3 s).
 * Waiting here costs a request only its turn; the ack never waits for it.
 */
export const MAX_CARRIED_AT_ONCE = 16;

const limit = pLimit(MAX_CARRIED_AT_ONCE);

/** Runs `fn` once fewer than MAX_CARRIED_AT_ONCE requests of this process are being carried out. */
export function afterAck<T>(fn: () => Promise<T>): Promise<T> {
  return limit(fn);
}

/** How many requests are being carried out and waiting now (for metrics and tests). */
export function afterAckCounts(): { readonly active: number; readonly pending: number } {
  return { active: limit.activeCount, pending: limit.pendingCount };
}
