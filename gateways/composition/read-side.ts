// The read side as the gateway sees it (parked events) and as the platform runs it (projection workers fed
// by Kafka or by the local bus, traced through the telemetry adapter). Composition: it joins the bus, db and
// telemetry adapters to the projections, so it lives here, not in infra/.
import type { Logger } from 'pino';
import type { ParkingAdmin } from '../../ports/read-models.ts';
import { projections } from '../contexts/index.ts';
import type { Projection } from '../../projections/projection.ts';
import { createProjectionWorker, listParked, retryParkedStream } from '../../projections/runtime/index.ts';
import type { ProjectionSource } from '../../ports/projection-source.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { createKafkaSource, createSchemaRegistryClient, kafkaTopicsForEventTypes } from '../../infra/bus/kafka/index.ts';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import type { Config } from '../../infra/config.ts';
import type { Database } from '../../infra/db/database.ts';
import { projectionTracing } from '../../infra/telemetry/projection-tracing.ts';

export function parkingOf(db: Database, logger?: Logger): ParkingAdmin {
  return {
    projections: projections.map((projection) => projection.name),
    list: () => listParked(db, projections),
    retry: (name, streamId) => retryParkedStream(db, projections.find((p) => p.name === name)!, streamId, logger ? { logger } : {}),
  };
}

/** Kafka when brokers are configured (consumer group `proofline.<name>`), else the local bus tailing the store. */
export type ReadSideDeps = { db: Database; eventStore: EventStore; kafka?: KafkaSettings | undefined; logger: Logger };
export type KafkaSettings = Pick<Config, 'kafkaTopicPrefix' | 'kafkaSessionTimeoutMs' | 'kafkaPartitions'> &
  Partial<Pick<Config, 'schemaRegistryUrl'>> & { kafkaBrokers: string[] };

export function projectionSource(projection: Projection, options: Omit<ReadSideDeps, 'db'>): ProjectionSource {
  if (!options.kafka) return createLocalSource(options.eventStore);
  const { kafkaBrokers, kafkaTopicPrefix, kafkaSessionTimeoutMs, kafkaPartitions, schemaRegistryUrl } = options.kafka;
  return createKafkaSource({
    brokers: kafkaBrokers,
    groupId: `${kafkaTopicPrefix}.${projection.name}`,
    storeId: () => options.eventStore.storeId(),
    topics: kafkaTopicsForEventTypes(projection.canHandle, kafkaTopicPrefix),
    sessionTimeout: kafkaSessionTimeoutMs,
    // A read model is only as fresh as its slowest partition: handle them side by side (each one's
    // batches still in order), and don't let a fetch idle long on a quiet partition.
    partitionsConsumedConcurrently: kafkaPartitions,
    maxWaitTimeInMs: 200,
    // Records in the Confluent wire format (KAFKA_VALUE_FORMAT=confluent) name their schema by registry id.
    ...(schemaRegistryUrl ? { schemaRegistry: createSchemaRegistryClient(schemaRegistryUrl) } : {}),
    logger: options.logger.child({ component: 'kafka-source', projection: projection.name }),
  });
}

/** Runs a projection worker until the signal aborts. */
export function runProjection(projection: Projection, deps: ReadSideDeps, signal: AbortSignal) {
  const source = projectionSource(projection, { eventStore: deps.eventStore, kafka: deps.kafka, logger: deps.logger });
  // The worker adds the projection's name to its logger.
  const logger = deps.logger.child({ component: 'projection' });
  return createProjectionWorker({ db: deps.db, projection, source, eventStore: deps.eventStore, logger, tracer: projectionTracing }).run(signal);
}
