import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { afterAckCounts } from '../chat/after-ack.ts';
import type { WatchCounter } from '../kube/watch-stats.ts';
import type { Outbox } from '../notify/outbox.ts';
import { readWatchStats } from '../service/watch-metrics.ts';

/** The bot's Prometheus metrics, one registry per process (tests build their own). */
export interface Metrics {
  readonly registry: Registry;
  readonly commands: Counter<'platform' | 'outcome'>;
  readonly clicks: Counter<'platform' | 'action'>;
  readonly rejected: Counter<'platform' | 'reason'>;
  /** Operations that reached an end (succeeded, failed, rejected, expired…), by kind and result. */
  readonly operations: Counter<'kind' | 'result'>;
  /** From request to end, approval wait included, by kind and result. */
  readonly durations: Histogram<'kind' | 'result'>;
  /** Approval requests and what became of them, by env; counted once across replicas (see op-notifier). */
  readonly approvals: Counter<'env' | 'event'>;
  /** Alerts as received from each source (each delivery or poll is handled by one replica). */
  readonly alertsReceived: Counter<'source'>;
  /** Received alerts that were already known: nothing new, at most a repeat count moved. */
  readonly alertsDeduplicated: Counter<'source'>;
  /** Alert chat messages: a group's own message posted or updated, a storm summary posted or updated. */
  readonly alertMessages: Counter<'platform' | 'kind'>;
  /** Storms started: a channel went over its new-groups-per-minute limit. */
  readonly alertStorms: Counter<'platform'>;
  /** Alert groups that went into a storm summary instead of a message of their own. */
  readonly alertStormGroups: Counter<'platform'>;
}

/** Where the Redis-wide figures come from: the BullMQ queues, and the workers' watch counts. */
export interface SharedSources {
  readonly queues: readonly Queue[];
  readonly redis: Redis;
  readonly prefix: string;
}

