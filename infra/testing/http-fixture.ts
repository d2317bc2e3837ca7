// An HTTP gateway over a fresh database on the real test PostgreSQL, driven with app.inject().
import type { FastifyInstance } from 'fastify';
import { buildHttpApp, type HttpAppDependencies } from '../../gateways/http/app.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { loadConfig } from '../config.ts';
import { migrate, openDatabase, type Database } from '../db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../db/postgres-idempotency-store.ts';
import { openEventStore } from '../eventstore/open-event-store.ts';
import { createTestDatabase } from './postgres.ts';

export type HttpFixture = { app: FastifyInstance; eventStore: EventStore; db: Database; close(): Promise<void> };

export async function createHttpFixture(overrides: Partial<HttpAppDependencies> = {}): Promise<HttpFixture> {
  const database = await createTestDatabase();
  const db = openDatabase(database.url);
  await migrate(db.knex, 'gateway', idempotencyMigrations);
  const eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  const app = await buildHttpApp({ eventStore, idempotency: new PostgresIdempotencyStore(db.pool), ...overrides });
  await app.ready();
  return {
    app,
    eventStore,
    db,
    async close() {
      await app.close();
      await eventStore.close();
      await db.close();
      await database.drop();
    },
  };
}
