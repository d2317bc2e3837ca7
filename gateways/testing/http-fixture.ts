// An HTTP gateway over a fresh database on the real test PostgreSQL, driven with app.inject(). With
// `readSide`, the platform's projections run on the local bus and the query and admin routes are on; with
// `readSide: 'fed-elsewhere'` the routes are on but no worker runs here (the test feeds the read models,
// e.g. over Kafka).
// GET /metrics serves the platform's gauges over this database, as a platform process does.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildHttpApp, type HttpAppDependencies } from '../http/app.ts';
import { projections } from '../contexts/index.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { loadConfig } from '../../infra/config.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { readModelsOf } from '../composition/read-models.ts';
import { parkingOf, runProjection } from '../composition/read-side.ts';
import { createPlatformMetrics } from '../composition/platform-metrics.ts';
import { createTestDatabase } from '../../infra/testing/postgres.ts';

/** What the fixture's sign-in routes expect a message to name. */
export const TEST_AUTH = { domain: 'proofline.test:3000', chainId: 31337, sessionTtlMs: 60 * 60_000 } as const;

export type HttpFixture = { app: FastifyInstance; eventStore: EventStore; db: Database; close(): Promise<void> };

export type HttpFixtureOptions = Partial<HttpAppDependencies> & { readSide?: boolean | 'fed-elsewhere' };

export async function createHttpFixture(options: HttpFixtureOptions = {}): Promise<HttpFixture> {
  const { readSide, ...overrides } = options;
  const database = await createTestDatabase();
  const db = openDatabase(database.url);
  await migrate(db.knex, 'gateway', idempotencyMigrations);
  await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
  const eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  const workers = new AbortController();
  const running = readSide === true
    ? projections.map((projection) => runProjection(projection, { db, eventStore, logger: pino({ level: 'silent' }) }, workers.signal))
    : [];
  const metrics = overrides.metrics ? undefined : createPlatformMetrics({ db, eventStore, projections });
  const app = await buildHttpApp({
    eventStore,
    idempotency: new PostgresIdempotencyStore(db.pool),
    sessions: new PostgresSessionStore(db.pool),
    auth: TEST_AUTH,
    ...(readSide ? { readModels: readModelsOf(db), parking: parkingOf(db) } : {}),
    ...(metrics ? { metrics } : {}),
    ...overrides,
  });
  await app.ready();
  return {
    app,
    eventStore,
    db,
    async close() {
      await app.close();
      await metrics?.shutdown();
      workers.abort();
      await Promise.allSettled(running);
      await eventStore.close();
      await db.close();
      await database.drop();
    },
  };
}