/** The job states /metrics reports per queue (completed jobs are not a backlog and are left out). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'waiting-children', 'active', 'failed'] as const;

const WATCH_METRICS: Readonly<Record<WatchCounter, { name: string; help: string; detail: string | undefined }>> = {
  events: { name: 'chatops_rollout_watch_events_total', help: 'Events the workers\' shared rollout watches received, by cluster, kind and event type', detail: 'type' },
  restarts: { name: 'chatops_rollout_watch_restarts_total', help: 'Shared rollout watches started again, by cluster, kind and reason (closed, idle, expired: 410 and a new LIST, error)', detail: 'reason' },
  lists: { name: 'chatops_rollout_watch_lists_total', help: 'Full state reads of the shared rollout watches (at a start, or after a 410), by cluster, kind and how: watch-list (one watch request with the initial state) or list (a LIST)', detail: 'how' },
  fallback_polls: { name: 'chatops_rollout_fallback_polls_total', help: 'GETs of a workload made by its follower because its watch was down or did not have it, by cluster and kind', detail: undefined },
};

export function createMetrics(outbox: Outbox | undefined, shared?: SharedSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const commands = new Counter({ name: 'chatops_commands_total', help: 'Chat commands received, by platform and what became of them', labelNames: ['platform', 'outcome'] as const, registers: [registry] });
  const clicks = new Counter({ name: 'chatops_clicks_total', help: 'Button clicks received, by platform and action', labelNames: ['platform', 'action'] as const, registers: [registry] });
  const rejected = new Counter({ name: 'chatops_requests_rejected_total', help: 'Inbound requests refused before any handler ran (bad signature, stale or future timestamp, other workspace)', labelNames: ['platform', 'reason'] as const, registers: [registry] });
  const operations = new Counter({ name: 'chatops_operations_total', help: 'Operations that ended, by kind and result', labelNames: ['kind', 'result'] as const, registers: [registry] });
  const durations = new Histogram({
    name: 'chatops_operation_duration_seconds',
    help: 'From request to end (approval wait included), by kind and result',
    labelNames: ['kind', 'result'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const approvals = new Counter({ name: 'chatops_approvals_total', help: 'Approval requests and their outcomes (requested, approved, rejected, expired, cancelled), by env', labelNames: ['env', 'event'] as const, registers: [registry] });
  const alertsReceived = new Counter({ name: 'chatops_alerts_received_total', help: 'Alerts received, by source', labelNames: ['source'] as const, registers: [registry] });
  const alertsDeduplicated = new Counter({ name: 'chatops_alerts_deduplicated_total', help: 'Received alerts that were already known (deduplicated by fingerprint), by source', labelNames: ['source'] as const, registers: [registry] });
  const alertMessages = new Counter({ name: 'chatops_alert_messages_total', help: 'Alert messages posted or updated in chat (posted, updated, storm_summary), by channel platform', labelNames: ['platform', 'kind'] as const, registers: [registry] });
  const alertStorms = new Counter({ name: 'chatops_alert_storms_total', help: 'Alert storms started (a channel over its new-groups-per-minute limit), by channel platform', labelNames: ['platform'] as const, registers: [registry] });
  const alertStormGroups = new Counter({ name: 'chatops_alert_storm_groups_total', help: 'Alert groups listed in a storm summary instead of getting their own message, by channel platform', labelNames: ['platform'] as const, registers: [registry] });
  if (outbox !== undefined) {
    new Gauge({
      name: 'chatops_outbox_queued',
      help: 'Chat messages waiting in the outbox',
      registers: [registry],
      async collect() {
        this.set((await outbox.stats()).queued);
      },
    });
  }
  // This process's chat requests past their ack: being carried out (at most 16) and waiting their
  // turn (chat/after-ack.ts). A waiting count that keeps growing means the process can't keep up.
  new Gauge({
    name: 'chatops_chat_requests_in_progress',
    help: 'Chat requests of this process after their ack, by state: active (being carried out, at most 16) or waiting (for their turn)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const n = afterAckCounts();
      this.set({ state: 'active' }, n.active);
      this.set({ state: 'waiting' }, n.pending);
    },
  });
  if (shared !== undefined) sharedMetrics(registry, shared);
  return { registry, commands, clicks, rejected, operations, durations, approvals, alertsReceived, alertsDeduplicated, alertMessages, alertStorms, alertStormGroups };
}

/**
 * Figures that live in Redis, the same on every replica (use max, not sum, across replicas):
 * each BullMQ queue's jobs by state, and what the workers' rollout watches counted.
 */
function sharedMetrics(registry: Registry, shared: SharedSources): void {
  new Gauge({
    name: 'chatops_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, prioritized, delayed, waiting-children: the backlog; active; failed and kept)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(shared.queues.map((q) => q.getJobCounts(...QUEUE_STATES)));
      for (const [i, q] of shared.queues.entries()) for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, counts[i]?.[state] ?? 0);
    },
  });
  let read: Promise<Awaited<ReturnType<typeof readWatchStats>>> | undefined;
  // One read of the hash per scrape, shared by the four counters.
  const watchCounts = () => {
    read ??= readWatchStats(shared.redis, shared.prefix).finally(() => setImmediate(() => (read = undefined)));
    return read;
  };
  for (const [counter, m] of Object.entries(WATCH_METRICS) as [WatchCounter, (typeof WATCH_METRICS)[WatchCounter]][]) {
    const labelNames = m.detail === undefined ? ['cluster', 'kind'] : ['cluster', 'kind', m.detail];
    new Counter({
      name: m.name,
      help: m.help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of await watchCounts()) {
          if (c.counter !== counter) continue;
          this.inc(m.detail === undefined ? { cluster: c.cluster, kind: c.kind } : { cluster: c.cluster, kind: c.kind, [m.detail]: c.detail }, c.value);
        }
      },
    });
  }
}
