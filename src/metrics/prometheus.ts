import type { PrometheusConfig } from '../config/schema.ts';

/**
 * Instant queries against Prometheus's HTTP API (GET /api/v1/query): the only thing the bot
 * asks of it, read-only. Failures are one sentence for chat; the URL is shown without any
 * credentials in it, and a bearer token never leaves the request header.
 */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class MetricsError extends Error {
  override readonly name = 'MetricsError';
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

interface QueryAnswer {
  status?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Label matchers for the configured labels: `cluster="gz"`. Values are escaped for PromQL. */
export function labelMatchers(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

export async function instantQuery(p: PrometheusConfig, query: string, options: { timeoutMs: number; fetch?: typeof globalThis.fetch }): Promise<Sample[]> {
  const url = new URL('api/v1/query', p.url.endsWith('/') ? p.url : `${p.url}/`);
  url.searchParams.set('query', query);
  const where = `Prometheus at ${redactUrl(p.url)}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (p.bearerToken !== undefined) headers['authorization'] = `Bearer ${p.bearerToken}`;
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (e) {
    throw new MetricsError(`${where} did not answer (${e instanceof Error && e.name === 'TimeoutError' ? `no answer in ${options.timeoutMs / 1000} s` : 'connection failed'})`, { cause: e });
  }
  const text = await res.text().catch(() => '');
  let body: QueryAnswer;
  try {
    body = JSON.parse(text) as QueryAnswer;
  } catch {
    throw new MetricsError(`${where} answered ${res.status} with something other than JSON`);
  }
  // 400 / 422 carry Prometheus's own explanation (a parse error in the query): worth showing.
  if (body.status !== 'success') throw new MetricsError(`${where} refused the query (${res.status}): ${typeof body.error === 'string' ? body.error.slice(0, 300) : 'no reason given'}`);
  if (body.data?.resultType !== 'vector') {
    throw new MetricsError(`the query gives a ${String(body.data?.resultType)}, not one value per series; aggregate it by pod, e.g. sum by (pod) (…)`);
  }
  const result = Array.isArray(body.data.result) ? (body.data.result as { metric?: Record<string, string>; value?: [number, string] }[]) : [];
  return result.map((r) => ({ labels: r.metric ?? {}, value: Number(r.value?.[1]) })).filter((s) => Number.isFinite(s.value));
}
