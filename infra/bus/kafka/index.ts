// The Kafka bus: the relay (event store → Kafka) and the projection source (Kafka → projection runtime).
// kafkajs stays behind this folder; callers use these functions and the ports' types.
export { createRelay, RelayPoisonEventError, type Relay, type RelayOptions } from './relay.ts';
export { createKafkaSource, KafkaSourceError, type KafkaSourceOptions } from './kafka-source.ts';
export {
  migrateRelay,
  readRelayCheckpoint,
  readRelayCheckpoints,
  RelayCheckpointMismatchError,
  RelayCheckpointOfAnotherStoreError,
  relayMigrations,
  RELAY_MIGRATION_GROUP,
  type RelayCheckpoint,
} from './relay-checkpoint.ts';
export { allKafkaTopics, DEFAULT_TOPIC_PREFIX, kafkaTopic, kafkaTopicsForEventTypes, knownContexts } from './topics.ts';
export { HEADERS, WATERMARK_CONTROL } from './messages.ts';
export { TopicsOfAnotherStoreError, UsedTopicsError } from './topic-ownership.ts';
export type { KafkaConnection } from './client.ts';
export {
  createSchemaRegistryClient,
  registerEventSchemas,
  SchemaRegistryRefusedError,
  subjectName,
  type RegisteredSchema,
  type SchemaRegistryClient,
} from './schema-registry.ts';
