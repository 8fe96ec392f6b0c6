import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idFrom } from '../../../src/jobs/spec.ts';
import { submit } from '../../../src/service/requests.ts';
import { startTelemetry } from '../../../src/telemetry/export.ts';
import { chatConfig, startBot, type Bot } from '../chat/support.ts';
import { consoleClient, requestId } from '../console/support.ts';
import { delivery, harness, jobsConfig, waitForOp } from '../jobs/support.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { startCollector, type Collector, type ExportedSpan } from './otlp-collector.ts';

/**
 * OTLP export as an operator turns it on (OTEL_EXPORTER_OTLP_ENDPOINT), through the real request
 * path: a line typed in the web console reaches the API role, is queued, run by a worker on the
 * local control plane, and the whole of it arrives at a local collector as one trace, the one
 * chat links to: request → (approval) → enqueue → job → workload step → Kubernetes calls.
 */
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const ERROR = 2;

let collector: Collector;

beforeAll(async () => {
  collector = await startCollector();
});

afterAll(async () => {
  await collector.close();
});

/** Runs `fn` with exporting on, and returns what reached the collector once it was flushed. */
async function exported(fn: () => Promise<void>): Promise<ExportedSpan[]> {
  collector.received.length = 0;
  const telemetry = await startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint });
  expect(telemetry.exporting).toBe(true);
  try {
    await fn();
  } finally {
    await telemetry.shutdown();
  }
  expect(collector.received.every((r) => r.path === '/v1/traces' && r.type.includes('json'))).toBe(true);
  return collector.spans();
}

function only(spans: readonly ExportedSpan[], name: string | RegExp): ExportedSpan {
  const found = spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
  expect(found.map((s) => s.name), `one span named ${String(name)}`).toHaveLength(1);
  return found[0] as ExportedSpan;
}

