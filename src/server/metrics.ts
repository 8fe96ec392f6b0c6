import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outbox } from '../notify/outbox.ts';

/** The bot's Prometheus metrics, one registry per process (tests build their own). */
export interface Metrics {
  readonly registry: Registry;
  readonly commands: Counter<'platform' | 'outcome'>;
  readonly clicks: Counter<'platform' | 'action'>;
  readonly rejected: Counter<'platform' | 'reason'>;
}

export function createMetrics(outbox: Outbox | undefined): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const commands = new Counter({ name: 'chatops_commands_total', help: 'Chat commands received, by platform and what became of them', labelNames: ['platform', 'outcome'] as const, registers: [registry] });
  const clicks = new Counter({ name: 'chatops_clicks_total', help: 'Button clicks received, by platform and action', labelNames: ['platform', 'action'] as const, registers: [registry] });
  const rejected = new Counter({ name: 'chatops_requests_rejected_total', help: 'Inbound requests refused before any handler ran (bad signature, stale or future timestamp, other workspace)', labelNames: ['platform', 'reason'] as const, registers: [registry] });
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
  return { registry, commands, clicks, rejected };
}
