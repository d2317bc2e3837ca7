// Turns a run of Kafka messages of one partition into the runtime's SourceBatch. Pure: no I/O.
import type { RecordedEvent } from '../../../ports/event-store.ts';
import type { ForeignRecords, PartitionRef, SourceBatch } from '../../../ports/projection-source.ts';
import { decodeMessage, type IncomingMessage } from './messages.ts';

export type UnknownMessage = PartitionRef & { offset: string; reason: string };

/** What the batch is read against: this store's id, and the partition's watermark already delivered. */
export type SourceBatchExpectations = {
  /** Only records stamped with this store id are events and watermarks of this log (see messages.ts). */
  storeId: string;
  /**
   * The partition's watermark already handed to (and resolved by) the runtime in this session. Events at
   * or below it, or below an event earlier in the same run, are republished copies (the relay resends its
   * last unacknowledged batch after a crash) and are left out, so `events` is strictly increasing in LSN.
   */
  deliveredLsn: number;
};

/**
 * `watermarkLsn` = max(deliveredLsn, each event's LSN or `watermark-lsn` header, each watermark's LSN) over this
 * store's records;
 * `nextOffset` = last offset + 1. Records of another store (or of none: no store-id header) are neither
 * applied nor counted towards the watermark: they are summed up in `foreignRecords`. Messages that are
 * neither events nor watermarks go to `onUnknown`.
 */
export function sourceBatchOf(
  ref: PartitionRef,
  messages: readonly IncomingMessage[],
  expected: SourceBatchExpectations,
  onUnknown: (message: UnknownMessage) => void,
): SourceBatch {
  if (messages.length === 0) throw new RangeError(`an empty run of messages for ${ref.topic}/${ref.partition}`);
  const events: RecordedEvent[] = [];
  let watermarkLsn = expected.deliveredLsn;
  let foreign: { count: number; storeIds: Set<string>; firstOffset: string } | undefined;
  for (const message of messages) {
    const decoded = decodeMessage(message);
    if (decoded.kind !== 'unknown' && decoded.storeId !== expected.storeId) {
      foreign ??= { count: 0, storeIds: new Set(), firstOffset: message.offset };
      foreign.count += 1;
      foreign.storeIds.add(decoded.storeId ?? NO_STORE_ID);
      continue;
    }
    switch (decoded.kind) {
      case 'event':
        if (decoded.event.lsn > watermarkLsn) events.push(decoded.event);
        watermarkLsn = Math.max(watermarkLsn, decoded.watermarkLsn);
        break;
      case 'watermark':
        watermarkLsn = Math.max(watermarkLsn, decoded.lsn);
        break;
      case 'unknown':
        onUnknown({ ...ref, offset: message.offset, reason: decoded.reason });
        break;
    }
  }
  const lastOffset = messages[messages.length - 1]!.offset;
  const foreignRecords: ForeignRecords | undefined = foreign && {
    count: foreign.count,
    storeIds: [...foreign.storeIds].sort(),
    firstOffset: foreign.firstOffset,
  };
  return { ...ref, events, watermarkLsn, nextOffset: (BigInt(lastOffset) + 1n).toString(), ...(foreignRecords ? { foreignRecords } : {}) };
}

/** How records without a store-id header are named in `foreignRecords.storeIds`. */
export const NO_STORE_ID = '(none)';
