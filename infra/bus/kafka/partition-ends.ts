// Where each partition of the event topics ends, as the relay knows it: the offsets fetched when a session
// starts, moved on by the base offsets the broker returns for each acknowledged batch. Pure: no I/O.
//
// A progress record (messages.ts) is these ends together with the last LSN acknowledged: what the session
// fetched at its start ends after every event its checkpoint covers; each acknowledged batch ends at its base
// offset plus the records it put on the partition (the idempotent producer writes a batch once, so offsets
// are contiguous).
import type { PartitionEnd } from '../../../events-schema/index.ts';
import type { PartitionRef } from '../../../ports/projection-source.ts';
import { partitionKey } from './topics.ts';

/** What the broker answers per partition for an acknowledged batch (kafkajs RecordMetadata). */
export type AcknowledgedPartition = { topicName: string; partition: number; baseOffset?: string };
/** What was sent: records per topic, each with its explicit partition (kafkajs TopicMessages). */
export type SentTopic = { topic: string; messages: ReadonlyArray<{ partition?: number }> };

export class PartitionEnds {
  private readonly ends = new Map<string, PartitionEnd>();

  constructor(initial: readonly PartitionEnd[]) {
    for (const end of initial) this.ends.set(partitionKey(end), { ...end });
  }

  /**
   * Moves each partition the batch wrote to its new end. Throws when the answer does not account for every
   * partition written once (the session then starts again and fetches the ends afresh).
   */
  acknowledged(sent: readonly SentTopic[], answer: readonly AcknowledgedPartition[]): void {
    const written = new Map<string, { ref: PartitionRef; records: number }>();
    for (const { topic, messages } of sent) {
      for (const { partition } of messages) {
        if (partition === undefined) throw new Error(`a record for ${topic} without an explicit partition: its end cannot be known`);
        const key = partitionKey({ topic, partition });
        const entry = written.get(key) ?? { ref: { topic, partition }, records: 0 };
        entry.records += 1;
        written.set(key, entry);
      }
    }
    const answered = new Map<string, string>();
    for (const { topicName, partition, baseOffset } of answer) {
      const key = partitionKey({ topic: topicName, partition });
      if (baseOffset === undefined || answered.has(key)) throw new Error(`the broker's answer for ${key} has no single base offset`);
      answered.set(key, baseOffset);
    }
    for (const [key, { ref, records }] of written) {
      const base = answered.get(key);
      if (base === undefined) throw new Error(`the broker's answer lacks ${key}, which the batch wrote to`);
      this.ends.set(key, { ...ref, endOffset: BigInt(base) + BigInt(records) });
    }
  }

  snapshot(): PartitionEnd[] {
    return [...this.ends.values()].map((end) => ({ ...end }));
  }
}
