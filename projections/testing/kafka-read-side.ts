// A whole read side for one projection on real servers: a relay from the event store to Kafka topics of
// their own (3 partitions, so streams spread), and one projection worker consuming them.
import { createKafkaSource, createRelay, kafkaTopicsForEventTypes } from '../../infra/bus/kafka/index.ts';
import { runInBackground } from '../../infra/bus/kafka/test-support.ts';
import type { Database } from '../../infra/db/database.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { createProjectionWorker } from '../runtime/index.ts';

export type KafkaReadSide = {
  /** Topic prefix of this read side: its topics are `<prefix>.<context>.v1`. */
  prefix: string;
  /** Stops the worker, then the relay; rethrows the first failure of either. */
  stop(): Promise<void>;
};

export function startKafkaReadSide(options: { eventStore: EventStore; db: Database; projection: Projection; name: string }): KafkaReadSide {
  const { eventStore, db, projection, name } = options;
  const prefix = testTopicName(`${name}-e2e`);
  const brokers = testKafkaBrokers();
  const relay = createRelay({ eventStore, db, kafka: { brokers }, topicPrefix: prefix, partitions: 3, batchSize: 50 });
  const relaying = runInBackground((signal) => relay.run(signal));
  const source = createKafkaSource({
    brokers,
    groupId: testTopicName(`${name}-group`),
    storeId: () => eventStore.storeId(),
    topics: kafkaTopicsForEventTypes(projection.canHandle, prefix),
    maxWaitTimeInMs: 200,
    partitionsConsumedConcurrently: 3,
  });
  const projecting = runInBackground((signal) => createProjectionWorker({ db, projection, source }).run(signal));
  return {
    prefix,
    async stop() {
      const outcomes = await Promise.allSettled([projecting.stop(), relaying.stop()]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
