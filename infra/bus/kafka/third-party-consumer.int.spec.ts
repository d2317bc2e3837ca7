// The README's consumer example (third-party-consumer.example.ts, kept equal to the README by its unit spec)
// against a real broker: the relay publishes one event of every type, and the example — which knows only
// kafkajs, avsc and the .avsc files — must hand back each of them as the store holds it.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, qualifiedEventType, writerSchemaOf } from '../../../events-schema/index.ts';
import { eventSamples } from '../../../events-schema/testing/event-samples.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { createRelay } from './relay.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { openStoreFixture, runInBackground, type StoreFixture } from './test-support.ts';
import { consumeProofline, type ProoflineRecord } from './third-party-consumer.example.ts';
import { allKafkaTopics } from './topics.ts';

describe('a third-party consumer (the README example)', () => {
  let fixture: StoreFixture;
  const stops: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    fixture = await openStoreFixture();
  });
  afterEach(async () => {
    await Promise.allSettled(stops.splice(0).map((stop) => stop()));
    await fixture.close();
  });

  it('decodes the relay records of every event type from the .avsc files alone, as the store holds them', async () => {
    for (const event of Object.values(eventSamples)) {
      await fixture.store.appendToStream(`sample-${event.type}`, [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: {} }]);
    }
    const log = await fixture.store.readAll({ fromLsn: 1 });
    const storeId = await fixture.store.storeId();
    const topicPrefix = testTopicName('third-party');
    const relay = runInBackground((signal) =>
      createRelay({ eventStore: fixture.store, db: fixture.db, kafka: { brokers: testKafkaBrokers(), clientId: 'relay-test' }, topicPrefix }).run(signal),
    );
    stops.push(() => relay.stop());
    // The consumer subscribes once the relay created the topics (a subscription could auto-create them first).
    await waitFor(async () => (await readRelayCheckpoint(fixture.db, topicPrefix)).lsn >= log.length, 30_000, () => 'relay checkpoint behind the log');

    const received: ProoflineRecord[] = [];
    const consumer = await consumeProofline({
      brokers: testKafkaBrokers(),
      topics: allKafkaTopics(topicPrefix),
      groupId: testTopicName('third-party-group'),
      schemaDir: new URL('../../../events-schema/', import.meta.url).pathname,
      onEvent: (record) => void received.push(record),
    });
    stops.push(() => consumer.disconnect());
    await waitFor(async () => received.length >= log.length, 60_000, () => `${received.length} of ${log.length} events received`);

    expect(received).toHaveLength(log.length);
    const byLsn = new Map(received.map((record) => [record.lsn, record]));
    for (const event of log) {
      expect(byLsn.get(event.lsn), event.type).toEqual({
        eventType: qualifiedEventType(writerSchemaOf(event.data)),
        eventId: event.eventId,
        streamId: event.streamId,
        revision: event.revision,
        lsn: event.lsn,
        storeId,
        data: decodeEvent(event.data).data,
      });
    }
    expect(new Set(received.map((record) => record.eventType.split('.').at(-2)))).toEqual(new Set(Object.keys(eventSamples)));
  });
});
