// CRC-64-AVRO (Rabin) fingerprints of Parsing Canonical Form, as the Avro specification defines them
// ("Schema Fingerprints"). Single-object encoding puts the 8 bytes little-endian after the C3 01 marker.
import { toAvroType, type AvroSchema } from './schema.ts';

/** The fingerprint of the empty byte string, and the polynomial the table is built from. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

const FP_TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (fp & 1n ? CRC64_AVRO_EMPTY : 0n);
  return fp;
});

/** The spec's table-driven algorithm, as an unsigned 64-bit value. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = CRC64_AVRO_EMPTY;
  for (const byte of bytes) fp = (fp >> 8n) ^ FP_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  return fp;
}

/**
 * The Parsing Canonical Form of a schema. avsc's `Type#schema()` without options already applies the
 * spec's transformations (full names, only name/type/fields/symbols/items/values/size, in that order,
 * no doc/aliases/defaults/logicalType, primitives as bare strings). fingerprint.unit.spec.ts holds
 * the proof: forms and fingerprints computed by Apache Avro's Java `SchemaNormalization`.
 */
export function parsingCanonicalForm(schema: AvroSchema): string {
  return JSON.stringify(toAvroType(schema).schema());
}

/** The 8-byte fingerprint in the byte order single-object encoding uses (little-endian). */
export function fingerprint64(schema: AvroSchema): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(crc64Avro(Buffer.from(parsingCanonicalForm(schema), 'utf8')));
  return bytes;
}
