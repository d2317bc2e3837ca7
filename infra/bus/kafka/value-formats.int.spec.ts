// Both record value formats, read by tools that know nothing of Proofline's code, on real servers (PostgreSQL,
// Kafka, a schema registry). One event of every type is published twice: by a relay writing the Confluent wire
// format, decoded with @kafkajs/confluent-schema-registry (the id → the registry's schema), and by a relay
// writing single-object encoding, decoded with avsc from the .avsc files alone. Both must give, field by field,
// the data of the log as /v1/log serves it (readAll + decodeEvent).
import { readdirSync, readFileSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, eventTypeOfHeader, eventTypes, fingerprint64 } from '../../../events-schema/index.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { testSchemaRegistryUrl } from '../../testing/schema-registry.ts';
import { splitConfluent } from './confluent-wire.ts';
import { HEADERS } from './messages.ts';
import { createSchemaRegistryClient } from './schema-registry.ts';
import { openStoreFixture, publishLogOnce, readTopics, type StoreFixture, type TopicMessage } from './test-support.ts';
import { allKafkaTopics } from './topics.ts';

/** Every .avsc file under events-schema/, by the CRC-64-AVRO fingerprint single-object encoding names it with. */
function schemasOnDisk(): Map<string, avro.Type> {
  const root = new URL('../../../events-schema/', import.meta.url);
  const byFingerprint = new Map<string, avro.Type>();
  for (const folder of readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    for (const file of readdirSync(new URL(`${folder.name}/`, root)).filter((name) => name.endsWith('.avsc'))) {
      const schema = JSON.parse(readFileSync(new URL(`${folder.name}/${file}`, root), 'utf8')) as avro.Schema;
      byFingerprint.set(fingerprint64(schema).toString('hex'), avro.Type.forSchema(schema));
    }
  }
  return byFingerprint;
}

/** avsc hands out instances of generated record classes; compare plain data. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('record values in both formats, read with stock Avro tools', () => {
  let fixture: StoreFixture;
  /** What /v1/log gives for each event: its type and decoded data, by event id. */
  let logged: Map<string, { type: string; data: unknown }>;

  beforeAll(async () => {
    fixture = await openStoreFixture();
    const log = await fixture.appendEveryEventType();
    logged = new Map(log.map((recorded) => [recorded.eventId, { type: recorded.type, data: plain(decodeEvent(recorded.data).data) }]));
    expect(new Set(log.map(({ type }) => type))).toEqual(new Set(eventTypes()));
  });
  afterAll(async () => {
    await fixture?.close();
  });

  /** Publishes the whole log with a relay of its own topic prefix; returns the event records it wrote. */
  async function publishAll(valueFormat: 'single-object' | 'confluent'): Promise<TopicMessage[]> {
    const prefix = testTopicName(`values-${valueFormat}`);
    await publishLogOnce(fixture, { topicPrefix: prefix, partitions: 2, valueFormat, schemaRegistry: createSchemaRegistryClient(testSchemaRegistryUrl()) });
    const records = await readTopics(testKafkaBrokers(), allKafkaTopics(prefix));
    return records.filter((record) => record.headers[HEADERS.control] === undefined);
  }

  it('confluent: 00 + registry id + body, decoded by @kafkajs/confluent-schema-registry into the logged data', async () => {
    const records = await publishAll('confluent');
    expect(records).toHaveLength(logged.size);
    const registry = new SchemaRegistry({ host: testSchemaRegistryUrl() });
    for (const record of records) {
      const eventId = record.headers[HEADERS.eventId]!;
      const expected = logged.get(eventId)!;
      expect(record.value![0], expected.type).toBe(0x00);
      expect(splitConfluent(record.value!).schemaId).toBeGreaterThanOrEqual(0);
      expect(record.headers[HEADERS.eventType]).toMatch(/^proofline\.[a-z]+\.[A-Za-z]+\.v\d+$/); // the writer schema's full name and version
      expect(eventTypeOfHeader(record.headers[HEADERS.eventType]!)).toBe(expected.type);
      expect(plain(await registry.decode(record.value!)), expected.type).toEqual(expected.data);
    }
  });

  it('single-object: C3 01 + fingerprint + body, decoded with avsc and the .avsc files alone into the logged data', async () => {
    const records = await publishAll('single-object');
    expect(records).toHaveLength(logged.size);
    const schemas = schemasOnDisk();
    for (const record of records) {
      const expected = logged.get(record.headers[HEADERS.eventId]!)!;
      const value = record.value!;
      expect([...value.subarray(0, 2)], expected.type).toEqual([0xc3, 0x01]);
      const writer = schemas.get(value.subarray(2, 10).toString('hex'));
      expect(writer, `${expected.type}: a schema file with the record's fingerprint`).toBeDefined();
      expect(plain(writer!.fromBuffer(value.subarray(10))), expected.type).toEqual(expected.data);
    }
  });
});
