// The wire format of the fan-out (docs/architecture.md, invariant 3), both ways. Pure: no I/O.
//
// Event message: key = stream id, value = the stored event bytes as they are (Avro single-object
// encoding: C3 01, CRC-64-AVRO fingerprint, binary body) or, with KAFKA_VALUE_FORMAT=confluent, the same body
// in the Confluent wire format (00, 4-byte registry id; confluent-wire.ts), timestamp = when the event was
// recorded, and headers store-id, event-id, event-type (the writer schema's full name and version,
// `proofline.governance.VoteCast.v1`; records of older relays carry the bare type, and both are read),
// schema-fingerprint (hex, the 8 bytes in wire order: little-endian), schema-fingerprint-crc64-be (the same
// CRC-64-AVRO as the number Avro's tools print: big-endian hex), stream-id, revision, lsn, content-type
// (avro/binary), metadata (the event metadata as JSON), traceparent/tracestate when present.
//
// `store-id` names the event store the record comes from (EventStore.storeId). LSNs restart at 1 in every
// store, so an LSN means something only together with it: consumers apply only their own store's records.
//
// Partition progress ("every event up to LSN L that belongs on this partition is already on it") travels
// two ways (relay.ts says when each is sent):
//   - on an event: header `watermark-lsn` = L (the last event the relay puts on a partition in a batch
//     carries the batch's last LSN); without the header the event's own `lsn` says as much;
//   - on a watermark record: key `proofline.watermark`, value an Avro single-object ProoflineWatermark
//     { lsn, storeId } (events-schema/watermark-record.ts), so a consumer decoding every value as Avro reads
//     it, headers `proofline-control: watermark`, `lsn`, `store-id`, `content-type`. Any consumer that is not
//     the Proofline Kafka source must skip records with a `proofline-control` header: they are not events.
//     Watermarks of older relays (no key, empty value, the same headers) are still read.
//   - on the progress topic (`<prefix>.progress.v1`, its own topic: no event topic carries it): key = store id,
//     value an Avro single-object ProoflineProgress { storeId, lsn, partitions: [{ topic, partition, endOffset }] }
//     (events-schema/progress-record.ts), headers `proofline-control: progress`, `lsn`, `store-id`,
//     `content-type`: every event up to lsn is on its partition below that partition's endOffset.
import type { EventMetadata, RecordedEvent } from '../../../ports/event-store.ts';
import {
  decodeProgressRecord,
  encodeProgressRecord,
  encodeWatermarkRecord,
  type ProgressRecord,
  eventTypeOfHeader,
  qualifiedEventType,
  schemaFingerprintBigEndianHex,
  schemaFingerprintHex,
  writerSchemaOf,
} from '../../../events-schema/index.ts';
import { isConfluentFramed } from './confluent-wire.ts';

export const HEADERS = {
  storeId: 'store-id',
  eventId: 'event-id',
  eventType: 'event-type',
  schemaFingerprint: 'schema-fingerprint',
  schemaFingerprintCrc64BigEndian: 'schema-fingerprint-crc64-be',
  streamId: 'stream-id',
  revision: 'revision',
  lsn: 'lsn',
  contentType: 'content-type',
  metadata: 'metadata',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  control: 'proofline-control',
  watermarkLsn: 'watermark-lsn',
} as const;

export const AVRO_CONTENT_TYPE = 'avro/binary';
export const WATERMARK_CONTROL = 'watermark';
export const PROGRESS_CONTROL = 'progress';
/** The key of every watermark record (they are routed by explicit partition, not by key). */
export const WATERMARK_KEY = 'proofline.watermark';

/** What kafkajs sends (a subset of its Message type, kept here so the mapping is testable without a broker). */
export type OutgoingMessage = {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  partition?: number;
  timestamp?: string;
};

/** How the relay writes an event's stored single-object bytes as a record value. */
export type ValueEncoder = (data: Uint8Array) => Buffer;

