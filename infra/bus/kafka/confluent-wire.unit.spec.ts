import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { avroBody, decodeEvent, encodeEvent, schemaFingerprintHex, splitSingleObject, type VoteCast } from '../../../events-schema/index.ts';
import {
  ConfluentFormatError,
  confluentToSingleObject,
  encodeConfluent,
  isConfluentFramed,
  singleObjectToConfluent,
  splitConfluent,
} from './confluent-wire.ts';
import { decodeMessage, eventMessage, HEADERS, type IncomingMessage } from './messages.ts';

const vote: VoteCast = {
  type: 'VoteCast',
  data: { decisionId: randomUUID(), voterId: 'voter-1', option: 'yes', voterClass: 'citizen', weight: 1, castAt: 1_700_000_000_000 },
};

describe('the Confluent wire format', () => {
  it('is a zero magic byte, the id as 4 bytes big-endian, then the body', () => {
    const framed = encodeConfluent(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect(framed).toEqual(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb]));
    expect(splitConfluent(framed)).toEqual({ schemaId: 0x01020304, body: Buffer.from([0xaa, 0xbb]) });
    expect(isConfluentFramed(framed)).toBe(true);
  });

  it('refuses ids outside int32, values too short and other magic bytes', () => {
    expect(() => encodeConfluent(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => encodeConfluent(2 ** 31, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => splitConfluent(Buffer.from([0, 0, 0]))).toThrow(ConfluentFormatError);
    expect(() => splitConfluent(encodeEvent(vote))).toThrow(/magic byte c3/);
    expect(isConfluentFramed(encodeEvent(vote))).toBe(false);
    expect(isConfluentFramed(Buffer.alloc(0))).toBe(false);
  });

  it('carries the same Avro body as single-object encoding, and converts back to the same bytes', () => {
    const stored = encodeEvent(vote);
    const fingerprintHex = schemaFingerprintHex(stored);
    const framed = singleObjectToConfluent(stored, (hex) => (hex === fingerprintHex ? 42 : undefined));
    expect(splitConfluent(framed)).toEqual({ schemaId: 42, body: avroBody(stored) });
    const back = confluentToSingleObject(framed, splitSingleObject(stored).fingerprint);
    expect(back).toEqual(stored);
    expect(decodeEvent(back)).toEqual(vote);
  });

  it('will not frame an event whose schema has no registry id', () => {
    expect(() => singleObjectToConfluent(encodeEvent(vote), () => undefined)).toThrow(/has no registry id/);
  });

  it('makes an event message whose headers are those of single-object values; unresolved, it is no event', () => {
    const event = {
      eventId: randomUUID(),
      type: vote.type,
      streamId: `decision-${vote.data.decisionId}`,
      revision: 0,
      lsn: 5,
      data: encodeEvent(vote),
      metadata: {},
      recordedAt: new Date(0),
    };
    const plain = eventMessage(event, 'store');
    const framed = eventMessage(event, 'store', undefined, (data) => singleObjectToConfluent(data, () => 7));
    expect(framed.headers).toEqual(plain.headers);
    expect(framed.headers[HEADERS.schemaFingerprint]).toBe(schemaFingerprintHex(event.data));
    expect(splitConfluent(framed.value).schemaId).toBe(7);
    const incoming: IncomingMessage = { offset: '0', timestamp: '0', value: framed.value, headers: framed.headers };
    expect(decodeMessage(incoming)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/schema id was not resolved/) });
  });
});
