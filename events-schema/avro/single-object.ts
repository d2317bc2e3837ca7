// Avro single-object encoding: C3 01, the writer schema's 8-byte CRC-64-AVRO fingerprint (little-endian),
// then the Avro binary body. Any Avro implementation can decode it given the writer schema.

export const SINGLE_OBJECT_MARKER: readonly [number, number] = [0xc3, 0x01];
export const FINGERPRINT_LENGTH = 8;
export const HEADER_LENGTH = SINGLE_OBJECT_MARKER.length + FINGERPRINT_LENGTH;

export class SingleObjectFormatError extends Error {
  override readonly name = 'SingleObjectFormatError';
}

export type SingleObject = { fingerprint: Buffer; body: Buffer };

export function encodeSingleObject(fingerprint: Uint8Array, body: Uint8Array): Buffer {
  if (fingerprint.length !== FINGERPRINT_LENGTH) {
    throw new RangeError(`a fingerprint is ${FINGERPRINT_LENGTH} bytes, got ${fingerprint.length}`);
  }
  return Buffer.concat([Buffer.from(SINGLE_OBJECT_MARKER), fingerprint, body]);
}

/** Splits the header from the body; both are views on `bytes`, not copies. */
export function splitSingleObject(bytes: Uint8Array): SingleObject {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < HEADER_LENGTH) {
    throw new SingleObjectFormatError(
      `too short for Avro single-object encoding: ${buffer.length} bytes, the header alone is ${HEADER_LENGTH}`,
    );
  }
  if (buffer[0] !== SINGLE_OBJECT_MARKER[0] || buffer[1] !== SINGLE_OBJECT_MARKER[1]) {
    throw new SingleObjectFormatError(
      `not Avro single-object encoding: expected marker c301, got ${buffer.subarray(0, 2).toString('hex')}`,
    );
  }
  return {
    fingerprint: buffer.subarray(SINGLE_OBJECT_MARKER.length, HEADER_LENGTH),
    body: buffer.subarray(HEADER_LENGTH),
  };
}

/** The Avro binary body without the 10-byte header (what the anchoring payload hash covers). */
export function avroBody(bytes: Uint8Array): Buffer {
  return splitSingleObject(bytes).body;
}

/** The writer schema's fingerprint as hex, in the byte order it has on the wire (little-endian). */
export function schemaFingerprintHex(bytes: Uint8Array): string {
  return splitSingleObject(bytes).fingerprint.toString('hex');
}

/**
 * The same fingerprint as the unsigned 64-bit number it is, in hex (big-endian, 16 digits): what Avro's own
 * tools print, e.g. Java's `String.format("%016x", SchemaNormalization.parsingFingerprint64(schema))`.
 */
export function schemaFingerprintBigEndianHex(bytes: Uint8Array): string {
  return Buffer.from(splitSingleObject(bytes).fingerprint).reverse().toString('hex');
}
