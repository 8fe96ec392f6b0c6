import { inFlight } from './request-limit.ts';

/**
 * Kubernetes failures in a small vocabulary the job layer can act on: `retryable` says whether
 * backing off and trying again can help (transient), everything else fails the job at once.
 * The message is a sentence for a chat user: it names the action, the namespace and the
 * cluster, never a token, a URL with credentials or a response body.
 */
export type KubeErrorKind = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'transient';

export class KubeError extends Error {
  readonly kind: KubeErrorKind;
  readonly retryable: boolean;
  /** HTTP status when the apiserver answered, undefined for network failures. */
  readonly status: number | undefined;

  constructor(kind: KubeErrorKind, message: string, options: { status?: number | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeError';
    this.kind = kind;
    this.retryable = kind === 'transient';
    this.status = options.status;
  }
}

export function isKubeError(e: unknown): e is KubeError {
  return e instanceof KubeError;
}

/** What the bot was doing when the call failed, for the message. */
export interface CallContext {
  readonly cluster: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete. */
  readonly verb: string;
  /** Plural resource, with subresource when any: "deployments", "deployments/scale". */
  readonly resource: string;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

/** The parts of a client-node ApiException (or anything shaped like it) we look at. */
interface HttpFailure {
  readonly code: number;
  readonly body: unknown;
}

function asHttpFailure(e: unknown): HttpFailure | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'number' || code < 100 || code > 599) return undefined;
  return { code, body: (e as { body?: unknown }).body };
}

/** The Status object's `reason` and `message`, whether the body came as text or as an object. */
export function statusOf(body: unknown): { reason: string | undefined; message: string | undefined } {
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body) as unknown;
    } catch {
      return { reason: undefined, message: undefined };
    }
  }
  if (typeof obj !== 'object' || obj === null) return { reason: undefined, message: undefined };
  const { reason, message } = obj as { reason?: unknown; message?: unknown };
  return { reason: typeof reason === 'string' ? reason : undefined, message: typeof message === 'string' ? message : undefined };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** A network-level failure code found on the error or along its cause chain. */
function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const name = (cur as { name?: unknown }).name;
    if (name === 'AbortError' || name === 'TimeoutError') return name;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** " in namespace web-prod", or nothing for cluster-scoped calls (the cluster is named already). */
function inNamespace(ctx: CallContext): string {
  return ctx.namespace === undefined ? '' : ` in namespace ${ctx.namespace}`;
}

/** A TLS verification failure code found along the cause chain (a setup problem, not a blip). */
function tlsCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (/CERT|_SIGNATURE|SELF_SIGNED|ERR_TLS/.test(code))) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function where(ctx: CallContext): string {
  return ctx.namespace === undefined ? `on cluster ${ctx.cluster}` : `in namespace ${ctx.namespace} on cluster ${ctx.cluster}`;
}

/** "deployment web", "the scale of statefulset db", or the plural resource when unnamed. */
function what(ctx: CallContext): string {
  const [plural = ctx.resource, sub] = ctx.resource.split('/');
  if (ctx.name === undefined) return ctx.resource;
  const one = `${plural.replace(/s$/, '')} ${ctx.name}`;
  return sub === undefined ? one : `the ${sub} of ${one}`;
}

/**
 * An admission refusal as the apiserver words it: the object, then the policy or webhook, then
 * its own reason, last. The reason is what the person in chat needs, so the names before it are
 * shortened rather than the reason cut: `ValidatingAdmissionPolicy 'cap' denied it: <reason>`.
 */
const POLICY_DENIAL = /(ValidatingAdmissionPolicy '[^']*')(?: with binding '[^']*')? denied request: (.*)$/;
const WEBHOOK_DENIAL = /(admission webhook "[^"]*") denied the request: (.*)$/;

export function admissionReason(message: string): string {
  const m = POLICY_DENIAL.exec(message) ?? WEBHOOK_DENIAL.exec(message);
  return m === null ? message : `${m[1] ?? ''} denied it: ${m[2] ?? ''}`;
}

/** Keeps an apiserver validation message short and on one line; it never holds secrets. */
function brief(message: string | undefined, max = 200): string {
  if (message === undefined) return '';
  const one = admissionReason(message.replace(/\s+/g, ' ').trim());
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Maps anything thrown by a client-node call to a KubeError. Pure. */
export function toKubeError(e: unknown, ctx: CallContext): KubeError {
  if (e instanceof KubeError) return e;
  const http = asHttpFailure(e);
  if (http !== undefined) {
    const { reason, message } = statusOf(http.body);
    const status = http.code;
    switch (status) {
      case 401:
        return new KubeError('forbidden', `Cluster ${ctx.cluster} did not accept the bot's credentials (unauthorized)`, { status });
      case 403:
        return new KubeError('forbidden', `The bot may not ${ctx.verb} ${ctx.resource} ${where(ctx)} (forbidden)`, { status });
      case 404:
        return new KubeError('not_found', `${capitalize(what(ctx))} was not found ${where(ctx)}`, { status });
      case 409:
        if (reason === 'AlreadyExists') return new KubeError('conflict', `${capitalize(what(ctx))} already exists ${where(ctx)} (conflict)`, { status });
        return new KubeError('conflict', `${capitalize(what(ctx))} ${where(ctx)} was changed by someone else while the bot was updating it (conflict)`, { status });
      case 400:
      case 422: {
        const detail = brief(message);
        return new KubeError('invalid', `Cluster ${ctx.cluster} rejected the ${ctx.verb} of ${what(ctx)}${inNamespace(ctx)}${detail === '' ? '' : `: ${detail}`} (invalid)`, { status });
      }
      case 410:
        return new KubeError('transient', `Cluster ${ctx.cluster} expired a read of ${ctx.resource}${inNamespace(ctx)}; trying again (transient)`, { status });
      case 429:
        return new KubeError('transient', `Cluster ${ctx.cluster} asked the bot to slow down while it tried to ${ctx.verb} ${ctx.resource}${inNamespace(ctx)} (transient)`, { status });
      default:
        if (status >= 500) {
          return new KubeError('transient', `Cluster ${ctx.cluster} failed to ${ctx.verb} ${ctx.resource}${inNamespace(ctx)} (HTTP ${status}, transient)`, { status });
        }
        return new KubeError('invalid', `Cluster ${ctx.cluster} refused to ${ctx.verb} ${ctx.resource}${inNamespace(ctx)} (HTTP ${status})`, { status });
    }
  }
  const net = networkCode(e);
  if (net !== undefined) {
    return new KubeError('transient', `Cluster ${ctx.cluster} could not be reached to ${ctx.verb} ${ctx.resource}${inNamespace(ctx)} (${net}, transient)`);
  }
  const tls = tlsCode(e);
  if (tls !== undefined) {
    return new KubeError('invalid', `The bot could not verify the certificate of cluster ${ctx.cluster} (${tls}); check the cluster's kubeconfig`, { cause: e });
  }
  // Anything else (a bug, a malformed kubeconfig): not retryable, and the original stays as the
  // cause for the logs, never in the chat message.
  return new KubeError('invalid', `The bot could not ${ctx.verb} ${ctx.resource} ${where(ctx)} (unexpected error)`, { cause: e });
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]?.toUpperCase() + s.slice(1);
}

/**
 * Runs one client-node call, turning any failure into a KubeError; within the cluster's limit
 * of requests in flight (request-limit.ts), so a fan-out over thousands of workloads queues
 * here rather than in the apiserver.
 */
export async function kubeCall<T>(ctx: CallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await inFlight(ctx.cluster, fn);
  } catch (e) {
    throw toKubeError(e, ctx);
  }
}
