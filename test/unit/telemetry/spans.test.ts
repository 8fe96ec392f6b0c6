import { trace, SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { useMemoryTracer } from '../support/tracer.ts';
import { inOperationTrace, inSpan, recordedSpanId } from '../../../src/telemetry/spans.ts';

/** Where a span of an operation hangs: in its trace, under the stored parent, linked to what caused it. */
const exporter = useMemoryTracer();

const TRACE = 'a'.repeat(32);
const PARENT = 'b'.repeat(16);
const span = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

describe('inOperationTrace', () => {
  it('with nothing active (a worker): under the stored parent, in the stored trace, unlinked', async () => {
    await inOperationTrace({ traceId: TRACE, parentSpanId: PARENT }, 'operation deploy', { a: 1 }, () => Promise.resolve(), { kind: SpanKind.CONSUMER });
    const s = span('operation deploy');
    expect(s?.spanContext().traceId).toBe(TRACE);
    expect(s?.parentSpanContext?.spanId).toBe(PARENT);
    expect(s?.kind).toBe(SpanKind.CONSUMER);
    expect(s?.links).toEqual([]);
    expect(s?.attributes).toEqual({ a: 1 });
  });

  it('with no stored parent (an operation from before parents were kept): still in its trace', async () => {
    await inOperationTrace({ traceId: TRACE }, 'operation scale', {}, () => Promise.resolve());
    const s = span('operation scale');
    expect(s?.spanContext().traceId).toBe(TRACE);
    expect(s?.parentSpanContext?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('inside another trace (a click): in the operation trace, linked to the click span', async () => {
    const click = await inSpan('chat click approve', {}, async (c) => {
      await inOperationTrace({ traceId: TRACE, parentSpanId: PARENT }, 'approval approve', {}, () => Promise.resolve());
      return c.spanContext();
    });
    const s = span('approval approve');
    expect(s?.spanContext().traceId).toBe(TRACE);
    expect(s?.parentSpanContext?.spanId).toBe(PARENT);
    expect(s?.links.map((l) => l.context.spanId)).toEqual([click.spanId]);
  });

  it('inside the operation trace already (the request enqueues): a plain child of the active span', async () => {
    const outer = await inOperationTrace({ traceId: TRACE, parentSpanId: PARENT }, 'approval approve', {}, async (a) => {
      await inOperationTrace({ traceId: TRACE, parentSpanId: 'c'.repeat(16) }, 'enqueue deploy', {}, () => Promise.resolve());
      return a.spanContext();
    });
    const s = span('enqueue deploy');
    expect(s?.parentSpanContext?.spanId).toBe(outer.spanId);
    expect(s?.links).toEqual([]);
  });

  it('records a failure on the span and rethrows it', async () => {
    await expect(inOperationTrace({ traceId: TRACE }, 'operation restart', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(span('operation restart')?.status.message).toBe('boom');
  });

  it('gives the id of a recorded span only', async () => {
    const id = await inSpan('x', {}, (s) => Promise.resolve(recordedSpanId(s)));
    expect(id).toBe(span('x')?.spanContext().spanId);
    expect(recordedSpanId(trace.wrapSpanContext({ traceId: TRACE, spanId: PARENT, traceFlags: 1 }))).toBeUndefined();
  });
});
