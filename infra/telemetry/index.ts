// Tracing for Proofline processes: provider setup and the trace-context helpers the event flow uses; the
// metrics registry the HTTP gateway serves. The platform's store gauges (platform-metrics.ts) read the
// projections' tables, so they are imported from their own file, not from here (projections import this one).
export { initTelemetry, otlpTracesUrl, type Telemetry, type TelemetryOptions } from './telemetry.ts';
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
