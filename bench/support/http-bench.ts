// The setup shared by the HTTP benches with one projection (bench:impact, bench:assets): a throw-away database
// with the gateway's, the sessions' and the event store's schemas and the projection's; the projection worker
// on the local bus in this process, its batches timed; a watermark poll on a pool of its own; and the real
// gateway (buildHttpApp with the read models, listening on a port). Every step is pushed on the run's cleanups.
// runBench is the entry files' `run`: main, a failure reported and exit code 1, unless a signal stopped it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ProoflineEvent } from '../../events-schema/index.ts';
import { readModelsOf } from '../../gateways/composition/read-models.ts';
import { runProjection } from '../../gateways/composition/read-side.ts';
import { buildHttpApp, DEFAULT_RATE_LIMITS, type RateLimits } from '../../gateways/http/app.ts';
import type { AuthSettings } from '../../gateways/http/routes/auth.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore, migrateEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { Projection } from '../../projections/projection.ts';
import { ensureProjectionSchema } from '../../projections/runtime/index.ts';
import { Cleanups } from './cleanups.ts';
import { BenchDatabases } from './databases.ts';
import { StatementTrace } from './statement-trace.ts';
import { timedProjection, type AppliedBatch } from './timed-projection.ts';
import { VisibilityTracker } from './visibility.ts';

export const CATCH_UP_TIMEOUT_MS = 300_000;
const BENCH_RATE_LIMITS: RateLimits = { ...DEFAULT_RATE_LIMITS, anonymousPerMinute: Number.MAX_SAFE_INTEGER };

export type HttpBench<G extends EventStore = EventStore> = {
  workDir: string;
  db: Database;
  /** The gateway's pool, traced. */
  statements: StatementTrace;
  store: EventStore;
  /** The event store the gateway was given. */
  gatewayStore: G;
  /** The projection's batches, as they were applied. */
  batches: AppliedBatch[];
  tracker: VisibilityTracker;
  /** The pool of the watermark poll. */
  trackerDb: Database;
  apiKeys: PostgresApiKeyStore;
  auth: AuthSettings;
  readModels: ReturnType<typeof readModelsOf>;
  url: string;
};

export async function startHttpBench<E extends ProoflineEvent, G extends EventStore = EventStore>(options: {
  /** In the work directory's name: proofline-bench-<name>-. */
  name: string;
  serverUrl: string;
  poolSize: number;
  projection: Projection<E>;
  /** The projection's name, whose checkpoint the tracker polls. */
  projectionName: string;
  cleanups: Cleanups;
  /** The event store the gateway is given (default: the store itself). */
  gatewayStore?: (store: EventStore) => G;
}): Promise<HttpBench<G>> {
  const { cleanups } = options;
  const workDir = await mkdtemp(path.join(tmpdir(), `proofline-bench-${options.name}-`));
  cleanups.push('work directory', () => rm(workDir, { recursive: true, force: true }));
  const databases = new BenchDatabases(options.serverUrl);
  cleanups.push('database', () => databases.dropAll());
  const database = await databases.create();
  const db = openDatabase(database.url, { poolSize: options.poolSize });
  cleanups.push('pool', () => db.close());
  const statements = new StatementTrace().attach(db.pool);
  await migrate(db.knex, 'gateway', idempotencyMigrations);
  await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
  await migrateEventStore(db);
  await ensureProjectionSchema(db, options.projection);
  const store = createPostgresEventStore(db);
  cleanups.push('event store', () => store.close());

  // The read side: the projection on the local bus, and this bench's watermark poll on a pool of its own.
  const workers = new AbortController();
  const batches: AppliedBatch[] = [];
  const worker = runProjection(timedProjection(options.projection, (batch) => batches.push(batch)) as Projection, { db, eventStore: store, logger: pino({ level: 'warn' }) }, workers.signal);
  cleanups.push('projection worker', async () => (workers.abort(), await worker));
  const trackerDb = openDatabase(database.url, { poolSize: 2 });
  cleanups.push('tracker pool', () => trackerDb.close());
  const tracker = new VisibilityTracker(trackerDb, options.projectionName);
  cleanups.push('tracker', () => tracker.stop());

  const apiKeys = new PostgresApiKeyStore(db.pool);
  // No wallet signs in through SIWE here (support/sessions.ts stores the sessions); the domain is only what a sign-in message would name.
  const auth: AuthSettings = { domain: '127.0.0.1', chainId: 31337, sessionTtlMs: 3_600_000, digestKey: randomBytes(32) };
  const readModels = readModelsOf(db);
  const gatewayStore = options.gatewayStore?.(store) ?? (store as EventStore as G);
  const gateway = await buildHttpApp({
    eventStore: gatewayStore,
    idempotency: new PostgresIdempotencyStore(db.pool),
    sessions: new PostgresSessionStore(db.pool),
    apiKeys,
    auth,
    rateLimits: BENCH_RATE_LIMITS,
    readModels,
  });
  cleanups.push('gateway', () => gateway.close());
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  return { workDir, db, statements, store, gatewayStore, batches, tracker, trackerDb, apiKeys, auth, readModels, url };
}

/**
 * Runs `main`; `begin` gives it this run's cleanups (set up then, run at the end of `main` whatever happens, and
 * on SIGINT/SIGTERM), so that what runs before it (the load generator's process) has none. A failure is
 * reported as `bench:<name> failed` with exit code 1, unless a signal stopped the run (then the failure of a
 * killed load generator is not worth reporting).
 */
export function runBench(name: string, main: (begin: () => Cleanups, log: (line: string) => void) => Promise<void>): void {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let running: Cleanups | undefined;
  const begin = () => {
    running = new Cleanups(log);
    running.onSignals('dropping the benchmark database');
    return running;
  };
  const body = async () => {
    try {
      await main(begin, log);
    } finally {
      await running?.run();
    }
  };
  body().catch((error: unknown) => {
    if (running?.interrupted) return;
    process.stderr.write(`bench:${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
