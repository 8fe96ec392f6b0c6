import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideApproval, submit } from '../../../src/service/requests.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment, waitForRollout } from '../support/workloads.ts';
import { delivery, harness, jobsConfig, waitForOp } from './support.ts';

/** Every operation is a trace: a span per job run and one per workload step, under the operation's trace id. */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('tracing', () => {
  it('records the job and each workload step in the trace the operation was given', async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'], prefix: 'trace' });
    for (const c of ['gz', 'nj']) await waitForRollout(adminClients(c), await createDeployment(adminClients(c), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz', 'nj']));
    const r = await submit(t.s, { text: '/deploy web v2 to test', actor: 'bob', deliveryId: delivery() });
    const op = await waitForOp(t.s, r.opId as string);
    expect(op.status).toBe('succeeded');

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === op.traceId);
    const job = spans.filter((s) => s.name === 'operation deploy');
    expect(job).toHaveLength(1);
    expect(job[0]?.attributes).toMatchObject({ 'chatops.op_id': op.id, 'chatops.app': 'web', 'chatops.env': 'test', 'chatops.outcome': 'succeeded' });
    const steps = spans.filter((s) => s.name.startsWith('step deploy '));
    expect(steps.map((s) => s.attributes['chatops.cluster']).sort()).toEqual(['gz', 'nj']);
    for (const s of steps) expect(s.parentSpanContext?.spanId).toBe(job[0]?.spanContext().spanId);
    expect(op.traceId).toMatch(/^[0-9a-f]{32}$/);

    // The job reads each Deployment once: the read its conditional write stands on. The rollout
    // is followed through the shared watch, and the revision that went healthy is named from the
    // state the watch judged complete, not from a second GET (P3's reads per workload).
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const underJob = (s: (typeof spans)[number]): boolean => {
      for (let p = s.parentSpanContext?.spanId; p !== undefined; p = byId.get(p)?.parentSpanContext?.spanId) {
        if (p === job[0]?.spanContext().spanId) return true;
      }
      return false;
    };
    const jobCalls = spans.filter((s) => s.attributes['k8s.verb'] !== undefined && underJob(s));
    const calls = (verb: string, resource: string) =>
      jobCalls.filter((s) => s.attributes['k8s.verb'] === verb && s.attributes['k8s.resource'] === resource).map((s) => s.attributes['k8s.cluster.name']).sort();
    expect(calls('get', 'deployments'), jobCalls.map((s) => s.name).join(', ')).toEqual(['gz', 'nj']);
    expect(calls('patch', 'deployments')).toEqual(['gz', 'nj']);
    // The revision's ReplicaSet is still listed, once per cluster, to record its health.
    expect(calls('list', 'replicasets')).toEqual(['gz', 'nj']);
  });

  it('an approved deploy reads each workload as soon as the job is picked up, and writes from that read', async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'], prefix: 'trace-early' });
    for (const c of ['gz', 'nj']) await waitForRollout(adminClients(c), await createDeployment(adminClients(c), ns.name, 'web', { replicas: 1, tag: 'v1' }));
    const t = harness(jobsConfig(ns.name, ['gz', 'nj']));
    const r = await submit(t.s, { text: '/deploy web v2 to test', actor: 'alice', deliveryId: delivery() });
    expect(r.approvalId, r.message.text).toBeDefined();
    await decideApproval(t.s, r.approvalId as string, 'approve', 'bob');
    const op = await waitForOp(t.s, r.opId as string);
    expect(op.status, op.summary).toBe('succeeded');

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === op.traceId);
    const job = spans.find((s) => s.name === 'operation deploy');
    expect(job).toBeDefined();
    const steps = new Set(spans.filter((s) => s.name.startsWith('step deploy ')).map((s) => s.spanContext().spanId));
    const gets = spans.filter((s) => s.attributes['k8s.verb'] === 'get' && s.attributes['k8s.resource'] === 'deployments');
    // One GET per cluster in the job: made under the job's own span, before the step (its lease,
    // the policy check and the bookkeeping) begins, not under the step.
    const inJob = gets.filter((s) => s.parentSpanContext?.spanId === job?.spanContext().spanId);
    expect(inJob.map((s) => s.attributes['k8s.cluster.name']).sort()).toEqual(['gz', 'nj']);
    expect(gets.filter((s) => steps.has(s.parentSpanContext?.spanId ?? ''))).toEqual([]);
    // Both writes computed from those reads landed: v2 runs on each cluster.
    for (const c of ['gz', 'nj']) {
      const d = await adminClients(c).apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      expect(d.spec?.template.spec?.containers.find((x) => x.name === 'web')?.image).toBe('registry.example.com/team/web:v2');
    }
  });
});
