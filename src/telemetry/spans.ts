import { context, isSpanContextValid, trace, SpanStatusCode, TraceFlags, type Attributes, type Link, type Span, type SpanKind } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';

/**
 * OpenTelemetry spans for operations. Each operation is one trace, its id decided when it was
 * requested (the `{traceId}` link in chat opens it): the chat request, each approval decision,
 * the enqueue, every job run, every workload step and every Kubernetes call under them. Work
 * that happens later or elsewhere (an approval click, a worker picking up the job) re-enters
 * the trace from ids stored with the operation. Without a registered tracer provider these
 * are no-ops; an exporter (OTLP, or an in-memory one in tests) is the composition root's choice.
 */
const tracer = () => trace.getTracer('chatops-bot');

/** Where new spans of an operation hang: its trace, and the span to hang under when known. */
export interface OpTrace {
  /** 32 hex. */
  readonly traceId: string;
  /** 16 hex: the span the next part of the operation continues from (request, approval, enqueue). */
  readonly parentSpanId?: string | undefined;
}

export interface OpSpanOptions {
  readonly kind?: SpanKind;
}

/**
 * Runs `fn` in a span of the operation's trace. Already inside that trace (the request that
 * creates the operation enqueues it): a plain child. Otherwise (a worker, an approval click,
 * which has its own request span): a child of `op.parentSpanId` in the operation's trace,
 * linked to the span that caused it, so both traces lead to each other.
 */
export function inOperationTrace<T>(op: OpTrace, name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, options: OpSpanOptions = {}): Promise<T> {
  const active = trace.getActiveSpan()?.spanContext();
  const kind = options.kind === undefined ? {} : { kind: options.kind };
  if (active !== undefined && active.traceId === op.traceId) return inSpan(name, attributes, fn, kind);
  const links: Link[] = active !== undefined && isSpanContextValid(active) ? [{ context: active }] : [];
  const parent = trace.setSpanContext(context.active(), {
    traceId: op.traceId,
    // An operation stored before parent ids were kept: a made-up parent keeps the trace id.
    spanId: op.parentSpanId ?? randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return context.with(parent, () => inSpan(name, attributes, fn, { ...kind, links }));
}

/** Runs `fn` in a child span of the active one, recording failures. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, options: { kind?: SpanKind; links?: Link[]; root?: boolean } = {}): Promise<T> {
  return tracer().startActiveSpan(name, { attributes, ...options }, async (span) => {
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

/** The span's id when it is recorded (and so exported), for what hangs under it later. */
export function recordedSpanId(span: Span): string | undefined {
  return span.isRecording() ? span.spanContext().spanId : undefined;
}
