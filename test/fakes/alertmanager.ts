import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Alertmanager at the network edge, both ways:
 *
 * - its API v2 silences endpoint (`POST /api/v2/silences`, `GET /api/v2/silences`) on a local
 *   node:http server that checks each body the way Alertmanager validates a postable silence
 *   (matchers present and well formed, times in order, createdBy and comment set) and the
 *   credentials when given, records what it accepted, and answers `{ silenceID }`;
 * - its webhook sender: `amPayload` builds a version 4 notification and `postAlertmanager`
 *   sends it as Alertmanager does (JSON, optional bearer or basic auth).
 */
export interface FakeSilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

export interface FakeSilence {
  id: string;
  matchers: FakeSilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  /** The Authorization header it came with. */
  authorization: string | undefined;
}

export interface FakeAlertmanager {
  readonly url: string;
  readonly silences: FakeSilence[];
  /** Bodies it refused, with why (HTTP 400 / 401). */
  readonly refused: { status: number; error: string; body: string }[];
  close(): Promise<void>;
}

/** Alertmanager's own checks on a postable silence, in its words where it has them. */
export function silenceProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'body is not an object';
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b['matchers']) || b['matchers'].length === 0) return 'at least one matcher required';
  for (const m of b['matchers'] as unknown[]) {
    const x = m as Record<string, unknown>;
    if (typeof x['name'] !== 'string' || x['name'] === '') return 'matcher name missing';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(x['name'])) return `invalid label name "${x['name']}"`;
    if (typeof x['value'] !== 'string') return `matcher ${x['name']}: value missing`;
    if (typeof x['isRegex'] !== 'boolean') return `matcher ${x['name']}: isRegex missing`;
    if (x['isEqual'] !== undefined && typeof x['isEqual'] !== 'boolean') return `matcher ${x['name']}: isEqual is not a boolean`;
  }
  for (const k of ['startsAt', 'endsAt', 'createdBy', 'comment']) if (typeof b[k] !== 'string' || b[k] === '') return `${k} missing`;
  const start = Date.parse(String(b['startsAt']));
  const end = Date.parse(String(b['endsAt']));
  if (Number.isNaN(start) || Number.isNaN(end)) return 'startsAt and endsAt must be RFC 3339 times';
  if (end < start) return 'failed to create silence: end time can\'t be before start time';
  if (end < Date.now()) return 'failed to create silence: end time can\'t be in the past';
  return undefined;
}

export async function startFakeAlertmanager(opts: { bearerToken?: string } = {}): Promise<FakeAlertmanager> {
  const silences: FakeSilence[] = [];
  const refused: FakeAlertmanager['refused'] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      if (req.url === '/api/v2/silences' && req.method === 'GET') return send(res, 200, silences.map((s) => ({ id: s.id, matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment, status: { state: 'active' } })));
      if (req.url !== '/api/v2/silences' || req.method !== 'POST') return send(res, 404, { error: 'not found' });
      if (opts.bearerToken !== undefined && req.headers.authorization !== `Bearer ${opts.bearerToken}`) {
        refused.push({ status: 401, error: 'unauthorized', body });
        return send(res, 401, 'unauthorized');
      }
      if (!/application\/json/.test(req.headers['content-type'] ?? '')) {
        refused.push({ status: 415, error: 'not json', body });
        return send(res, 415, 'unsupported media type');
      }
      let doc: unknown;
      try {
        doc = JSON.parse(body);
      } catch {
        refused.push({ status: 400, error: 'bad json', body });
        return send(res, 400, 'bad json');
      }
      const problem = silenceProblem(doc);
      if (problem !== undefined) {
        refused.push({ status: 400, error: problem, body });
        return send(res, 400, problem);
      }
      const d = doc as Omit<FakeSilence, 'id' | 'authorization'>;
      const id = randomUUID();
      silences.push({ id, matchers: d.matchers, startsAt: d.startsAt, endsAt: d.endsAt, createdBy: d.createdBy, comment: d.comment, authorization: req.headers.authorization });
      return send(res, 200, { silenceID: id });
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    silences,
    refused,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface AmAlertInput {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
  generatorURL?: string;
}

/** A version 4 webhook notification as Alertmanager sends it. */
export function amPayload(alerts: readonly AmAlertInput[], o: { receiver?: string; groupLabels?: Record<string, string> } = {}): Record<string, unknown> {
  const mapped = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt ?? '2026-05-01T10:00:00Z',
    endsAt: a.endsAt ?? (a.status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z'),
    generatorURL: a.generatorURL ?? 'http://prometheus.example.com/graph?g0.expr=up',
    ...(a.fingerprint === undefined ? {} : { fingerprint: a.fingerprint }),
  }));
  const common = (key: 'labels' | 'annotations') => {
    const first = mapped[0]?.[key] ?? {};
    return Object.fromEntries(Object.entries(first).filter(([k, v]) => mapped.every((m) => m[key][k] === v)));
  };
  return {
    version: '4',
    groupKey: `{}:{alertname="${mapped[0]?.labels['alertname'] ?? ''}"}`,
    truncatedAlerts: 0,
    status: mapped.some((m) => m.status === 'firing') ? 'firing' : 'resolved',
    receiver: o.receiver ?? 'chatops',
    groupLabels: o.groupLabels ?? {},
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: mapped,
  };
}

export function postAlertmanager(url: string, payload: unknown, auth?: { bearer?: string; basic?: { username: string; password: string } }): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Alertmanager/0.28.1' };
  if (auth?.bearer !== undefined) headers['authorization'] = `Bearer ${auth.bearer}`;
  if (auth?.basic !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
  return fetch(url, { method: 'POST', headers, body: typeof payload === 'string' ? payload : JSON.stringify(payload) });
}
