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
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { issueApiKey } from '../../gateways/http/credentials.ts';
import { ASSETS_PROJECTION, assetsProjection } from '../../projections/assets/assets-projection.ts';
import { CountingEventStore } from '../crawl/counting-store.ts';
import type { Cleanups } from '../support/cleanups.ts';
import { CpuTimeline } from '../support/cpu.ts';
import { CATCH_UP_TIMEOUT_MS, runBench, startHttpBench } from '../support/http-bench.ts';
import { backendCoresBetween, sampleBackends } from '../support/postgres-cpu.ts';
import { signInSubjects } from '../support/sessions.ts';
import { StatementTrace } from '../support/statement-trace.ts';
import { settleCutOff, verify } from './check.ts';
import { runLoadGenerator, runLoadGeneratorProcess } from './load-generator.ts';
import { buildMarket } from './market.ts';
import { storeCalls, storeCallsDifference } from './store-calls.ts';
import { parseOptions } from './options.ts';
import { render, type ReadSide } from './report.ts';

async function main(begin: () => Cleanups, log: (line: string) => void): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.loadSpec !== undefined) return runLoadGeneratorProcess(options.loadSpec);
  const cleanups = begin();
  const { workDir, db, statements, store, gatewayStore: counted, batches, tracker, trackerDb, apiKeys, auth, readModels, url } = await startHttpBench({
    name: 'assets',
    serverUrl: options.serverUrl,
    poolSize: options.poolSize,
    projection: assetsProjection,
    projectionName: ASSETS_PROJECTION,
    cleanups,
    // What the gateway asks of the store, counted per stream (the projection reads the store itself).
    gatewayStore: (store) => new CountingEventStore(store),
  });
  // The projection's statements (and the read models'; nothing reads them during the load) go through knex.
  let knexStatements = 0;
  db.knex.on('query', () => (knexStatements += 1));

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
}

/** Runs the bench (or, in the child started with --load-spec, the load generator); a failure sets exit code 1. */
export function run(): void {
  runBench('assets', main);
}
