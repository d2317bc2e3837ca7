// Asset purchases per second over HTTP, with the assets read model kept current: the real gateway
// (buildHttpApp with the read models, listening on a port) on the PostgreSQL event store, the assets projection
// worker on the local bus in the same process (as `proofline start` runs it), signed-in wallets buying listed
// assets — each purchase the saga of commands/assets/asset-commands.ts (PurchaseStarted on the asset,
// PurchasePaid on the buyer's wallet, AssetSold on the asset, SaleProceedsReceived on each payee's wallet).
//
//   npm run bench:assets -- [--clients 64] [--wallets 1000] [--assets 1000] [--seconds 20] [--warmup 2]
//                           [--reprice-every 4] [--pool 20]
//
// Setup (through the gateway's routes, not timed; market.ts): --wallets wallets with sessions, each funded by a
// treasury key; --assets assets with 1–3 creators each, registered by a creator, listed at known prices,
// verified by a verifier key. Load (load-generator.ts, a child process): --clients closed-loop clients buying
// random listed assets as random wallets that own none of them; the new owner relists what it bought. The
// first --warmup s are not counted. Rate limits are the defaults, the anonymous one lifted as in bench:impact.
//
// Reported (report.ts): purchases/s = 201 answers in the window / the window; their p50/p99 latency; refusals by
// code; relists; the assets projection's lag when the last answer came (head LSN − checkpoint) and its catch-up;
// CPU of the gateway process, the load generator and the machine; the SQL statements of the gateway's pool per
// purchase. Verified (check.ts; exit code 1 on any problem) from the log read back from the store and the read
// model, after finishing any purchase a request left under way (settleCutOff; there should be none).
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL, else DATABASE_URL's server, else
// postgres://postgres@127.0.0.1:5432/postgres; dropped at the end, on failure and on Ctrl-C.
//
// Files: main.ts (this), options.ts, market.ts (setup), load-generator.ts, check.ts (verification), report.ts
// (what is printed).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { readModelsOf } from '../../gateways/composition/read-models.ts';
import { runProjection } from '../../gateways/composition/read-side.ts';
import { buildHttpApp, DEFAULT_RATE_LIMITS, type RateLimits } from '../../gateways/http/app.ts';
import { issueApiKey } from '../../gateways/http/credentials.ts';
import type { AuthSettings } from '../../gateways/http/routes/auth.ts';
import { migrate, openDatabase } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore, migrateEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { ASSETS_PROJECTION, assetsProjection } from '../../projections/assets/assets-projection.ts';
import type { Projection } from '../../projections/projection.ts';
import { ensureProjectionSchema } from '../../projections/runtime/index.ts';
import { Cleanups } from '../support/cleanups.ts';
import { CountingEventStore } from '../crawl/counting-store.ts';
import { CpuTimeline } from '../support/cpu.ts';
import { BenchDatabases } from '../support/databases.ts';
import { signInSubjects } from '../support/sessions.ts';
import { backendCoresBetween, sampleBackends } from '../support/postgres-cpu.ts';
import { StatementTrace } from '../support/statement-trace.ts';
import { timedProjection, type AppliedBatch } from '../support/timed-projection.ts';
import { VisibilityTracker } from '../support/visibility.ts';
import { settleCutOff, verify } from './check.ts';
import { runLoadGenerator, runLoadGeneratorProcess } from './load-generator.ts';
import { buildMarket } from './market.ts';
import { storeCalls, storeCallsDifference } from './store-calls.ts';
import { parseOptions } from './options.ts';
import { render, type ReadSide } from './report.ts';

const CATCH_UP_TIMEOUT_MS = 300_000;
const BENCH_RATE_LIMITS: RateLimits = { ...DEFAULT_RATE_LIMITS, anonymousPerMinute: Number.MAX_SAFE_INTEGER };

