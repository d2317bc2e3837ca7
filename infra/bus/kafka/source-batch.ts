// Turns a run of Kafka messages of one partition into the runtime's SourceBatch. Pure: no I/O.
import type { RecordedEvent } from '../../../ports/event-store.ts';
import type { PartitionRef, SourceBatch } from '../../../projections/runtime/source.ts';
import { decodeMessage, type IncomingMessage } from './messages.ts';

export type UnknownMessage = PartitionRef & { offset: string; reason: string };

/**
 * `deliveredLsn` is the partition's watermark already handed to (and resolved by) the runtime in this
 * session. Events at or below it, or below an event earlier in the same run, are republished copies (the
 * relay resends its last unacknowledged batch after a crash) and are left out, so `events` is strictly
 * increasing in LSN. `watermarkLsn` = max(deliveredLsn, last event LSN, last watermark LSN);
 * `nextOffset` = last offset + 1. Messages that are neither events nor watermarks go to `onUnknown`.
 */
export function sourceBatchOf(
  ref: PartitionRef,
  messages: readonly IncomingMessage[],
  deliveredLsn: number,
  onUnknown: (message: UnknownMessage) => void,
): SourceBatch {
  if (messages.length === 0) throw new RangeError(`an empty run of messages for ${ref.topic}/${ref.partition}`);
  const events: RecordedEvent[] = [];
  let watermarkLsn = deliveredLsn;
  for (const message of messages) {
    const decoded = decodeMessage(message);
    switch (decoded.kind) {
      case 'event':
        if (decoded.event.lsn > watermarkLsn) {
          events.push(decoded.event);
          watermarkLsn = decoded.event.lsn;
        }
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
  return { ...ref, events, watermarkLsn, nextOffset: (BigInt(lastOffset) + 1n).toString() };
}
