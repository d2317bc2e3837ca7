// The README's consumer example is this folder's third-party-consumer.example.ts, verbatim, and it decodes
// what the relay publishes — every event type, and records of older relays — from the .avsc files alone.
import { readFileSync } from 'node:fs';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../../events-schema/index.ts';
import { eventSamples } from '../../../events-schema/testing/event-samples.ts';
import writtenBefore from '../../../events-schema/testing/written-before.json' with { type: 'json' };
import { eventMessage, HEADERS, watermarkMessage, type OutgoingMessage } from './messages.ts';
import { decodeRecord, loadSchemas } from './third-party-consumer.example.ts';

const STORE = '11111111-1111-4111-8111-111111111111';
const schemas = loadSchemas(new URL('../../../events-schema/', import.meta.url).pathname);

/** What kafkajs hands a consumer: header values as Buffers. */
function delivered(message: OutgoingMessage, offset = 0): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, Buffer.from(value)]));
  return { key: message.key === null ? null : Buffer.from(message.key), value: message.value, headers, offset: String(offset), timestamp: '0', attributes: 0 };
}

function published(data: Uint8Array, type: string, lsn: number): OutgoingMessage {
  return eventMessage({ eventId: `e-${lsn}`, type, streamId: `s-${lsn}`, revision: 0, lsn, data, metadata: {}, recordedAt: new Date(0) }, STORE);
}

describe('the README consumer example', () => {
  it('is in the README verbatim', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./third-party-consumer.example.ts', import.meta.url), 'utf8');
    const block = /<!-- consumer-example:start -->\n```ts\n([\s\S]*?)```\n<!-- consumer-example:end -->/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('indexes every schema file by the fingerprint the relay puts in schema-fingerprint-crc64-be', () => {
    expect(schemas.size).toBe(writtenBefore.length);
    for (const { fingerprint } of writtenBefore) expect(schemas.has(Buffer.from(fingerprint, 'hex').reverse().toString('hex'))).toBe(true);
  });

  it.each(Object.values(eventSamples))('decodes $type as the platform does, with its headers', (event) => {
    const message = published(encodeEvent(event), event.type, 7);
    const record = decodeRecord(schemas, delivered(message))!;
    expect(record).toEqual({
      eventType: message.headers[HEADERS.eventType],
      eventId: 'e-7',
      streamId: 's-7',
      revision: 0,
      lsn: 7,
      storeId: STORE,
      data: event.data,
    });
  });

  it.each(writtenBefore)('decodes $schema bytes written before the schemas were annotated, as written', ({ written, decoded }) => {
    // An older relay's record: the bare event type, no schema-fingerprint-crc64-be.
    const message = published(Buffer.from(written, 'hex'), decoded.type, 1);
    message.headers[HEADERS.eventType] = decoded.type;
    delete message.headers[HEADERS.schemaFingerprintCrc64BigEndian];
    const record = decodeRecord(schemas, delivered(message))!;
    // The writer's shape: an older version lacks the fields its successor added (the platform fills their defaults).
    const platform = decodeEvent(Buffer.from(written, 'hex')).data as Record<string, unknown>;
    expect(record.data).toEqual(Object.fromEntries(Object.keys(record.data).map((field) => [field, platform[field]])));
    expect(Object.keys(record.data).length).toBeGreaterThan(0);
  });

  it('skips control records', () => {
    expect(decodeRecord(schemas, delivered(watermarkMessage(0, 9, STORE)))).toBeUndefined();
  });
});
