/**
 * The one shape every alert source is reduced to (Alertmanager, the generic webhook,
 * Kubernetes Warning events, site probes). Grouping, routing, dedup and the chat message only
 * ever see this. Times are ISO strings so an alert round-trips through Redis unchanged.
 */
export type AlertSource = 'alertmanager' | 'webhook' | 'kubernetes' | 'probe';
export type AlertStatus = 'firing' | 'resolved';

export type Labels = Readonly<Record<string, string>>;

export interface Alert {
  /** Stable identity of the alert: the same condition always has the same fingerprint. */
  readonly fingerprint: string;
  readonly source: AlertSource;
  readonly status: AlertStatus;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** When the condition started (an ISO time). A new start is a new occurrence. */
  readonly startsAt: string;
  readonly endsAt?: string | undefined;
  /** Prometheus' link to the expression that fired. */
  readonly generatorURL?: string | undefined;
  /** How many times the source saw it (Kubernetes event count, probe failures). */
  readonly count?: number | undefined;
}

/** Severities people subscribe by; anything else is shown as it is. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;

/** The alert's name, as Alertmanager calls it. */
export function alertName(a: { readonly labels: Labels }): string {
  return a.labels['alertname'] ?? 'alert';
}

/** The first label among `keys` that the alert carries. */
export function firstLabel(labels: Labels, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}
