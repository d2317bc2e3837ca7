// The Confluent wire format of a record value: a 0x00 magic byte, the writer schema's registry id as a 4-byte
// big-endian integer, then the Avro binary body. Pure: no I/O. The body is the same bytes as in single-object
// encoding (C3 01 + 8-byte fingerprint + body), so converting between the two only swaps the header.
import { encodeSingleObject, splitSingleObject } from '../../../events-schema/index.ts';

export const CONFLUENT_MAGIC_BYTE = 0x00;
export const CONFLUENT_HEADER_LENGTH = 5;

export class ConfluentFormatError extends Error {
  override readonly name = 'ConfluentFormatError';
}

export function encodeConfluent(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new RangeError(`a registry schema id is a non-negative int32, got ${schemaId}`);
  const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
  header.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** Splits the header from the body (a view on `bytes`, not a copy). */
export function splitConfluent(bytes: Uint8Array): { schemaId: number; body: Buffer } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < CONFLUENT_HEADER_LENGTH) throw new ConfluentFormatError(`too short for the Confluent wire format: ${buffer.length} bytes`);
  if (buffer[0] !== CONFLUENT_MAGIC_BYTE) throw new ConfluentFormatError(`not the Confluent wire format: magic byte ${buffer.subarray(0, 1).toString('hex')}`);
  return { schemaId: buffer.readInt32BE(1), body: buffer.subarray(CONFLUENT_HEADER_LENGTH) };
}

/** True when a value starts with the Confluent magic byte (single-object encoding starts with C3). */
export function isConfluentFramed(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === CONFLUENT_MAGIC_BYTE;
}

/** Single-object bytes (as stored) → the Confluent framing of the same body, given the writer schema's id. */
export function singleObjectToConfluent(singleObject: Uint8Array, schemaIdOf: (fingerprintHex: string) => number | undefined): Buffer {
  const { fingerprint, body } = splitSingleObject(singleObject);
  const schemaId = schemaIdOf(fingerprint.toString('hex'));
  if (schemaId === undefined) throw new ConfluentFormatError(`schema ${fingerprint.toString('hex')} has no registry id (was it registered at start?)`);
  return encodeConfluent(schemaId, body);
}

/** A Confluent-framed value → single-object bytes, given the single-object fingerprint of the id's schema. */
export function confluentToSingleObject(confluent: Uint8Array, fingerprint: Uint8Array): Buffer {
  return encodeSingleObject(fingerprint, splitConfluent(confluent).body);
}
