import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in OTLP/HTTP collector: keeps every request it gets, and reads the spans out of the
 * JSON trace exports (hex ids, attributes as {key, value: {stringValue | intValue | …}}).
 */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly { traceId: string; spanId: string }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: number;
}

export interface Collector {
  readonly endpoint: string;
  readonly received: { path: string; type: string; body: string }[];
  spans(): ExportedSpan[];
  /** The resource attributes of each batch of spans received (service.name, host.name, …). */
  resources(): Record<string, string | number | boolean>[];
  close(): Promise<void>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}

function attributesOf(list: readonly OtlpAttribute[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list) {
    const v = Object.values(a.value)[0];
    out[a.key] = 'intValue' in a.value ? Number(v) : (v as string | boolean);
  }
  return out;
}

export async function startCollector(): Promise<Collector> {
  const received: { path: string; type: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    spans() {
      const out: ExportedSpan[] = [];
      for (const r of received.filter((x) => x.path === '/v1/traces')) {
        const doc = JSON.parse(r.body) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              out.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId === undefined || s.parentSpanId === '' ? undefined : s.parentSpanId,
                name: s.name,
                kind: s.kind,
                attributes: attributesOf(s.attributes),
                links: s.links ?? [],
                status: s.status?.code ?? 0,
              });
      }
      return out;
    },
    resources() {
      const out: Record<string, string | number | boolean>[] = [];
      for (const r of received.filter((x) => x.path === '/v1/traces')) {
        const doc = JSON.parse(r.body) as { resourceSpans?: { resource?: { attributes?: OtlpAttribute[] } }[] };
        for (const rs of doc.resourceSpans ?? []) out.push(attributesOf(rs.resource?.attributes));
      }
      return out;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
