import { context, trace } from '@opentelemetry/api';

/**
 * Tracing export, configured the standard OpenTelemetry way: with OTEL_EXPORTER_OTLP_ENDPOINT
 * (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, the spans of every operation (the job run and
 * each workload step, in the trace whose id chat links to) are sent over OTLP/HTTP; without
 * it nothing is exported, the spans cost next to nothing and the SDK is not even loaded.
 * OTEL_EXPORTER_OTLP_HEADERS and the other OTEL_* variables are read by the exporter itself.
 *
 * The traces' resource says whose they are: `service.name` "chatops" unless OTEL_SERVICE_NAME
 * or OTEL_RESOURCE_ATTRIBUTES says otherwise, read by OpenTelemetry's own detectors
 * (@opentelemetry/resources: env, host, service instance id) from the process environment, so a
 * backend shows the bot by name rather than as unknown_service.
 */
export const SERVICE_NAME = 'chatops';
export interface Telemetry {
  readonly exporting: boolean;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export async function startTelemetry(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Telemetry> {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (endpoint === undefined || endpoint === '' || env['OTEL_SDK_DISABLED'] === 'true') return { exporting: false, shutdown: () => Promise.resolve() };
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { BasicTracerProvider, BatchSpanProcessor }, res] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const url = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? `${endpoint.replace(/\/$/, '')}/v1/traces`;
  // Later merges win: the SDK's defaults, then our name, then what the environment says.
  const resource = res
    .defaultResource()
    .merge(res.resourceFromAttributes({ 'service.name': SERVICE_NAME }))
    .merge(res.detectResources({ detectors: [res.hostDetector, res.serviceInstanceIdDetector, res.envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    exporting: true,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** The active span's ids, for log lines (pino's mixin). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}
