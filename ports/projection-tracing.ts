// Tracing of projection batches: what the worker reports of each batch it applies. The adapter is
// infra/telemetry/projection-tracing.ts (OpenTelemetry spans: one per batch, one per traced event as a child
// of the event's traceparent). A worker given none traces nothing.
import type { RecordedEvent } from './event-store.ts';
import type { SourceBatch } from './projection-source.ts';

/** What a committed batch did, as far as its spans tell. */
export type TracedBatchOutcome = {
  /** The partition's applied LSN after the batch. */
  appliedLsn: number;
  applied: number;
  /** The events applied (read model changed), in LSN order. */
  appliedEvents: readonly RecordedEvent[];
  parked: readonly { event: RecordedEvent; error: string }[];
};

export interface ProjectionTracer {
  /**
   * Runs `apply` (the batch, with its retries) and reports it, with its outcome or its failure; returns or
   * rethrows what `apply` does. `projection.canHandle` names the event types a failed batch would have applied.
   */
  traceBatch<O extends TracedBatchOutcome>(
    projection: { name: string; canHandle: readonly string[] },
    batch: SourceBatch,
    apply: () => Promise<O>,
  ): Promise<O>;
}
