import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import {
  decodeEvent,
  decodeWatermarkRecord,
  encodeEvent,
  PROGRESS_RECORD_SCHEMA,
  fingerprint64,
  schemaFingerprintHex,
  WATERMARK_RECORD_SCHEMA,
  type VoteCast,
} from '../../../events-schema/index.ts';
import writtenBefore from '../../../events-schema/testing/written-before.json' with { type: 'json' };
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { decodeMessage, decodeProgressMessage, eventMessage, HEADERS, progressMessage, watermarkMessage, type IncomingMessage, type OutgoingMessage } from './messages.ts';

const STORE = '11111111-1111-4111-8111-111111111111';
const vote: VoteCast = {
  type: 'VoteCast',
  data: { decisionId: randomUUID(), voterId: 'voter-1', option: 'yes', voterClass: 'expert', weight: 3, castAt: 1_700_000_000_000 },
};

function recorded(overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  return {
    eventId: randomUUID(),
    type: vote.type,
    streamId: `decision-${vote.data.decisionId}`,
    revision: 4,
    lsn: 42,
    data: encodeEvent(vote),
    metadata: { correlationId: 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=x' },
    recordedAt: new Date('2025-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

/** What kafkajs hands a consumer: header values as Buffers. */
function delivered(message: OutgoingMessage, offset = '7'): IncomingMessage {
  return {
    offset,
    timestamp: message.timestamp ?? '0',
    value: message.value,
    headers: Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, Buffer.from(value)])),
  };
}

describe('Kafka event messages', () => {
  it('are keyed by stream id, carry the single-object bytes as they are, and every header of invariant 3', () => {
    const event = recorded();
    const message = eventMessage(event, STORE);
    expect(message.key).toBe(event.streamId);
    expect(message.value.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(decodeEvent(message.value)).toEqual(vote);
    expect(message.timestamp).toBe(String(event.recordedAt.getTime()));
    expect(message.headers).toMatchObject({
      [HEADERS.storeId]: STORE,
      [HEADERS.eventId]: event.eventId,
      [HEADERS.eventType]: 'proofline.governance.VoteCast.v1',
      [HEADERS.schemaFingerprint]: schemaFingerprintHex(event.data),
      [HEADERS.streamId]: event.streamId,
      [HEADERS.revision]: '4',
      [HEADERS.lsn]: '42',
      [HEADERS.contentType]: 'avro/binary',
      [HEADERS.traceparent]: event.metadata.traceparent,
      [HEADERS.tracestate]: 'vendor=x',
    });
    expect(message.headers[HEADERS.schemaFingerprint]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('carry the fingerprint both ways: as the wire bytes, and as the number Avro prints (the bytes reversed)', () => {
    const headers = eventMessage(recorded(), STORE).headers;
    // VoteCast v1's CRC-64-AVRO as Java's SchemaNormalization.parsingFingerprint64 gives it (fingerprint.unit.spec.ts).
    expect(headers[HEADERS.schemaFingerprintCrc64BigEndian]).toBe('91839990baefaef5');
    expect(headers[HEADERS.schemaFingerprint]).toBe('f5aeefba90998391');
    expect(Buffer.from(headers[HEADERS.schemaFingerprintCrc64BigEndian]!, 'hex').reverse().toString('hex')).toBe(headers[HEADERS.schemaFingerprint]);
  });

  it('name the version the event was written with, which is not always the latest', () => {
    const v1Bytes = Buffer.from(writtenBefore.find(({ schema }) => schema === 'governance/DecisionCreated.v1.avsc')!.written, 'hex');
    const message = eventMessage(recorded({ type: 'DecisionCreated', data: v1Bytes }), STORE);
    expect(message.headers[HEADERS.eventType]).toBe('proofline.governance.DecisionCreated.v1');
    expect(decodeMessage(delivered(message))).toMatchObject({ kind: 'event', event: { type: 'DecisionCreated' } });
  });

  it('leave out trace headers the event does not have', () => {
    const message = eventMessage(recorded({ metadata: { actor: 'a' } }), STORE);
    expect(message.headers).not.toHaveProperty(HEADERS.traceparent);
    expect(message.headers).not.toHaveProperty(HEADERS.tracestate);
  });

  it('decode back into the recorded event', () => {
    const event = recorded();
    const decoded = decodeMessage(delivered(eventMessage(event, STORE)));
    expect(decoded).toEqual({ kind: 'event', storeId: STORE, watermarkLsn: 42, event: { ...event, data: new Uint8Array(event.data) } });
  });

  it('carry, when they end a partition’s share of a batch, the batch’s last LSN as the partition’s progress', () => {
    const message = eventMessage(recorded(), STORE, 50);
    expect(message.headers[HEADERS.watermarkLsn]).toBe('50');
    expect(decodeMessage(delivered(message))).toMatchObject({ kind: 'event', watermarkLsn: 50, event: { lsn: 42 } });
    expect(eventMessage(recorded(), STORE, 42).headers).not.toHaveProperty(HEADERS.watermarkLsn); // its own LSN says it
  });

  it('never claim less progress than their own LSN, whatever the header says', () => {
    const message = delivered(eventMessage(recorded(), STORE));
    for (const header of ['7', 'x', '-1']) {
      expect(decodeMessage({ ...message, headers: { ...message.headers, [HEADERS.watermarkLsn]: header } })).toMatchObject({ watermarkLsn: 42 });
    }
  });

  it('of a relay that wrote the bare event type still decode into the recorded event', () => {
    const event = recorded();
    const message = eventMessage(event, STORE);
    const legacy: Record<string, string> = { ...message.headers, [HEADERS.eventType]: 'VoteCast' };
    delete legacy[HEADERS.schemaFingerprintCrc64BigEndian];
    const decoded = decodeMessage(delivered({ ...message, headers: legacy }));
    expect(decoded).toEqual({ kind: 'event', storeId: STORE, watermarkLsn: 42, event: { ...event, data: new Uint8Array(event.data) } });
  });
});

describe('watermark messages', () => {
  it('go to an explicit partition with a fixed key, the control header, and an Avro ProoflineWatermark as value', () => {
    const message = watermarkMessage(2, 99, STORE);
    expect(message).toMatchObject({
      key: 'proofline.watermark',
      partition: 2,
      headers: { 'proofline-control': 'watermark', lsn: '99', 'store-id': STORE, 'content-type': 'avro/binary' },
    });
    expect(decodeMessage(delivered(message))).toEqual({ kind: 'watermark', lsn: 99, storeId: STORE });
  });

  it('have a value any Avro consumer decodes with the published schema (single-object encoding)', () => {
    const { value } = watermarkMessage(2, 99, STORE);
    expect(value.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(value.subarray(2, 10)).toEqual(fingerprint64(WATERMARK_RECORD_SCHEMA));
    expect(avro.Type.forSchema(WATERMARK_RECORD_SCHEMA as unknown as avro.Schema).fromBuffer(value.subarray(10))).toMatchObject({ lsn: 99, storeId: STORE });
    expect(decodeWatermarkRecord(value)).toEqual({ lsn: 99, storeId: STORE });
    expect(decodeWatermarkRecord(encodeEvent(vote))).toBeUndefined(); // another schema
    expect(decodeWatermarkRecord(value.subarray(0, 11))).toBeUndefined(); // truncated
  });

  it('of older relays (no key, empty value) still decode', () => {
    const legacy = { offset: '1', timestamp: '0', value: Buffer.alloc(0), headers: { 'proofline-control': 'watermark', lsn: '99', 'store-id': STORE } };
    expect(decodeMessage(legacy)).toEqual({ kind: 'watermark', lsn: 99, storeId: STORE });
    expect(decodeMessage({ ...legacy, value: null })).toEqual({ kind: 'watermark', lsn: 99, storeId: STORE });
  });

  it('of a relay that predates store ids decode with no store id', () => {
    const { [HEADERS.storeId]: _dropped, ...legacy } = watermarkMessage(2, 99, STORE).headers;
    expect(decodeMessage({ offset: '1', timestamp: '0', value: Buffer.alloc(0), headers: legacy })).toEqual({ kind: 'watermark', lsn: 99, storeId: undefined });
  });
});

describe('progress records', () => {
  const record = {
    storeId: STORE,
    lsn: 1234,
    partitions: [
      { topic: 'proofline.governance.v1', partition: 0, endOffset: 17n },
      { topic: 'proofline.crawl.v1', partition: 2, endOffset: 0n },
    ],
  };

  it('are keyed by store id, marked as control records and decode back', () => {
    const message = progressMessage(record);
    expect(message.key).toBe(STORE);
    expect(message.headers).toEqual({ 'proofline-control': 'progress', lsn: '1234', 'store-id': STORE, 'content-type': 'avro/binary' });
    expect(decodeProgressMessage(delivered(message))).toEqual({ kind: 'progress', record });
  });

  it('have a value any Avro consumer decodes with the published schema', () => {
    const { value } = progressMessage(record);
    expect(value.subarray(2, 10)).toEqual(fingerprint64(PROGRESS_RECORD_SCHEMA));
    expect(avro.Type.forSchema(PROGRESS_RECORD_SCHEMA as unknown as avro.Schema).fromBuffer(value.subarray(10))).toMatchObject({
      storeId: STORE,
      lsn: 1234,
      partitions: [{ topic: 'proofline.governance.v1', partition: 0, endOffset: 17 }, { endOffset: 0 }],
    });
  });

  it('refuse anything else: an event, a watermark, a broken value', () => {
    expect(decodeProgressMessage(delivered(eventMessage(recorded(), STORE)))).toMatchObject({ kind: 'unknown' });
    expect(decodeProgressMessage(delivered(watermarkMessage(0, 5, STORE)))).toMatchObject({ kind: 'unknown' });
    const broken = progressMessage(record);
    expect(decodeProgressMessage(delivered({ ...broken, value: broken.value.subarray(0, 12) }))).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('ProoflineProgress') });
  });
});

describe('foreign messages', () => {
  it('are reported as unknown, not guessed at', () => {
    expect(decodeMessage({ offset: '0', timestamp: '0', value: Buffer.from('hello') })).toMatchObject({ kind: 'unknown' });
    expect(decodeMessage({ offset: '0', timestamp: '0', value: null, headers: { 'proofline-control': Buffer.from('pause') } })).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('pause'),
    });
    expect(decodeMessage({ offset: '0', timestamp: '0', value: null, headers: { 'proofline-control': 'watermark', lsn: 'x' } })).toMatchObject({
      kind: 'unknown',
    });
  });
});
