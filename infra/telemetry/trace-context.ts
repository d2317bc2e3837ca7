// W3C trace context across the event log: a command's `traceparent` is stored in the event's metadata,
// travels as a Kafka header, and becomes the parent of the span that projects the event.
// Nothing here depends on a registered tracer provider: the propagator is used directly, so these
// helpers work (and are tested) whether or not initTelemetry() made a provider process-wide.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { EventMetadata } from '../../ports/event-store.ts';

const propagator = new W3CTraceContextPropagator();

export type TraceContextFields = { traceparent?: string; tracestate?: string };

/**
 * The context whose (remote) parent span is the one `traceparent` names, to start child spans in.
 * Without a traceparent, or with a malformed one, it is `base` unchanged.
 */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string, base: Context = ROOT_CONTEXT): Context {
  if (!traceparent) return base;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagator.extract(base, carrier, defaultTextMapGetter);
}

/** traceparent/tracestate of the span active in `ctx` (default: now), ready to put into event metadata. */
export function currentTraceContext(ctx: Context = context.active()): TraceContextFields {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  const fields: TraceContextFields = {};
  if (carrier.traceparent) fields.traceparent = carrier.traceparent;
  if (carrier.tracestate) fields.tracestate = carrier.tracestate;
  return fields;
}

/** The active span's `traceparent`, or undefined when no (sampled or not) span is active. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  return currentTraceContext(ctx).traceparent;
}

/** What withEventSpan needs of an event: a RecordedEvent (`type`) or a projection's decoded event (`event.type`). */
export type TracedEvent = {
  eventId: string;
  streamId: string;
  lsn: number;
  metadata: EventMetadata;
} & ({ type: string } | { event: { type: string } });

export const EVENT_SPAN_ATTRIBUTES = {
  projection: 'proofline.projection',
  eventId: 'proofline.event.id',
  eventType: 'proofline.event.type',
  lsn: 'proofline.event.lsn',
  streamId: 'proofline.stream.id',
} as const;

/**
 * Runs `fn` inside a `project <projectionName>` consumer span whose parent is the span named by the
 * event's `traceparent` (when it has none: whatever span is active). The span records a thrown error,
 * is marked failed, and always ends; the error is rethrown.
 */
export function withEventSpan<T>(
  tracer: Tracer,
  projectionName: string,
  event: TracedEvent,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = contextFromEventMetadata(event.metadata, context.active());
  const attributes = eventSpanAttributes(projectionName, event);
  return tracer.startActiveSpan(`project ${projectionName}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The attributes of a span that projects `event` (EVENT_SPAN_ATTRIBUTES). */
export function eventSpanAttributes(projectionName: string, event: TracedEvent): Attributes {
  return {
    [EVENT_SPAN_ATTRIBUTES.projection]: projectionName,
    [EVENT_SPAN_ATTRIBUTES.eventId]: event.eventId,
    [EVENT_SPAN_ATTRIBUTES.eventType]: 'type' in event ? event.type : event.event.type,
    [EVENT_SPAN_ATTRIBUTES.lsn]: event.lsn,
    [EVENT_SPAN_ATTRIBUTES.streamId]: event.streamId,
  };
}

/** The context an event's span starts in: child of the event's `traceparent` span, else `base` unchanged. */
export function contextFromEventMetadata(metadata: EventMetadata, base: Context = ROOT_CONTEXT): Context {
  return contextFromTraceparent(stringField(metadata.traceparent), stringField(metadata.tracestate), base);
}

/** Whether the event's metadata carries a (non-empty string) traceparent. */
export function hasTraceparent(metadata: EventMetadata): boolean {
  return stringField(metadata.traceparent) !== undefined;
}

// Metadata is open-ended (`unknown` values): only a string is a trace header.
function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
