import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { HttpMethod, KubeConfig, Observable, RequestContext, ResponseContext, SelfDecodingBody, type HttpLibrary } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useMemoryTracer } from '../support/tracer.ts';
import { tracedConfiguration, tracedHttpLibrary } from '../../../src/kube/api-spans.ts';
import { inSpan } from '../../../src/telemetry/spans.ts';

/** A client span per Kubernetes call, inside a trace only; the HTTP library underneath is a fake. */
const exporter = useMemoryTracer();

function fake(answer: number | Error): HttpLibrary & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    send(request: RequestContext) {
      sent.push(`${request.getHttpMethod()} ${request.getUrl()}`);
      if (answer instanceof Error) return new Observable<ResponseContext>(Promise.reject(answer));
      return new Observable(Promise.resolve(new ResponseContext(answer, {}, new SelfDecodingBody(Promise.resolve(Buffer.from('{}'))))));
    },
  };
}

const URL_ = 'https://127.0.0.1:22443/apis/apps/v1/namespaces/shop/deployments/web';
const request = (method: HttpMethod = HttpMethod.PATCH, url = URL_) => new RequestContext(url, method);

describe('tracedHttpLibrary', () => {
  it('makes no span outside a trace, and passes the call through unchanged', async () => {
    const inner = fake(200);
    const res = await tracedHttpLibrary(inner, 'gz').send(request()).toPromise();
    expect(res.httpStatusCode).toBe(200);
    expect(inner.sent).toEqual([`PATCH ${URL_}`]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('makes a client span, child of the active one, named and attributed by the request', async () => {
    const inner = fake(200);
    const parent = await inSpan('step deploy gz/shop/web', {}, async (span) => {
      await tracedHttpLibrary(inner, 'gz').send(request()).toPromise();
      return span.spanContext();
    });
    const call = exporter.getFinishedSpans().find((s) => s.name === 'k8s patch deployments');
    expect(call?.kind).toBe(SpanKind.CLIENT);
    expect(call?.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(call?.spanContext().traceId).toBe(parent.traceId);
    expect(call?.attributes).toEqual({
      'http.request.method': 'PATCH',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': 22443,
      'url.path': '/apis/apps/v1/namespaces/shop/deployments/web',
      'k8s.cluster.name': 'gz',
      'k8s.verb': 'patch',
      'k8s.resource': 'deployments',
      'k8s.kind': 'Deployment',
      'k8s.namespace.name': 'shop',
      'k8s.object.name': 'web',
      'k8s.api.group_version': 'apps/v1',
    });
    expect(call?.status.code).toBe(SpanStatusCode.UNSET);
  });

  type Row = [string, number | Error, string, string];
  const failures: Row[] = [
    ['a 404 answer is an error with its status', 404, '404', 'HTTP 404'],
    ['a 503 answer too', 503, '503', 'HTTP 503'],
    ['a refused connection is recorded with its code', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'ECONNREFUSED', 'fetch failed'],
  ];
  it.each(failures)('%s', async (_case, answer, errorType, message) => {
    await inSpan('step', {}, async () => {
      await tracedHttpLibrary(fake(answer), 'gz')
        .send(request(HttpMethod.GET))
        .toPromise()
        .catch(() => undefined);
    });
    const call = exporter.getFinishedSpans().find((s) => s.name === 'k8s get deployments');
    expect(call?.status).toEqual({ code: SpanStatusCode.ERROR, message });
    expect(call?.attributes['error.type']).toBe(errorType);
    expect(call?.events.some((e) => e.name === 'exception')).toBe(answer instanceof Error);
  });

  it("keeps makeApiClient's server, authentication and user agent, and only wraps the HTTP library", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const cfg = tracedConfiguration(kc, 'gz');
    expect(cfg.baseServer.makeRequestContext('/version', HttpMethod.GET).getUrl()).toBe('https://127.0.0.1:6443/version');
    const ctx = cfg.baseServer.makeRequestContext('/version', HttpMethod.GET);
    await cfg.authMethods.default?.applySecurityAuthentication(ctx);
    expect(ctx.getHeaders()['Authorization']).toBe('Bearer secret-token');
    for (const m of cfg.middleware) await m.pre(ctx).toPromise();
    expect(ctx.getHeaders()['User-Agent']).toMatch(/^kubernetes-client-javascript\//);
  });
});