const childrenOf = (spans: readonly ExportedSpan[], parent: ExportedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

describe('trace export over OTLP/HTTP', () => {
  it('is off without an endpoint', async () => {
    expect((await startTelemetry({})).exporting).toBe(false);
  });

  describe('names the service in the resource, through OpenTelemetry resource detection', () => {
    const VARS = ['OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES'] as const;
    const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
    afterAll(() => {
      for (const k of VARS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    it.each([
      ['nothing set: chatops', {}, { 'service.name': 'chatops' }],
      ['OTEL_SERVICE_NAME', { OTEL_SERVICE_NAME: 'chatops-eu' }, { 'service.name': 'chatops-eu' }],
      ['OTEL_RESOURCE_ATTRIBUTES', { OTEL_RESOURCE_ATTRIBUTES: 'service.name=ops-bot,deployment.environment.name=staging' }, { 'service.name': 'ops-bot', 'deployment.environment.name': 'staging' }],
      ['both: OTEL_SERVICE_NAME wins', { OTEL_SERVICE_NAME: 'chatops-us', OTEL_RESOURCE_ATTRIBUTES: 'service.name=ops-bot,service.namespace=platform' }, { 'service.name': 'chatops-us', 'service.namespace': 'platform' }],
    ] as const)('%s', async (_name, vars: Readonly<Record<string, string>>, want) => {
      for (const k of VARS) delete process.env[k];
      Object.assign(process.env, vars);
      await exported(() => {
        // Any span the bot makes carries the provider's resource; one is enough to see it.
        trace.getTracer('chatops').startSpan('resource check').end();
        return Promise.resolve();
      });
      const resources = collector.resources();
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(r).toMatchObject(want);
        expect(r['service.name']).not.toMatch(/^unknown_service/);
        // The SDK's own attributes and the detectors' are there too.
        expect(r).toMatchObject({ 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'nodejs' });
        expect(typeof r['host.name']).toBe('string');
        expect(typeof r['service.instance.id']).toBe('string');
      }
    });
  });

  describe('through the console', () => {
    let ns: string;
    let bot: Bot;

    beforeAll(async () => {
      ns = (await testNamespace({ clusters: ['gz'], prefix: 'otlp', scope: 'file' })).name;
      await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 1, tag: 'v1' }));
      bot = await startBot(chatConfig(ns, { mode: 'local' }));
    });

    afterAll(async () => {
      await bot?.stop();
    });

    it('a deploy is one trace: the request, the enqueue, the job, its step and the Kubernetes calls, each under the one before', async () => {
      let opId = '';
      const all = await exported(async () => {
        const r = await consoleClient(bot.api.url).post('/console/api/command', { as: 'bob', channel: 'console:ops', text: '/deploy web v2 to prod', id: requestId() });
        expect(r.status).toBe(200);
        opId = r.body['opId'] as string;
        expect((await waitForOp(bot.api.s, opId)).status).toBe('succeeded');
      });
      const op = await bot.api.s.ops.get(opId);
      const spans = all.filter((s) => s.traceId === op?.traceId);

      const request = only(spans, 'chat command');
      expect(request.parentSpanId).toBeUndefined();
      expect(request.kind).toBe(SERVER);
      expect(request.attributes).toMatchObject({ 'chatops.platform': 'console', 'chatops.verb': 'deploy', 'chatops.env': 'prod', 'chatops.app': 'web', 'chatops.decision': 'allow', 'chatops.op_id': opId, 'chatops.created': true });
      // What was typed is not on the span, only what the config names.
      expect(JSON.stringify(request.attributes)).not.toContain('v2');

      const enqueue = only(spans, 'enqueue deploy');
      expect(enqueue.parentSpanId).toBe(request.spanId);
      expect(enqueue.kind).toBe(PRODUCER);
      expect(enqueue.attributes).toMatchObject({ 'chatops.op_id': opId, 'chatops.added': true });

      const job = only(spans, 'operation deploy');
      expect(job.parentSpanId).toBe(enqueue.spanId);
      expect(job.attributes).toMatchObject({ 'chatops.op_id': opId, 'chatops.outcome': 'succeeded', 'chatops.attempt': 1 });

      const step = only(spans, /^step deploy gz\//);
      expect(step.parentSpanId).toBe(job.spanId);
      expect(step.name).toBe(`step deploy gz/${ns}/web`);

      // The step reads the deployment, patches it, and follows the rollout: each call a client span under the step.
      const calls = childrenOf(spans, step).filter((s) => s.kind === CLIENT);
      const names = new Set(calls.map((s) => s.name));
      expect(names).toContain('k8s get deployments');
      expect(names).toContain('k8s patch deployments');
      const patch = calls.find((s) => s.name === 'k8s patch deployments');
      expect(patch?.attributes).toMatchObject({
        'http.request.method': 'PATCH',
        'http.response.status_code': 200,
        'k8s.cluster.name': 'gz',
        'k8s.verb': 'patch',
        'k8s.resource': 'deployments',
        'k8s.kind': 'Deployment',
        'k8s.namespace.name': ns,
        'k8s.object.name': 'web',
      });
      for (const c of calls) expect(c.status).not.toBe(ERROR);
      // Binding the request (what runs now, at which revision) read the cluster too: under the request.
      expect(childrenOf(spans, request).some((s) => s.kind === CLIENT && s.name === 'k8s get deployments')).toBe(true);
      // Every span of the trace hangs off another one of it, but the request.
      const ids = new Set(spans.map((s) => s.spanId));
      for (const s of spans) if (s !== request) expect(ids.has(s.parentSpanId ?? ''), `parent of ${s.name}`).toBe(true);
    });

    it('an approval click is a span in the requested trace, under the request and linked to the click; the job continues from it', async () => {
      let opId = '';
      const all = await exported(async () => {
        const c = consoleClient(bot.api.url);
        const r = await c.post('/console/api/command', { as: 'alice', channel: 'console:ops', text: '/deploy web v3 to prod', id: requestId() });
        opId = r.body['opId'] as string;
        expect((await bot.api.s.ops.get(opId))?.status).toBe('awaiting_approval');
        const click = await c.post('/console/api/click', { as: 'bob', channel: 'console:ops', action: 'approve', value: idFrom('apr', opId) });
        expect(click.status).toBe(200);
        expect((await waitForOp(bot.api.s, opId)).status).toBe('succeeded');
      });
      const op = await bot.api.s.ops.get(opId);
      const spans = all.filter((s) => s.traceId === op?.traceId);

      const request = only(spans, 'chat command');
      expect(request.attributes).toMatchObject({ 'chatops.decision': 'approval', 'chatops.op_id': opId, 'chatops.approval_id': idFrom('apr', opId) });
      const approval = only(spans, 'approval approve');
      expect(approval.parentSpanId).toBe(request.spanId);
      expect(approval.attributes).toMatchObject({ 'chatops.approval_outcome': 'approved', 'chatops.env': 'prod', 'chatops.op_id': opId });

      // The click itself is a request of its own (its own trace), linked from the approval span.
      const click = only(all, 'chat click approve');
      expect(click.traceId).not.toBe(op?.traceId);
      expect(click.parentSpanId).toBeUndefined();
      expect(click.attributes).toMatchObject({ 'chatops.platform': 'console', 'chatops.action': 'approve', 'chatops.op_id': opId });
      expect(approval.links).toEqual([expect.objectContaining({ traceId: click.traceId, spanId: click.spanId })]);

      const enqueue = only(spans, 'enqueue deploy');
      expect(enqueue.parentSpanId).toBe(approval.spanId);
      const job = only(spans, 'operation deploy');
      expect(job.parentSpanId).toBe(enqueue.spanId);
      const step = only(spans, /^step deploy gz\//);
      expect(step.parentSpanId).toBe(job.spanId);
      expect(childrenOf(spans, step).some((s) => s.name === 'k8s patch deployments')).toBe(true);
    });
  });

  it('an operation asked for without a chat request (the CLI) still gets a trace of its own, with the job and step in it', async () => {
    const ns = await testNamespace({ clusters: ['gz'], prefix: 'otlp' });
    await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz']));
    let opId = '';
    const all = await exported(async () => {
      const r = await submit(t.s, { text: '/deploy web v2 to test', actor: 'bob', deliveryId: delivery() });
      opId = r.opId ?? '';
      expect((await waitForOp(t.s, opId)).status).toBe('succeeded');
    });
    const op = await t.s.ops.get(opId);
    expect(op?.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = all.filter((s) => s.traceId === op?.traceId);
    const job = only(spans, 'operation deploy');
    expect(only(spans, 'enqueue deploy').spanId).toBe(job.parentSpanId);
    expect(only(spans, /^step deploy gz\//).parentSpanId).toBe(job.spanId);
  });
});