/** The stored bytes as they are (KAFKA_VALUE_FORMAT=single-object). */
export const singleObjectValue: ValueEncoder = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * `watermarkLsn` (≥ the event's LSN): the partition is complete up to it once this record is read — set on
 * the last event of a batch for its partition, to the batch's last LSN.
 */
export function eventMessage(event: RecordedEvent, storeId: string, watermarkLsn?: number, encodeValue: ValueEncoder = singleObjectValue): OutgoingMessage {
  const headers: Record<string, string> = {
    [HEADERS.storeId]: storeId,
    [HEADERS.eventId]: event.eventId,
    [HEADERS.eventType]: qualifiedEventType(writerSchemaOf(event.data)),
    [HEADERS.schemaFingerprint]: schemaFingerprintHex(event.data),
    [HEADERS.schemaFingerprintCrc64BigEndian]: schemaFingerprintBigEndianHex(event.data),
    [HEADERS.streamId]: event.streamId,
    [HEADERS.revision]: String(event.revision),
    [HEADERS.lsn]: String(event.lsn),
    [HEADERS.contentType]: AVRO_CONTENT_TYPE,
    [HEADERS.metadata]: JSON.stringify(event.metadata),
  };
  const { traceparent, tracestate } = event.metadata;
  if (typeof traceparent === 'string' && traceparent) headers[HEADERS.traceparent] = traceparent;
  if (typeof tracestate === 'string' && tracestate) headers[HEADERS.tracestate] = tracestate;
  if (watermarkLsn !== undefined && watermarkLsn > event.lsn) headers[HEADERS.watermarkLsn] = String(watermarkLsn);
  return {
    key: event.streamId,
    value: encodeValue(event.data),
    headers,
    timestamp: String(event.recordedAt.getTime()),
  };
}

export function watermarkMessage(partition: number, lsn: number, storeId: string): OutgoingMessage {
  return {
    key: WATERMARK_KEY,
    value: encodeWatermarkRecord({ lsn, storeId }),
    partition,
    headers: {
      [HEADERS.control]: WATERMARK_CONTROL,
      [HEADERS.lsn]: String(lsn),
      [HEADERS.storeId]: storeId,
      [HEADERS.contentType]: AVRO_CONTENT_TYPE,
    },
  };
}

/** The relay's progress record (on the progress topic, keyed by store id). */
export function progressMessage(record: ProgressRecord): OutgoingMessage {
  return {
    key: record.storeId,
    value: encodeProgressRecord(record),
    headers: {
      [HEADERS.control]: PROGRESS_CONTROL,
      [HEADERS.lsn]: String(record.lsn),
      [HEADERS.storeId]: record.storeId,
      [HEADERS.contentType]: AVRO_CONTENT_TYPE,
    },
  };
}

/** A progress record, or why the message is not one. */
export function decodeProgressMessage(message: IncomingMessage): { kind: 'progress'; record: ProgressRecord } | { kind: 'unknown'; reason: string } {
  if (headerText(message.headers, HEADERS.control) !== PROGRESS_CONTROL) return { kind: 'unknown', reason: 'not a progress record (proofline-control header)' };
  const record = message.value ? decodeProgressRecord(message.value) : undefined;
  return record ? { kind: 'progress', record } : { kind: 'unknown', reason: 'a progress record whose value is not a valid ProoflineProgress' };
}

/** What kafkajs delivers (a subset of its KafkaMessage). */
export type IncomingMessage = {
  offset: string;
  timestamp: string;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
};

/**
 * `storeId` is undefined on records of a relay that predates store ids. An event's `watermarkLsn` is how far
 * its partition is complete once it is read: its `watermark-lsn` header, else its own LSN.
 */
export type DecodedMessage =
  | { kind: 'event'; event: RecordedEvent; watermarkLsn: number; storeId: string | undefined }
  | { kind: 'watermark'; lsn: number; storeId: string | undefined }
  /** Not written by the relay (or by a newer one): reported, never guessed at. */
  | { kind: 'unknown'; reason: string };

export function decodeMessage(message: IncomingMessage): DecodedMessage {
  const header = (name: string) => headerText(message.headers, name);
  const control = header(HEADERS.control);
  const storeId = header(HEADERS.storeId);
  if (control !== undefined) {
    if (control !== WATERMARK_CONTROL) return { kind: 'unknown', reason: `unknown control message "${control}"` };
    const lsn = parseCount(header(HEADERS.lsn));
    return lsn === undefined ? { kind: 'unknown', reason: 'watermark without a valid lsn header' } : { kind: 'watermark', lsn, storeId };
  }
  const eventId = header(HEADERS.eventId);
  const typeHeader = header(HEADERS.eventType);
  const type = typeHeader && eventTypeOfHeader(typeHeader);
  const streamId = header(HEADERS.streamId);
  const revision = parseCount(header(HEADERS.revision));
  const lsn = parseCount(header(HEADERS.lsn));
  if (!eventId || !type || streamId === undefined || revision === undefined || lsn === undefined || !message.value) {
    return { kind: 'unknown', reason: 'not a Proofline event: event-id, event-type, stream-id, revision, lsn or value missing' };
  }
  if (isConfluentFramed(message.value)) {
    // The Kafka source turns these into single-object bytes when it has a registry to resolve the id with.
    return { kind: 'unknown', reason: 'a Confluent wire format value whose schema id was not resolved (is SCHEMA_REGISTRY_URL set for this consumer?)' };
  }
  const watermarkLsn = parseCount(header(HEADERS.watermarkLsn));
  return {
    kind: 'event',
    storeId,
    watermarkLsn: watermarkLsn !== undefined && watermarkLsn > lsn ? watermarkLsn : lsn,
    event: {
      eventId,
      type,
      streamId,
      revision,
      lsn,
      data: new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength),
      metadata: metadataOf(header),
      recordedAt: new Date(Number(message.timestamp)),
    },
  };
}

function metadataOf(header: (name: string) => string | undefined): EventMetadata {
  let metadata: EventMetadata = {};
  const json = header(HEADERS.metadata);
  if (json) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as EventMetadata;
    } catch {
      // A broken metadata header loses only the optional fields; the trace headers below still apply.
    }
  }
  const traceparent = header(HEADERS.traceparent);
  const tracestate = header(HEADERS.tracestate);
  if (traceparent) metadata.traceparent = traceparent;
  if (tracestate) metadata.tracestate = tracestate;
  return metadata;
}

function headerText(headers: IncomingMessage['headers'], name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
