import { context, createContextKey, isSpanContextValid, SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { Outcome } from '../core/handle.ts';
import { inSpan, recordedSpanId, type OpTrace } from '../telemetry/spans.ts';

/**
 * The span of one chat request (a command or a button click), from whichever surface it came.
 * Each request starts a new trace; an operation the request creates takes that trace as its
 * own, so one trace shows request → approval → enqueue → job → steps → Kubernetes calls.
 *
 * Attributes are ids and names from the config (platform, verb, env, app, decision, operation
 * id), never the typed text, a reason or anything else a person wrote.
 */
const REQUEST = createContextKey('chatops.request-span');

/** Runs `fn` as a chat request: a new trace whose root span is this one. */
export function inRequestSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(name, attributes, (span) => context.with(context.active().setValue(REQUEST, span), () => fn(span)), { kind: SpanKind.SERVER, root: true });
}

function requestSpan(): Span | undefined {
  return context.active().getValue(REQUEST) as Span | undefined;
}

/** Adds to the current request's span (what parsing found, what the request became). */
export function noteRequest(attributes: Attributes): void {
  requestSpan()?.setAttributes(attributes);
}

/**
 * The trace of an operation created now: the current request's trace, under its span; with no
 * request span (CLI, tracing off), a new trace id of its own, as the `{traceId}` link needs one.
 */
export function newOpTrace(): OpTrace {
  const span = requestSpan();
  const c = span?.spanContext();
  if (span !== undefined && c !== undefined && isSpanContextValid(c)) return { traceId: c.traceId, parentSpanId: recordedSpanId(span) };
  return { traceId: randomBytes(16).toString('hex') };
}

/**
 * What a parsed line says about itself, for the request span. Env and app names are kept only
 * when the config has them (a silence may name an app the config does not know). Pure.
 */
export function requestAttributes(outcome: Outcome, config: Pick<Config, 'environments' | 'apps'>): Attributes {
  switch (outcome.kind) {
    case 'error':
      return { 'chatops.outcome': 'error', 'chatops.error': outcome.error.code };
    case 'answer':
      return { 'chatops.outcome': 'answer', 'chatops.verb': outcome.command.verb };
    case 'approval':
    case 'deferred':
      return { 'chatops.outcome': 'decision', 'chatops.verb': outcome.command.verb };
    case 'decided': {
      const { plan, decision } = outcome;
      const apps = plan.apps.filter((a) => Object.hasOwn(config.apps, a));
      return {
        'chatops.outcome': 'decided',
        'chatops.verb': outcome.command.verb,
        'chatops.decision': decision.kind,
        ...(plan.env === undefined || !Object.hasOwn(config.environments, plan.env) ? {} : { 'chatops.env': plan.env }),
        ...(apps.length === 0 ? {} : { 'chatops.app': apps.join(',') }),
        ...(plan.dryRun ? { 'chatops.dry_run': true } : {}),
      };
    }
  }
}

/** What became of a request, for its span: the operation and approval it names. Pure. */
export function replyAttributes(reply: { readonly opId?: string; readonly approvalId?: string; readonly created?: boolean; readonly repeat?: boolean }): Attributes {
  return {
    ...(reply.opId === undefined ? {} : { 'chatops.op_id': reply.opId }),
    ...(reply.approvalId === undefined ? {} : { 'chatops.approval_id': reply.approvalId }),
    ...(reply.created === true ? { 'chatops.created': true } : {}),
    ...(reply.repeat === true ? { 'chatops.repeat': true } : {}),
  };
}
