import { describe, expect, it } from 'vitest';
import {
  avroBody,
  encodeSingleObject,
  HEADER_LENGTH,
  schemaFingerprintHex,
  SingleObjectFormatError,
  splitSingleObject,
} from './avro/single-object.ts';

const fingerprint = Buffer.from('0102030405060708', 'hex');
const body = Buffer.from([0x0a, 0x0b, 0x0c]);

describe('Avro single-object encoding', () => {
  it('is C3 01, the 8-byte fingerprint, then the body', () => {
    const bytes = encodeSingleObject(fingerprint, body);
    expect(bytes.toString('hex')).toBe('c301' + '0102030405060708' + '0a0b0c');
    expect(HEADER_LENGTH).toBe(10);
  });

  it('splits back into fingerprint and body', () => {
    const bytes = encodeSingleObject(fingerprint, body);
    expect(splitSingleObject(bytes)).toEqual({ fingerprint, body });
    expect(avroBody(bytes)).toEqual(body);
    expect(schemaFingerprintHex(bytes)).toBe('0102030405060708');
  });

  it('accepts an empty body (a record with no fields) and views into a larger buffer', () => {
    const bytes = encodeSingleObject(fingerprint, Buffer.alloc(0));
    expect(avroBody(bytes)).toHaveLength(0);
    const inside = new Uint8Array([0xff, ...bytes, 0xff]).subarray(1, 1 + bytes.length);
    expect(schemaFingerprintHex(inside)).toBe('0102030405060708');
  });

  it('rejects a wrong marker', () => {
    const bytes = encodeSingleObject(fingerprint, body);
    bytes[1] = 0x02;
    expect(() => splitSingleObject(bytes)).toThrow(SingleObjectFormatError);
    expect(() => splitSingleObject(bytes)).toThrow(/expected marker c301, got c302/);
  });

  it('rejects input shorter than the header', () => {
    expect(() => splitSingleObject(Buffer.from('c3010102', 'hex'))).toThrow(SingleObjectFormatError);
    expect(() => avroBody(new Uint8Array())).toThrow(/too short.*0 bytes/);
  });

  it('refuses a fingerprint that is not 8 bytes', () => {
    expect(() => encodeSingleObject(Buffer.alloc(4), body)).toThrow(RangeError);
  });
});
