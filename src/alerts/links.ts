import type { AlertsConfig, Config } from '../config/schema.ts';
import { fillTemplate } from '../core/links.ts';
import type { Link } from '../core/message.ts';
import { alertName, firstLabel, type Alert } from './model.ts';

/**
 * The links of an alert group, from what the alerts carry and the config's templates (pure):
 * the runbook (annotation `runbook_url`, else the runbook template), Prometheus' generator URL,
 * the trace (a trace id found in the configured labels or annotations, into `links.trace`),
 * logs and dashboard templates, and the operation the alert followed (`links.job`).
 */
export interface LinkContext {
  readonly alerts: readonly Alert[];
  readonly env?: string | undefined;
  readonly app?: string | undefined;
  readonly jobId?: string | undefined;
}

const SAFE_URL = /^https?:\/\/[^\s<>|]+$/;

function common(alerts: readonly Alert[], name: string): string | undefined {
  const values = new Set(alerts.map((a) => a.labels[name]));
  const v = [...values][0];
  return values.size === 1 && v !== undefined && v !== '' ? v : undefined;
}

export function traceIdOf(alerts: readonly Alert[], names: readonly string[]): string | undefined {
  for (const a of alerts) {
    const t = firstLabel(a.labels, names) ?? firstLabel(a.annotations, names);
    if (t !== undefined && /^[A-Za-z0-9-]{8,64}$/.test(t)) return t;
  }
  return undefined;
}

export function alertLinks(ctx: LinkContext, links: Config['links'], cfg: Pick<AlertsConfig, 'links' | 'labels'>): Link[] {
  const out: Link[] = [];
  const add = (label: string, url: string | undefined) => {
    if (url !== undefined && SAFE_URL.test(url) && !out.some((l) => l.url === url)) out.push({ label, url });
  };
  const first = ctx.alerts[0];
  const values = {
    ...(ctx.app === undefined ? {} : { app: ctx.app }),
    ...(ctx.env === undefined ? {} : { env: ctx.env }),
    ...(first === undefined ? {} : { alertname: alertName(first) }),
    ...(common(ctx.alerts, 'severity') === undefined ? {} : { severity: common(ctx.alerts, 'severity') }),
    ...(common(ctx.alerts, 'cluster') === undefined ? {} : { cluster: common(ctx.alerts, 'cluster') }),
    ...(common(ctx.alerts, 'namespace') === undefined ? {} : { namespace: common(ctx.alerts, 'namespace') }),
    ...(common(ctx.alerts, 'region') === undefined ? {} : { region: common(ctx.alerts, 'region') }),
  } as Record<string, string>;
  const runbook = ctx.alerts.map((a) => a.annotations['runbook_url'] ?? a.annotations['runbook']).find((u) => u !== undefined);
  add('Runbook', runbook ?? (cfg.links.runbook === undefined ? undefined : fillTemplate(cfg.links.runbook, values)));
  add('Prometheus', ctx.alerts.map((a) => a.generatorURL).find((u) => u !== undefined && u !== ''));
  const traceId = traceIdOf(ctx.alerts, cfg.labels.traceId);
  if (traceId !== undefined && links.trace !== undefined) add('Trace', fillTemplate(links.trace, { ...values, traceId }));
  const logs = cfg.links.logs ?? links.logs;
  if (logs !== undefined) add('Logs', fillTemplate(logs, values));
  if (cfg.links.dashboard !== undefined) add('Dashboard', fillTemplate(cfg.links.dashboard, values));
  if (ctx.jobId !== undefined && links.job !== undefined) add('Operation', fillTemplate(links.job, { ...values, jobId: ctx.jobId }));
  return out;
}
