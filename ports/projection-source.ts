// The projection source port: where a projection worker gets its events from. The adapters are the local
// bus (infra/bus/local, tailing the event store) and Kafka (infra/bus/kafka). Both hand the runtime ordered
// batches per partition; the runtime stores the position in the same transaction as the read-model change,
// so a re-delivered batch changes nothing.
import type { RecordedEvent } from './event-store.ts';

/** A partition of the fan-out: Kafka's (topic, partition), or the local bus's single ('log', 0). */
export type PartitionRef = { topic: string; partition: number };

export type SourceBatch = PartitionRef & {
  /** Events of this partition in LSN order (may repeat events delivered before: the runtime skips them). */
  events: RecordedEvent[];
  /**
   * Every event of this partition with an LSN up to here has now been delivered. The relay's watermark
   * messages make it move on partitions that received no event, so min(watermark) over all partitions is
   * the LSN up to which the read model is complete.
   */
  watermarkLsn: number;
  /** The source's own resume position after this batch (Kafka: next offset), stored with the checkpoint. */
  nextOffset: string | null;
  /**
   * Records in this run that another event store wrote (a shared broker, topics reused by a new store): not
   * in `events`, not counted in `watermarkLsn`. The runtime records them with the checkpoint, so they are
   * visible (metrics, readiness) from any process.
   */
  foreignRecords?: ForeignRecords;
};

export type ForeignRecords = {
  count: number;
  /** The store ids they carry, sorted; `(none)` for records without one. */
  storeIds: string[];
  /** The source position of the first of them (Kafka offset). */
  firstOffset: string;
};

export type StoredPosition = PartitionRef & { appliedLsn: number; nextOffset: string | null };

/** A partition with nothing new to apply that is now known complete up to `watermarkLsn`. */
export type PartitionWatermark = PartitionRef & { watermarkLsn: number };

export interface ProjectionSource {
  /**
   * Delivers batches until the signal aborts. `handle` must resolve before the next batch of the same
   * partition is delivered; the source acknowledges (commits offsets) only after it resolved.
   * `positions` gives the stored checkpoint so the source can seek on start or on partition assignment;
   * `partitionsKnown` lets the runtime create a checkpoint row for every partition before the first batch;
   * `retirePartitions` names stored partitions this source will never deliver (topics of another prefix,
   * another kind of source), so that they stop holding the watermark back.
   * `advanceWatermarks` raises the applied LSN of partitions that received nothing to apply (Kafka: the relay's
   * progress record says they hold nothing more up to an LSN), all in one transaction, positions unchanged; it
   * may run while `handle` runs for one of them (both only ever raise).
   */
  run(hooks: {
    positions(): Promise<StoredPosition[]>;
    partitionsKnown(partitions: PartitionRef[]): Promise<void>;
    retirePartitions(partitions: PartitionRef[]): Promise<void>;
    handle(batch: SourceBatch): Promise<void>;
    advanceWatermarks(watermarks: PartitionWatermark[]): Promise<void>;
    signal: AbortSignal;
  }): Promise<void>;
}
