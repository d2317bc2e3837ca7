// Wires the platform from its configuration: stores, then the HTTP gateway. Stops in reverse order.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildHttpApp } from '../http/app.ts';
import type { Config } from '../../infra/config.ts';
import { migrate, openDatabase } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { startEmbeddedPostgres } from '../../infra/local/embedded-postgres.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';

export type Platform = { app: FastifyInstance; url: string; stop(): Promise<void> };

export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  const stack: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  const stop = async () => {
    for (const { name, stop: stopOne } of stack.reverse()) {
      try {
        await stopOne();
      } catch (error) {
        logger.error({ err: error, component: name }, 'failed to stop cleanly');
      }
    }
    stack.length = 0;
  };

  try {
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
    await migrate(db.knex, 'gateway', idempotencyMigrations);

    const eventStore = await openEventStore(config, db);
    stack.push({ name: 'event-store', stop: () => eventStore.close() });

    const app = await buildHttpApp({
      eventStore,
      idempotency: new PostgresIdempotencyStore(db.pool),
      readinessChecks: { database: async () => void (await db.pool.query('select 1')) },
      logger,
    });
    stack.push({ name: 'http', stop: () => app.close() });
    const url = await app.listen({ port: config.port, host: config.host });
    return { app, url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
