// Public API of the event encoding layer.
export type { Event } from './event.ts';
export * from './access/events.ts';
export * from './assets/events.ts';
export * from './crawl/events.ts';
export * from './governance/events.ts';
export * from './impact/events.ts';
export * from './workplace/events.ts';
export {
  contextOf,
  decodeEvent,
  encodeEvent,
  eventTypes,
  recordFullName,
  schemaVersions,
  writerSchemaOf,
  type ProoflineEvent,
  type ProoflineEventType,
} from './registry.ts';
export { createEventRegistry, type EventRegistry, type SchemaVersionInfo, type WriterSchema } from './event-registry.ts';
export { eventTypeOfHeader, qualifiedEventType } from './qualified-event-type.ts';
export { checkCompatibility, type Compatibility } from './compatibility.ts';
export type { Upcaster } from './upcasters.ts';
export {
  EventDecodingError,
  EventEncodingError,
  SchemaRegistryError,
  UnknownEventTypeError,
  UnknownSchemaError,
  type EncodingIssue,
} from './errors.ts';
export { crc64Avro, fingerprint64, parsingCanonicalForm } from './avro/fingerprint.ts';
export {
  avroBody,
  encodeSingleObject,
  HEADER_LENGTH,
  schemaFingerprintBigEndianHex,
  schemaFingerprintHex,
  SingleObjectFormatError,
  splitSingleObject,
} from './avro/single-object.ts';
export { decodeWatermarkRecord, encodeWatermarkRecord, WATERMARK_RECORD_SCHEMA, type WatermarkRecord } from './watermark-record.ts';
export { decodeProgressRecord, encodeProgressRecord, PROGRESS_RECORD_SCHEMA, type PartitionEnd, type ProgressRecord } from './progress-record.ts';
