import { context, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { Observable, type Configuration, type HttpLibrary, type KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { describeKubeRequest, kubeSpanName } from './api-request.ts';

/**
 * A client span per Kubernetes API call, made where client-node sends every request of its
 * generated API clients: the configuration's HTTP library. (Its middleware sees the request
 * and the response in two separate calls with nothing tying them together, so a span could
 * not be closed there.) Only calls made inside a trace get a span (a job step, a chat
 * request); with no tracer provider there is never an active span, so the cost is one context
 * lookup per call. Watches (client-node's Watch) use their own fetch and are not traced.
 */
const tracer = () => trace.getTracer('chatops-bot');

export function tracedHttpLibrary(inner: HttpLibrary, cluster: string): HttpLibrary {
  return {
    send(request: RequestContext) {
      if (trace.getSpan(context.active()) === undefined) return inner.send(request);
      const span = startCallSpan(request, cluster);
      if (!span.isRecording()) {
        span.end();
        return inner.send(request);
      }
      const sent = inner.send(request).toPromise();
      return new Observable(
        sent.then(
          (response) => {
            endCallSpan(span, response.httpStatusCode);
            return response;
          },
          (e: unknown) => {
            failCallSpan(span, e);
            throw e;
          },
        ),
      );
    },
  };
}

function startCallSpan(request: RequestContext, cluster: string): Span {
  const method = request.getHttpMethod().toString();
  const url = new URL(request.getUrl());
  const r = describeKubeRequest(method, request.getUrl());
  const attributes = {
    'http.request.method': method,
    'server.address': url.hostname,
    ...(url.port === '' ? {} : { 'server.port': Number(url.port) }),
    'url.path': url.pathname,
    'k8s.cluster.name': cluster,
    'k8s.verb': r.verb,
    ...(r.resource === undefined ? {} : { 'k8s.resource': r.resource }),
    ...(r.subresource === undefined ? {} : { 'k8s.subresource': r.subresource }),
    ...(r.kind === undefined ? {} : { 'k8s.kind': r.kind }),
    ...(r.namespace === undefined ? {} : { 'k8s.namespace.name': r.namespace }),
    ...(r.name === undefined ? {} : { 'k8s.object.name': r.name }),
    ...(r.groupVersion === undefined ? {} : { 'k8s.api.group_version': r.groupVersion }),
  };
  return tracer().startSpan(kubeSpanName(r, url.pathname), { kind: SpanKind.CLIENT, attributes });
}

/** HTTP status as the span's outcome: 4xx and 5xx are errors, as for any HTTP client span. */
export function endCallSpan(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
  }
  span.end();
}

function failCallSpan(span: Span, e: unknown): void {
  const code = (e as { cause?: { code?: unknown }; code?: unknown } | null)?.cause?.code ?? (e as { code?: unknown } | null)?.code;
  span.setAttribute('error.type', typeof code === 'string' ? code : e instanceof Error ? e.name : 'error');
  span.recordException(e instanceof Error ? e : String(e));
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
  span.end();
}

/**
 * The API client configuration client-node builds for a kubeconfig (server, authentication,
 * user agent), with its HTTP library wrapped to make the spans above. Built through
 * makeApiClient itself, so nothing of what it sets up is copied here.
 */
export function tracedConfiguration(kc: KubeConfig, cluster: string): Configuration {
  const base = kc.makeApiClient(ConfigurationOf).configuration;
  return { ...base, httpApi: tracedHttpLibrary(base.httpApi, cluster) };
}

class ConfigurationOf {
  readonly configuration: Configuration;
  constructor(configuration: Configuration) {
    this.configuration = configuration;
  }
}
