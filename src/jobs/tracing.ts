import { context, trace, SpanStatusCode, TraceFlags, type Attributes, type Span } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';

/**
 * OpenTelemetry spans for operations: one span per job run and one per workload step, all in
 * the trace whose id the operation was given when it was requested, so the `{traceId}` link in
 * chat opens exactly this operation. Without a registered tracer provider these are no-ops; an
 * exporter (OTLP, or an in-memory one in tests) is the composition root's choice.
 */
const tracer = () => trace.getTracer('chatops-bot');

/** Runs `fn` in a span that belongs to the operation's trace (`traceId`: 32 hex). */
export function inOperationTrace<T>(traceId: string, name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = trace.setSpanContext(context.active(), {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return context.with(parent, () => inSpan(name, attributes, fn));
}

/** Runs `fn` in a child span of the active one, recording failures. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (e) {
      span.recordException(e instanceof Error ? e : String(e));
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
}
