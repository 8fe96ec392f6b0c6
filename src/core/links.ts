import type { Link } from './message.ts';

/**
 * Links from the config's templates (trace, logs, job) with {traceId} {app} {env} {jobId}
 * {cluster} {region} {namespace} filled in. Values are URL-encoded; a template that names a
 * value this message does not have is left out rather than shown half filled.
 */
export type LinkTemplates = { readonly [K in 'trace' | 'logs' | 'job']?: string | undefined };
export type LinkValues = Readonly<Partial<Record<'traceId' | 'app' | 'env' | 'jobId' | 'cluster' | 'region' | 'namespace', string>>>;

const LABELS: Readonly<Record<keyof LinkTemplates, string>> = { job: 'Operation', trace: 'Trace', logs: 'Logs' };

export function fillTemplate(template: string, values: LinkValues): string | undefined {
  let missing = false;
  const url = template.replace(/\{([A-Za-z]+)\}/g, (_m, key: string) => {
    const v = values[key as keyof LinkValues];
    if (v === undefined) {
      missing = true;
      return '';
    }
    return encodeURIComponent(v);
  });
  return missing ? undefined : url;
}

export function linksFor(templates: LinkTemplates, values: LinkValues): Link[] {
  const out: Link[] = [];
  for (const kind of ['job', 'trace', 'logs'] as const) {
    const t = templates[kind];
    if (t === undefined) continue;
    const url = fillTemplate(t, values);
    if (url !== undefined) out.push({ label: LABELS[kind], url });
  }
  return out;
}
