import type { AlertSource } from '../alerts/model.ts';
import type { Transition } from '../alerts/records.ts';
import { platformLabel } from '../chat/channel.ts';
import type { Metrics } from './metrics.ts';

/**
 * The alert counters, one call per event so the alert code stays a line per count. Each is
 * per process: a webhook delivery or a source's poll is handled by one replica (the sources
 * run under a lease) and a due group is flushed by the replica that claimed it, so summing
 * over replicas counts every event once. `m` is undefined where no metrics are kept (tests,
 * the CLI).
 */
export type AlertMessageKind = 'posted' | 'updated' | 'storm_summary';

/** Transitions that mean the alert was already known: a duplicate delivery, or a repeat count. */
const DUPLICATE: ReadonlySet<Transition> = new Set(['same', 'count']);

export function countAlertReceived(m: Metrics | undefined, source: AlertSource, t: Transition): void {
  m?.alertsReceived.inc({ source });
  if (DUPLICATE.has(t)) m?.alertsDeduplicated.inc({ source });
}

export function countAlertMessage(m: Metrics | undefined, channel: string, kind: AlertMessageKind): void {
  m?.alertMessages.inc({ platform: platformLabel(channel), kind });
}

/** A group went into a storm summary; `started` when it started the storm. */
export function countAlertStorm(m: Metrics | undefined, channel: string, started: boolean): void {
  m?.alertStormGroups.inc({ platform: platformLabel(channel) });
  if (started) m?.alertStorms.inc({ platform: platformLabel(channel) });
}
