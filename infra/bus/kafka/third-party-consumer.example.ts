// Reads Proofline's topics with kafkajs and avsc, from the .avsc files alone (a copy of events-schema/).
// Each value is Avro single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint (8 bytes,
// little-endian), the Avro binary body. The schemas are indexed by that fingerprint, computed here as the
// Avro specification defines it, so records of every version decode with the schema that wrote them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { Kafka, type KafkaMessage } from 'kafkajs';

export type ProoflineRecord = {
  eventType: string; // the writer schema and version, e.g. proofline.governance.VoteCast.v1
  eventId: string;
  streamId: string;
  revision: number;
  lsn: number;
  storeId: string;
  data: Record<string, unknown>; // timestamp-millis fields arrive as numbers (epoch ms)
};

// CRC-64-AVRO (Avro specification, "Schema Fingerprints"), printed as a big-endian hex number.
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
  return fp;
});
function crc64Avro(text: string): string {
  let fp = EMPTY;
  for (const byte of Buffer.from(text, 'utf8')) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  return fp.toString(16).padStart(16, '0');
}

/** Every .avsc under `schemaDir`, by fingerprint (avsc's `schema()` is the Parsing Canonical Form). */
export function loadSchemas(schemaDir: string): Map<string, avro.Type> {
  const byFingerprint = new Map<string, avro.Type>();
  for (const file of readdirSync(schemaDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.avsc')) continue;
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')));
    byFingerprint.set(crc64Avro(JSON.stringify(type.schema())), type);
  }
  return byFingerprint;
}

/** The event a record carries, or undefined for a control record (a watermark: not an event). */
export function decodeRecord(schemas: Map<string, avro.Type>, message: KafkaMessage): ProoflineRecord | undefined {
  const header = (name: string) => message.headers?.[name]?.toString();
  if (header('proofline-control') !== undefined) return undefined;
  const value = message.value;
  if (!value || value[0] !== 0xc3 || value[1] !== 0x01) throw new Error(`offset ${message.offset}: not Avro single-object encoding`);
  const fingerprint = Buffer.from(value.subarray(2, 10)).reverse().toString('hex'); // = header schema-fingerprint-crc64-be
  const schema = schemas.get(fingerprint);
  if (!schema) throw new Error(`offset ${message.offset}: no .avsc has fingerprint ${fingerprint} (${header('event-type')})`);
  return {
    eventType: header('event-type')!,
    eventId: header('event-id')!,
    streamId: header('stream-id')!,
    revision: Number(header('revision')),
    lsn: Number(header('lsn')),
    storeId: header('store-id')!,
    data: schema.fromBuffer(value.subarray(10)),
  };
}

/** Consumes `topics` from the beginning; call `disconnect()` on the answer to stop. */
export async function consumeProofline(options: {
  brokers: string[];
  topics: string[];
  groupId: string;
  schemaDir: string;
  onEvent: (record: ProoflineRecord) => Promise<void> | void;
}) {
  const schemas = loadSchemas(options.schemaDir);
  const consumer = new Kafka({ clientId: options.groupId, brokers: options.brokers }).consumer({ groupId: options.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: options.topics, fromBeginning: true });
  await consumer.run({
    // Order holds per partition, so per stream (the key is the stream id).
    eachMessage: async ({ message }) => {
      const record = decodeRecord(schemas, message);
      if (record) await options.onEvent(record);
    },
  });
  return consumer;
}
