import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outbox } from '../notify/outbox.ts';

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

export function createMetrics(outbox: Outbox | undefined): Metrics {
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
  return { registry, commands, clicks, rejected, operations, durations, approvals, alertsReceived, alertsDeduplicated, alertMessages, alertStorms, alertStormGroups };
}
