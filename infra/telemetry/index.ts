// Tracing for Proofline processes: provider setup, the trace-context helpers the event flow uses and the
// projection workers' tracer; the metrics registry the HTTP gateway serves.
export { initTelemetry, otlpTracesUrl, type Telemetry, type TelemetryOptions } from './telemetry.ts';
export { projectionTracing, PROJECTIONS_TRACER } from './projection-tracing.ts';
export { createMetricsRegistry, type MetricsRegistry, type MetricsRegistryOptions } from './metrics.ts';
export {
  contextFromEventMetadata,
  contextFromTraceparent,
  currentTraceContext,
  currentTraceparent,
  EVENT_SPAN_ATTRIBUTES,
  eventSpanAttributes,
  hasTraceparent,
  withEventSpan,
  type TraceContextFields,
  type TracedEvent,
} from './trace-context.ts';
