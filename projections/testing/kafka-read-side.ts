// A whole read side for one projection on real servers: a relay from the event store to Kafka topics of
// their own (3 partitions, so streams spread), and one projection worker consuming them.
import { createKafkaSource, createRelay, createSchemaRegistryClient, kafkaTopicsForEventTypes, registerEventSchemas } from '../../infra/bus/kafka/index.ts';
import { runInBackground } from '../../infra/bus/kafka/test-support.ts';
import type { Database } from '../../infra/db/database.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import { testSchemaRegistryUrl } from '../../infra/testing/schema-registry.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { createProjectionWorker } from '../runtime/index.ts';

export type KafkaReadSide = {
  /** Topic prefix of this read side: its topics are `<prefix>.<context>.v1`. */
  prefix: string;
  /**
   * Resolves once the relay may publish: at once for single-object values; for Confluent ones, once every
   * schema is registered (seconds on a fresh registry, longer than a query waits for its read model).
   */
  ready: Promise<void>;
  /** Stops the worker, then the relay; rethrows the first failure of either. */
  stop(): Promise<void>;
};

/**
 * `valueFormat` 'confluent': the relay registers the schemas with the test registry and writes the Confluent
 * wire format; the worker resolves the ids through the same registry.
 */
export function startKafkaReadSide(options: {
  eventStore: EventStore;
  db: Database;
  projection: Projection;
  name: string;
  valueFormat?: 'single-object' | 'confluent';
}): KafkaReadSide {
  const { eventStore, db, projection, name } = options;
  const prefix = testTopicName(`${name}-e2e`);
  const brokers = testKafkaBrokers();
  const schemaRegistry = options.valueFormat === 'confluent' ? createSchemaRegistryClient(testSchemaRegistryUrl()) : undefined;
  const relay = createRelay({ eventStore, db, kafka: { brokers }, topicPrefix: prefix, partitions: 3, batchSize: 50, schemaRegistry, valueFormat: options.valueFormat });
  const ready = schemaRegistry ? registerEventSchemas(schemaRegistry, prefix).then(() => undefined) : Promise.resolve();
  const relaying = runInBackground(async (signal) => {
    await ready;
    await relay.run(signal);
  });
  const source = createKafkaSource({
    brokers,
    groupId: testTopicName(`${name}-group`),
    storeId: () => eventStore.storeId(),
    topics: kafkaTopicsForEventTypes(projection.canHandle, prefix),
    maxWaitTimeInMs: 200,
    partitionsConsumedConcurrently: 3,
    schemaRegistry,
  });
  const projecting = runInBackground((signal) => createProjectionWorker({ db, projection, source }).run(signal));
  return {
    prefix,
    ready,
    async stop() {
      const outcomes = await Promise.allSettled([projecting.stop(), relaying.stop()]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
