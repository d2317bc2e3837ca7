// Tracing for Proofline processes: provider setup and the trace-context helpers the event flow uses.
export { initTelemetry, otlpTracesUrl, type Telemetry, type TelemetryOptions } from './telemetry.ts';
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