/** This run's cleanups: after a signal, the failure of a killed load generator is not reported. */
let running: Cleanups | undefined;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.loadSpec !== undefined) return runLoadGeneratorProcess(options.loadSpec);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cleanups = (running = new Cleanups(log));
  cleanups.onSignals('dropping the benchmark database');

  try {
    const workDir = await mkdtemp(path.join(tmpdir(), 'proofline-bench-assets-'));
    cleanups.push('work directory', () => rm(workDir, { recursive: true, force: true }));
    const databases = new BenchDatabases(options.serverUrl);
    cleanups.push('database', () => databases.dropAll());
    const database = await databases.create();
    const db = openDatabase(database.url, { poolSize: options.poolSize });
    cleanups.push('pool', () => db.close());
    const statements = new StatementTrace().attach(db.pool);
    // The projection's statements (and the read models'; nothing reads them during the load) go through knex.
    let knexStatements = 0;
    db.knex.on('query', () => (knexStatements += 1));
    await migrate(db.knex, 'gateway', idempotencyMigrations);
    await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
    await migrateEventStore(db);
    await ensureProjectionSchema(db, assetsProjection);
    const store = createPostgresEventStore(db);
    cleanups.push('event store', () => store.close());
    // What the gateway asks of the store, counted per stream (the projection reads the store itself).
    const counted = new CountingEventStore(store);

    // The read side: the assets projection on the local bus, and this bench's watermark poll on a pool of its own.
    const workers = new AbortController();
    const batches: AppliedBatch[] = [];
    const worker = runProjection(timedProjection(assetsProjection, (batch) => batches.push(batch)) as Projection, { db, eventStore: store, logger: pino({ level: 'warn' }) }, workers.signal);
    cleanups.push('projection worker', async () => (workers.abort(), await worker));
    const trackerDb = openDatabase(database.url, { poolSize: 2 });
    cleanups.push('tracker pool', () => trackerDb.close());
    const tracker = new VisibilityTracker(trackerDb, ASSETS_PROJECTION);
    cleanups.push('tracker', () => tracker.stop());

    const apiKeys = new PostgresApiKeyStore(db.pool);
    // No wallet signs in through SIWE here (support/sessions.ts stores the sessions); the domain is only what a sign-in message would name.
    const auth: AuthSettings = { domain: '127.0.0.1', chainId: 31337, sessionTtlMs: 3_600_000, digestKey: randomBytes(32) };
    const readModels = readModelsOf(db);
    const gateway = await buildHttpApp({
      eventStore: counted,
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

    const started = performance.now();
    const keyFor = async (role: 'treasury' | 'verifier') => `Bearer ${(await issueApiKey(apiKeys, auth.digestKey, { role, subject: `bench-${role}` }, new Date())).key}`;
    const keys = { treasury: await keyFor('treasury'), verifier: await keyFor('verifier') };
    const wallets = await signInSubjects(db, auth.digestKey, options.wallets);
    const market = await buildMarket(url, keys, randomBytes(4).toString('hex'), options.assets, wallets);
    await tracker.waitFor(await store.headLsn(), CATCH_UP_TIMEOUT_MS);
    log(`${options.wallets} wallets signed in and funded, ${options.assets} assets registered and verified (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    log(`load: ${options.clients} clients, ${options.warmupSeconds} s warm-up + ${options.seconds} s…`);
    const statementsBefore = statements.snapshot();
    const callsBefore = storeCalls(counted, market);
    const headAtStart = await store.headLsn();
    const backendsBefore = await sampleBackends(trackerDb);
    const knexBefore = knexStatements;
    const cpu = new CpuTimeline();
    cleanups.push('cpu sampler', async () => cpu.stop());
    const outcome = await runLoadGenerator(
      { url, clients: options.clients, seconds: options.seconds, warmupSeconds: options.warmupSeconds, repriceEvery: options.repriceEvery, market },
      workDir,
    );
    cpu.stop();
    const postgresCores = backendCoresBetween(backendsBefore, await sampleBackends(trackerDb));
    const statementsDuringLoad = StatementTrace.difference(statements.snapshot(), statementsBefore);
    const callsDuringLoad = storeCallsDifference(storeCalls(counted, market), callsBefore);

    // The read side when the last answer came (nothing else appends: the head then is the log's head now), and its catch-up.
    const headAtEnd = await store.headLsn();
    await tracker.waitFor(headAtEnd, CATCH_UP_TIMEOUT_MS);
    const projectionStatements = knexStatements - knexBefore;
    const readSide: ReadSide = {
      headAtStart,
      headAtEnd,
      projectionStatements,
      watermarkAtEnd: tracker.watermarkAt(outcome.lastAnswerAt),
      catchUpMs: Math.max(0, tracker.reachedAt(headAtEnd)! - outcome.lastAnswerAt),
      batches: batches.filter((batch) => batch.startedAt >= outcome.windowStartAt && batch.startedAt <= outcome.windowEndAt),
    };

    log('settling anything cut off, verifying against the log…');
    const settled = await settleCutOff(store, assetCommands(store));
    if (settled > 0) await tracker.waitFor(await store.headLsn(), CATCH_UP_TIMEOUT_MS);
    const check = await verify(store, db, readModels.assets.moneySupply, market, outcome, settled);
    process.stdout.write(render(options, outcome, readSide, cpu.between(outcome.windowStartAt, outcome.windowEndAt), statementsDuringLoad, callsDuringLoad, postgresCores, check));
    if (check.problems.length > 0 || outcome.windowSold === 0) process.exitCode = 1;
  } finally {
    await cleanups.run();
  }
}

/** Runs the bench (or, in the child started with --load-spec, the load generator); a failure sets exit code 1. */
export function run(): void {
  main().catch((error: unknown) => {
    if (running?.interrupted) return;
    process.stderr.write(`bench:assets failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
