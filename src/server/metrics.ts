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
  return { registry, commands, clicks, rejected, operations, durations };
}
