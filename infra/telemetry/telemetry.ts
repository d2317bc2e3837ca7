// OpenTelemetry tracing for a Proofline process: one NodeTracerProvider with W3C trace-context
// propagation. Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, to a given exporter when one is passed (tests pass an
// InMemorySpanExporter), and nowhere otherwise — trace ids still flow into event metadata then.
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type TelemetryOptions = {
  /** `service.name` of every span. */
  serviceName: string;
  serviceVersion?: string;
  /** Export here, span by span as each ends (e.g. an InMemorySpanExporter); overrides OTLP. */
  exporter?: SpanExporter;
  /** Where OTEL_EXPORTER_OTLP_* are read from. Default process.env. */
  environment?: NodeJS.ProcessEnv;
  /**
   * Make this provider process-wide: global tracer provider, AsyncLocalStorage context manager and W3C
   * propagator (what `trace.getTracer()` and `currentTraceparent()` see). Default true. Only one provider
   * can be registered at a time; shutdown() unregisters it.
   */
  register?: boolean;
};

export type Telemetry = {
  provider: NodeTracerProvider;
  /** Where spans go: 'otlp', 'exporter' (the one passed in) or 'none'. */
  exportsTo: 'otlp' | 'exporter' | 'none';
  tracer(name?: string): Tracer;
  /** Flushes pending spans, stops exporting and, if registered, unregisters the globals. */
  shutdown(): Promise<void>;
};

export function initTelemetry(options: TelemetryOptions): Telemetry {
  const environment = options.environment ?? process.env;
  const { processor, exportsTo } = chooseProcessor(options.exporter, environment);
  const attributes: Record<string, string> = { 'service.name': options.serviceName };
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes(attributes),
    spanProcessors: processor ? [processor] : [],
    // Spans no one exports are not recorded (a command's span on every request, for nothing); their context
    // still carries the caller's trace id into the events. With an exporter, OTEL_TRACES_SAMPLER and
    // OTEL_TRACES_SAMPLER_ARG choose, as the SDK reads them (e.g. parentbased_traceidratio and 0.01).
    ...(processor ? {} : { sampler: new AlwaysOffSampler() }),
  });
  const register = options.register ?? true;
  // The AsyncLocalStorage context manager hooks every promise the process creates; without an export it would
  // carry spans no one records. Commands and projections pass their trace context explicitly (metadata).
  if (register) provider.register({ propagator: new W3CTraceContextPropagator(), ...(processor ? {} : { contextManager: null }) });
  return {
    provider,
    exportsTo,
    tracer: (name = options.serviceName) => provider.getTracer(name),
    async shutdown() {
      await provider.shutdown();
      if (register) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

function chooseProcessor(
  exporter: SpanExporter | undefined,
  environment: NodeJS.ProcessEnv,
): { processor: SpanProcessor | undefined; exportsTo: Telemetry['exportsTo'] } {
  if (exporter) return { processor: new SimpleSpanProcessor(exporter), exportsTo: 'exporter' };
  const url = otlpTracesUrl(environment);
  if (url) {
    // Headers, timeout and compression still come from the OTEL_EXPORTER_OTLP_* variables (read by the exporter).
    return { processor: new BatchSpanProcessor(new OTLPTraceExporter({ url })), exportsTo: 'otlp' };
  }
  return { processor: undefined, exportsTo: 'none' };
}

/** The OTLP/HTTP traces URL, as the OpenTelemetry spec derives it: the signal-specific variable as is, else `<base>/v1/traces`. */
export function otlpTracesUrl(environment: NodeJS.ProcessEnv): string | undefined {
  const tracesEndpoint = environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (tracesEndpoint) return tracesEndpoint;
  const base = environment.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
