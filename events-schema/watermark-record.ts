// The value of the relay's watermark records (infra/bus/kafka/messages.ts): not an event, but encoded like
// one — Avro single-object encoding of the small ProoflineWatermark schema below — so a consumer that decodes
// every record as Avro reads it instead of failing. The schema lives here, not as a <context>/*.avsc file:
// it belongs to no bounded context and must not get a topic of its own.
import type { Type } from 'avsc';
import { fingerprint64 } from './avro/fingerprint.ts';
import { toAvroType } from './avro/schema.ts';
import { encodeSingleObject, splitSingleObject } from './avro/single-object.ts';

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

const watermarkType: Type = toAvroType(WATERMARK_RECORD_SCHEMA);
const watermarkFingerprint = fingerprint64(watermarkType);

export function encodeWatermarkRecord(record: WatermarkRecord): Buffer {
  return encodeSingleObject(watermarkFingerprint, watermarkType.toBuffer({ lsn: record.lsn, storeId: record.storeId }));
}

/** The record, or undefined when the bytes are not a ProoflineWatermark (another schema, truncated, garbage). */
export function decodeWatermarkRecord(bytes: Uint8Array): WatermarkRecord | undefined {
  try {
    const { fingerprint, body } = splitSingleObject(bytes);
    if (!fingerprint.equals(watermarkFingerprint)) return undefined;
    const decoded = watermarkType.fromBuffer(body) as { lsn: number; storeId: string };
    return Number.isSafeInteger(decoded.lsn) && decoded.lsn >= 0 ? { lsn: decoded.lsn, storeId: decoded.storeId } : undefined;
  } catch {
    return undefined;
  }
}
