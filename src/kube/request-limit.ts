import pLimit, { type LimitFunction } from 'p-limit';

/**
 * At most this many requests from this process in flight to one cluster's apiserver; the rest
 * wait here, in order. Why: one chat request can fan out over thousands of workloads (binding
 * reads, the request-time dry runs and the preflight lists of a 3,000-workload /upgrade), and
 * sent all at once they overflow the queue the apiserver's priority and fairness keeps for the
 * bot's flow, which answers the overflow with 429s. The default FlowSchema "global-default"
 * gets about 49 seats on an apiserver with the default inflight limits, and queues up to 50 more
 * per queue: 64 keeps within that with room for the bot's other processes. Watches are
 * long-running and don't pass through here.
 */
export const MAX_IN_FLIGHT_PER_CLUSTER = 64;

const limits = new Map<string, LimitFunction>();

/** Runs `fn` once fewer than MAX_IN_FLIGHT_PER_CLUSTER of this process's requests to `cluster` are in flight. */
export function inFlight<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
  let limit = limits.get(cluster);
  if (limit === undefined) {
    limit = pLimit(MAX_IN_FLIGHT_PER_CLUSTER);
    limits.set(cluster, limit);
  }
  return limit(fn);
}

/** How many of this process's requests to `cluster` are running and waiting now (for metrics and tests). */
export function inFlightCounts(cluster: string): { readonly active: number; readonly pending: number } {
  const limit = limits.get(cluster);
  return { active: limit?.activeCount ?? 0, pending: limit?.pendingCount ?? 0 };
}
