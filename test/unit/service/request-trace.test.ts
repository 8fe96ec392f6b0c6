import { SpanKind } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMemoryTracer } from '../support/tracer.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { handleText } from '../../../src/core/handle.ts';
import { inSpan } from '../../../src/telemetry/spans.ts';
import { inRequestSpan, newOpTrace, noteRequest, replyAttributes, requestAttributes } from '../../../src/service/request-trace.ts';

/** The request span: a new trace per request, what the line was (never what was typed), and the operation it creates. */
let config: Config;
const exporter = useMemoryTracer();

beforeAll(() => {
  const r = loadConfig(new URL('../../fixtures/policy-config.yaml', import.meta.url).pathname, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  config = r.value;
});

const NOW = new Date('2026-11-25T10:00:00Z');

describe('requestAttributes', () => {
  type Row = [string, string | undefined, string, Record<string, unknown>];
  const rows: Row[] = [
    ['a deploy that needs an approval', 'alice', '/deploy web v1.2.3 to prod', { 'chatops.outcome': 'decided', 'chatops.verb': 'deploy', 'chatops.decision': 'approval', 'chatops.env': 'prod', 'chatops.app': 'web' }],
    ['a deploy allowed outright, dry run', 'alice', '/deploy web v1.2.3 to staging --dry-run', { 'chatops.verb': 'deploy', 'chatops.decision': 'allow', 'chatops.env': 'staging', 'chatops.dry_run': true }],
    ['a refusal', undefined, '/deploy web v1.2.3 to prod', { 'chatops.verb': 'deploy', 'chatops.decision': 'deny' }],
    ['an approval typed', 'bob', '/approve apr-123', { 'chatops.outcome': 'decision', 'chatops.verb': 'approve' }],
    ['help', 'bob', '/help', { 'chatops.outcome': 'answer', 'chatops.verb': 'help' }],
    ['a typo: the error code, not the text', 'bob', '/depoly web to prod', { 'chatops.outcome': 'error' }],
  ];
  it.each(rows)('%s', (_case, actor, text, expected) => {
    const attrs = requestAttributes(handleText(text, { config, actor, now: NOW, locks: [], freezes: [] }), config);
    expect(attrs).toMatchObject(expected);
    // Nothing typed reaches the span beyond the verb and config names.
    for (const v of Object.values(attrs)) expect(String(v)).not.toMatch(/v1\.2\.3|depoly|apr-123/);
  });

  it('keeps env and app names only when the config has them', () => {
    const outcome = handleText('/deploy web v1 to prod', { config, actor: 'alice', now: NOW, locks: [], freezes: [] });
    expect(requestAttributes(outcome, { environments: {}, apps: {} })).not.toHaveProperty('chatops.env');
    expect(requestAttributes(outcome, { environments: {}, apps: {} })).not.toHaveProperty('chatops.app');
  });
});

describe('replyAttributes', () => {
  it.each([
    [{}, {}],
    [{ opId: 'op-1', created: true }, { 'chatops.op_id': 'op-1', 'chatops.created': true }],
    [{ opId: 'op-1', approvalId: 'apr-1', repeat: true }, { 'chatops.op_id': 'op-1', 'chatops.approval_id': 'apr-1', 'chatops.repeat': true }],
  ])('%j', (reply, expected) => {
    expect(replyAttributes(reply)).toEqual(expected);
  });
});

describe('inRequestSpan and newOpTrace', () => {
  it("starts a new trace even inside another span, and an operation made in it takes that trace, under the request's span", async () => {
    const outer = await inSpan('something else', {}, (o) =>
      inRequestSpan('chat command', { 'chatops.platform': 'slack' }, async (req) => {
        noteRequest({ 'chatops.verb': 'deploy' });
        // A child span active (a Kubernetes call while binding) does not change whose trace it is.
        const op = await inSpan('k8s get deployments', {}, () => Promise.resolve(newOpTrace()));
        expect(op).toEqual({ traceId: req.spanContext().traceId, parentSpanId: req.spanContext().spanId });
        return o.spanContext();
      }),
    );
    const req = exporter.getFinishedSpans().find((s) => s.name === 'chat command');
    expect(req?.parentSpanContext).toBeUndefined();
    expect(req?.spanContext().traceId).not.toBe(outer.traceId);
    expect(req?.kind).toBe(SpanKind.SERVER);
    expect(req?.attributes).toEqual({ 'chatops.platform': 'slack', 'chatops.verb': 'deploy' });
  });

  it('outside a request (the CLI, tracing off): a fresh trace id and no parent', () => {
    const a = newOpTrace();
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.parentSpanId).toBeUndefined();
    expect(newOpTrace().traceId).not.toBe(a.traceId);
    expect(() => noteRequest({ x: 1 })).not.toThrow();
  });
});
