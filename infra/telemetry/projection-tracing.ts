// The projection tracer (ports/projection-tracing.ts) on OpenTelemetry: spans of the projection runtime,
// through the global API (tracer 'proofline-projections'): without a registered tracer provider
// (initTelemetry) every call below is the API's no-op.
//
// A batch is applied as ONE transaction, so there is no per-event unit of work to wrap in a span. Instead:
//   - `apply batch <projection>`: one span around the whole batch (retries included), in the worker's context;
//   - `project <projection> <EventType>`: for each event that carries a `traceparent` and was applied or
//     parked by the batch, a CONSUMER span whose parent is that traceparent (the command's trace), spanning
//     the batch's start to its commit, linked to the batch span. They are created after the outcome is known,
//     so a retried batch does not produce duplicates and the application path is untouched.
// A parked event's span has status ERROR with the parking reason; when the batch cannot be committed, the
// batch span and the spans of the events it would have projected record the error. Events that were applied
// before (re-delivered) or that the projection does not read get no span. Overhead without a provider: one
// no-op span per batch, and the per-event loop is skipped (the no-op batch span has an invalid span context).
import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { SourceBatch } from '../../ports/projection-source.ts';
import type { ProjectionTracer, TracedBatchOutcome } from '../../ports/projection-tracing.ts';
import { contextFromEventMetadata, eventSpanAttributes, hasTraceparent } from './trace-context.ts';

export const PROJECTIONS_TRACER = 'proofline-projections';

export const BATCH_SPAN_ATTRIBUTES = {
  projection: 'proofline.projection',
  topic: 'proofline.batch.topic',
  partition: 'proofline.batch.partition',
  size: 'proofline.batch.size',
  firstLsn: 'proofline.batch.first_lsn',
  lastLsn: 'proofline.batch.last_lsn',
  watermarkLsn: 'proofline.batch.watermark_lsn',
  applied: 'proofline.batch.applied',
  parked: 'proofline.batch.parked',
  appliedLsn: 'proofline.batch.applied_lsn',
} as const;

/** Set on the span of an event that was parked instead of applied. */
export const PARKED_ATTRIBUTE = 'proofline.parked';

/** What projection workers are given to trace their batches (the composition passes it to every worker). */
export const projectionTracing: ProjectionTracer = { traceBatch };

/** Runs `apply` (the batch, with its retries) under an `apply batch` span and emits the per-event spans. */
export async function traceBatch<O extends TracedBatchOutcome>(
  projection: { name: string; canHandle: readonly string[] },
  batch: SourceBatch,
  apply: () => Promise<O>,
): Promise<O> {
  // Looked up per batch: a tracer kept across initTelemetry()/shutdown() would keep a stale provider.
  const tracer = trace.getTracer(PROJECTIONS_TRACER);
  const startTime = new Date();
  const batchSpan = tracer.startSpan(`apply batch ${projection.name}`, { startTime, attributes: batchAttributes(projection.name, batch) });
  const tracing = isSpanContextValid(batchSpan.spanContext());
  const events = { tracer, projection: projection.name, startTime, link: batchSpan.spanContext() };
  try {
    const outcome = await context.with(trace.setSpan(context.active(), batchSpan), apply);
    const endTime = new Date();
    if (tracing) {
      batchSpan.setAttributes({
        [BATCH_SPAN_ATTRIBUTES.applied]: outcome.applied,
        [BATCH_SPAN_ATTRIBUTES.parked]: outcome.parked.length,
        [BATCH_SPAN_ATTRIBUTES.appliedLsn]: outcome.appliedLsn,
      });
      for (const event of outcome.appliedEvents) {
        if (hasTraceparent(event.metadata)) startEventSpan(events, event).end(endTime);
      }
      for (const { event, error } of outcome.parked) {
        if (!hasTraceparent(event.metadata)) continue;
        const span = startEventSpan(events, event);
        span.setAttribute(PARKED_ATTRIBUTE, true);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `parked: ${error}` });
        span.end(endTime);
      }
    }
    batchSpan.end(endTime);
    return outcome;
  } catch (error) {
    const endTime = new Date();
    const exception = error instanceof Error ? error : String(error);
    const status = { code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) };
    if (tracing) {
      const handled = new Set(projection.canHandle);
      for (const event of batch.events) {
        if (!handled.has(event.type) || !hasTraceparent(event.metadata)) continue;
        const span = startEventSpan(events, event);
        span.recordException(exception, endTime);
        span.setStatus(status);
        span.end(endTime);
      }
    }
    batchSpan.recordException(exception, endTime);
    batchSpan.setStatus(status);
    batchSpan.end(endTime);
    throw error;
  }
}

type EventSpans = { tracer: Tracer; projection: string; startTime: Date; link: SpanContext };

function startEventSpan({ tracer, projection, startTime, link }: EventSpans, event: RecordedEvent): Span {
  return tracer.startSpan(
    `project ${projection} ${event.type}`,
    { kind: SpanKind.CONSUMER, startTime, attributes: eventSpanAttributes(projection, event), links: [{ context: link }] },
    contextFromEventMetadata(event.metadata),
  );
}

function batchAttributes(projection: string, batch: SourceBatch): Attributes {
  const attributes: Attributes = {
    [BATCH_SPAN_ATTRIBUTES.projection]: projection,
    [BATCH_SPAN_ATTRIBUTES.topic]: batch.topic,
    [BATCH_SPAN_ATTRIBUTES.partition]: batch.partition,
    [BATCH_SPAN_ATTRIBUTES.size]: batch.events.length,
    [BATCH_SPAN_ATTRIBUTES.watermarkLsn]: batch.watermarkLsn,
  };
  const first = batch.events[0];
  const last = batch.events.at(-1);
  if (first && last) {
    attributes[BATCH_SPAN_ATTRIBUTES.firstLsn] = first.lsn;
    attributes[BATCH_SPAN_ATTRIBUTES.lastLsn] = last.lsn;
  }
  return attributes;
}
