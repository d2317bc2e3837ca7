// Proofline's topics read by a Java consumer that knows nothing of Proofline's code: kafka-clients and
// Apicurio Registry's stock AvroKafkaDeserializer, configured only through its documented properties
// (java-consumer/ProoflineTopicsReader.java), on real servers (PostgreSQL, Kafka, Apicurio Registry). One event
// of every type is published by a relay writing the Confluent wire format; every record the Java reader
// decodes must be, field by field, the data of the log as /v1/log serves it (readAll + decodeEvent), under
// its stream id as key. Without java or mvn the spec is skipped, except under CI=true where it fails (.ci/run
// resolves the reader's jars first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextOf, decodeEvent, eventTypeOfHeader, eventTypes } from '../../../events-schema/index.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { testSchemaRegistryUrl } from '../../testing/schema-registry.ts';
import { apicurioV2Url, missingJavaConsumerTools, readTopicsWithJava, resolveJavaConsumerClasspath } from './java-consumer/java-consumer.ts';
import { createSchemaRegistryClient } from './schema-registry.ts';
import { openStoreFixture, publishLogOnce, type StoreFixture } from './test-support.ts';
import { allKafkaTopics } from './topics.ts';

const inCi = process.env.CI === 'true';
const missing = missingJavaConsumerTools();
if (missing.length > 0 && !inCi) process.stderr.write(`proofline: the Java consumer spec is skipped: ${missing.join(' and ')} not found (install a JDK 17+ and Maven)\n`);

/** avsc hands out instances of generated record classes; compare plain data. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.skipIf(missing.length > 0 && !inCi)("Proofline's topics read by a Java consumer with Apicurio's Avro serde", () => {
  let fixture: StoreFixture;
  /** What /v1/log gives for each event: its type, stream and decoded data, by event id. */
  let logged: Map<string, { type: string; streamId: string; data: unknown }>;
  let prefix: string;

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`${missing.join(' and ')} not found: the Java consumer spec needs a JDK 17+ and Maven`);
    // Resolved first and on its own: a Maven problem shows as such, not as a slow read.
    await resolveJavaConsumerClasspath();
    fixture = await openStoreFixture();
    const log = await fixture.appendEveryEventType();
    logged = new Map(log.map((recorded) => [recorded.eventId, { type: recorded.type, streamId: recorded.streamId, data: plain(decodeEvent(recorded.data).data) }]));
    expect(new Set(log.map(({ type }) => type))).toEqual(new Set(eventTypes()));

    prefix = testTopicName('values-java');
    await publishLogOnce(fixture, { topicPrefix: prefix, partitions: 2, valueFormat: 'confluent', schemaRegistry: createSchemaRegistryClient(testSchemaRegistryUrl()) });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('decodes every event record, by the registry id in it, into the logged data under its stream id', async () => {
    const records = await readTopicsWithJava({ brokers: testKafkaBrokers(), registryV2Url: apicurioV2Url(testSchemaRegistryUrl()), topics: allKafkaTopics(prefix) });
    expect(records).toHaveLength(logged.size);
    expect(new Set(records.map((record) => record.eventId))).toEqual(new Set(logged.keys()));
    for (const record of records) {
      const expected = logged.get(record.eventId!)!;
      expect(eventTypeOfHeader(record.eventType!), record.eventId!).toBe(expected.type);
      expect(record.writerSchema, expected.type).toBe(`proofline.${contextOf(expected.type)}.${expected.type}`);
      expect(record.key, expected.type).toBe(expected.streamId);
      expect(record.value, expected.type).toEqual(expected.data);
    }
    expect(new Set(records.map((record) => eventTypeOfHeader(record.eventType!)))).toEqual(new Set(eventTypes()));
  });
});
