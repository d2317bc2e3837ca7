// The value of the relay's progress records (infra/bus/kafka/relay.ts): after the batches the broker
// acknowledged (20 ms after the last when traffic pauses, every 100 ms under load), the relay writes to its own
// progress topic, for every partition of every event topic, the offset the partition ends at. "Complete up to
// lsn below endOffset": every event up to `lsn` that belongs on a partition sits at an offset below its
// `endOffset`, so a consumer that has applied a partition up to that offset has applied every such event,
// whether or not the partition received one lately. Encoded like an event (Avro single-object encoding) so any
// Avro tool reads it; it belongs to no bounded context.
import { singleObjectRecord } from './avro/single-object-record.ts';

export const PROGRESS_RECORD_SCHEMA = {
  type: 'record',
  name: 'ProoflineProgress',
  namespace: 'proofline.control',
  doc: 'Every event up to lsn is on its partition at an offset below that partition\'s endOffset.',
  fields: [
    { name: 'storeId', type: 'string', doc: 'The event store the LSN counts in.' },
    { name: 'lsn', type: 'long' },
    {
      name: 'partitions',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'PartitionEnd',
          fields: [
            { name: 'topic', type: 'string' },
            { name: 'partition', type: 'int' },
            { name: 'endOffset', type: 'long', doc: 'The offset the next record on this partition gets.' },
          ],
        },
      },
    },
  ],
} as const;

export type PartitionEnd = { topic: string; partition: number; endOffset: bigint };
export type ProgressRecord = { storeId: string; lsn: number; partitions: PartitionEnd[] };

/** As Avro holds it: the offsets as longs (numbers). */
type ProgressValue = { storeId: string; lsn: number; partitions: Array<{ topic: string; partition: number; endOffset: number }> };

const progressRecord = singleObjectRecord<ProgressValue>(PROGRESS_RECORD_SCHEMA);

export function encodeProgressRecord(record: ProgressRecord): Buffer {
  const partitions = record.partitions.map(({ topic, partition, endOffset }) => ({ topic, partition, endOffset: Number(endOffset) }));
  return progressRecord.encode({ storeId: record.storeId, lsn: record.lsn, partitions });
}

/** The record, or undefined when the bytes are not a valid ProoflineProgress (another schema, truncated, garbage). */
export function decodeProgressRecord(bytes: Uint8Array): ProgressRecord | undefined {
  const decoded = progressRecord.decode(bytes);
  const valid = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!decoded || !valid(decoded.lsn) || !decoded.partitions.every((p) => valid(p.endOffset) && valid(p.partition))) return undefined;
  return {
    storeId: decoded.storeId,
    lsn: decoded.lsn,
    partitions: decoded.partitions.map(({ topic, partition, endOffset }) => ({ topic, partition, endOffset: BigInt(endOffset) })),
  };
}
