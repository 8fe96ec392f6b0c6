import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit } from '../../../src/service/requests.ts';
import { startTelemetry } from '../../../src/telemetry.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from '../jobs/support.ts';

/**
 * OTLP export as an operator turns it on (OTEL_EXPORTER_OTLP_ENDPOINT): a deploy's spans reach
 * a local collector endpoint in the trace whose id chat links to.
 */
const received: { path: string; type: string; body: string }[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('trace export over OTLP/HTTP', () => {
  it('is off without an endpoint', async () => {
    expect((await startTelemetry({})).exporting).toBe(false);
  });

  it("sends a deploy's job and step spans, in the operation's trace, to the configured endpoint", async () => {
    const telemetry = await startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(telemetry.exporting).toBe(true);
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'otlp' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    const r = await submit(t.s, { text: '/deploy web v2 to test', actor: 'bob', deliveryId: delivery() });
    expect(r.opId).toBeDefined();
    const op = await waitForOp(t.s, r.opId ?? '');
    expect(op.status).toBe('succeeded');
    await telemetry.shutdown();
    const traces = received.filter((x) => x.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    const all = traces.map((x) => x.body).join('\n');
    expect(traces[0]?.type).toContain('json');
    expect(all).toContain(op.traceId);
    expect(all).toMatch(/step deploy gz\//);
  });
});
