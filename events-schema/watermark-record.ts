// The value of the relay's watermark records (infra/bus/kafka/messages.ts): not an event, but encoded like
// one — Avro single-object encoding of the small ProoflineWatermark schema below — so a consumer that decodes
// every record as Avro reads it instead of failing. The schema lives here, not as a <context>/*.avsc file:
// it belongs to no bounded context and must not get a topic of its own.
import { singleObjectRecord } from './avro/single-object-record.ts';

export const WATERMARK_RECORD_SCHEMA = {
  type: 'record',
  name: 'ProoflineWatermark',
  namespace: 'proofline.control',
  doc: 'Every event up to lsn that belongs on this partition is already on it. Not an event: skip it.',
  fields: [
    { name: 'lsn', type: 'long' },
    { name: 'storeId', type: 'string' },
  ],
} as const;

export type WatermarkRecord = { lsn: number; storeId: string };

const watermarkRecord = singleObjectRecord<WatermarkRecord>(WATERMARK_RECORD_SCHEMA);

export function encodeWatermarkRecord(record: WatermarkRecord): Buffer {
  return watermarkRecord.encode({ lsn: record.lsn, storeId: record.storeId });
}

/** The record, or undefined when the bytes are not a ProoflineWatermark (another schema, truncated, garbage). */
export function decodeWatermarkRecord(bytes: Uint8Array): WatermarkRecord | undefined {
  const decoded = watermarkRecord.decode(bytes);
  return decoded && Number.isSafeInteger(decoded.lsn) && decoded.lsn >= 0 ? { lsn: decoded.lsn, storeId: decoded.storeId } : undefined;
}
