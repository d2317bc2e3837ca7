// Wires the platform's roles from its configuration: the stores first, then the HTTP gateway, the relay
// and projection workers asked for. Stops everything in reverse order.
import path from 'node:path';
import type { Logger } from 'pino';
import { buildHttpApp } from '../http/app.ts';
import { createRelay, migrateRelay, readRelayCheckpoint } from '../../infra/bus/kafka/index.ts';
import type { Config } from '../../infra/config.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { startEmbeddedPostgres } from '../../infra/local/embedded-postgres.ts';
import { parkingOf, readModelsOf, runProjection } from '../../infra/read-side.ts';
import type { Projection } from '../../projections/projection.ts';
import type { EventStore } from '../../ports/event-store.ts';

export type Roles = { gateway: boolean; relay: boolean; projections: readonly Projection[] };

export type Platform = {
  db: Database;
  eventStore: EventStore;
  /** The gateway's address, when it runs. */
  url?: string;
  /** Rejects as soon as a background role (relay, projection) fails for good. */
  failed: Promise<never>;
  stop(): Promise<void>;
};

type Stoppable = { name: string; stop: () => Promise<unknown> };

export async function startPlatform(config: Config, logger: Logger, roles: Roles): Promise<Platform> {
  const stack: Stoppable[] = [];
  const stop = async () => {
    for (const { name, stop: stopOne } of stack.splice(0).reverse()) {
      try {
        await stopOne();
      } catch (error) {
        logger.error({ err: error, component: name }, 'failed to stop cleanly');
      }
    }
  };

  try {
    const db = await openPlatformDatabase(config, logger, stack);
    const relayName = config.kafkaTopicPrefix;
    const resumeFrom = await relayOnlyResumePoint(config, db, roles, relayName);
    const eventStore = await openEventStore(config, db, resumeFrom ? { resumeFrom } : {});
    stack.push({ name: 'event-store', stop: () => eventStore.close() });

    let fail!: (error: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {}); // observed by the caller; never an unhandled rejection
    const background = (name: string, run: (signal: AbortSignal) => Promise<void>) => {
      const controller = new AbortController();
      const running = run(controller.signal).catch((error: unknown) => {
        if (controller.signal.aborted) return;
        logger.error({ err: error, component: name }, 'role failed');
        fail(error);
      });
      stack.push({ name, stop: async () => (controller.abort(), running) });
    };

    if (roles.relay) {
      if (!config.kafkaBrokers) throw new Error('the relay needs KAFKA_BROKERS');
      const relay = createRelay({
        eventStore,
        db,
        kafka: { brokers: config.kafkaBrokers },
        partitions: config.kafkaPartitions,
        topicPrefix: config.kafkaTopicPrefix,
        name: relayName,
        // A store that resumed its numbering from the checkpoint agrees with it by construction.
        verifyCheckpointMapping: resumeFrom === undefined,
        logger: logger.child({ component: 'relay' }),
      });
      background('relay', (signal) => relay.run(signal));
    }
    const kafka = config.kafkaBrokers ? { ...config, kafkaBrokers: config.kafkaBrokers } : undefined;
    for (const projection of roles.projections) {
      background(`projection ${projection.name}`, (signal) => runProjection(projection, { db, eventStore, kafka, logger }, signal));
    }

    let url: string | undefined;
    if (roles.gateway) {
      await migrate(db.knex, 'gateway', idempotencyMigrations);
      const app = await buildHttpApp({
        eventStore,
        idempotency: new PostgresIdempotencyStore(db.pool),
        readModels: readModelsOf(db),
        parking: parkingOf(db, logger),
        readinessChecks: { database: async () => void (await db.pool.query('select 1')) },
        logger,
      });
      stack.push({ name: 'http', stop: () => app.close() });
      url = await app.listen({ port: config.port, host: config.host });
    }
    return { db, eventStore, failed, stop, ...(url ? { url } : {}) };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A process that is only a relay on EventStoreDB reads nothing before its checkpoint, so the store may
 * number $all from the checkpoint's stored position rather than read all of $all on connect.
 */
async function relayOnlyResumePoint(config: Config, db: Database, roles: Roles, relayName: string) {
  if (!config.eventStoreUrl || !roles.relay || roles.gateway || roles.projections.length > 0) return undefined;
  await migrateRelay(db);
  const checkpoint = await readRelayCheckpoint(db, relayName);
  return checkpoint.logPosition === null ? undefined : { lsn: checkpoint.lsn, logPosition: checkpoint.logPosition };
}

/** DATABASE_URL, or an embedded PostgreSQL under PROOFLINE_DATA_DIR. */
async function openPlatformDatabase(config: Config, logger: Logger, stack: Stoppable[]): Promise<Database> {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = path.join(config.dataDir, 'postgres');
    const postgresLog = logger.child({ component: 'embedded-postgres' });
    const embedded = await startEmbeddedPostgres({ dataDir, onLog: (line) => postgresLog.debug(line) });
    stack.push({ name: 'embedded-postgres', stop: embedded.stop });
    databaseUrl = embedded.url;
    logger.info({ dataDir }, 'embedded PostgreSQL started');
  }
  const db = openDatabase(databaseUrl);
  stack.push({ name: 'database', stop: db.close });
  return db;
}
