// Crawl billing throughput over HTTP: the real gateway (buildHttpApp, listening on a port) on the PostgreSQL
// event store, one AI platform's escrow billed by many concurrent clients, and the same load through the
// generic one-command-at-a-time handler for comparison. Every figure is checked against the escrow stream
// read back from the store.
//
//   npm run bench:crawl -- [--clients 64] [--crawls 20000] [--seconds S] [--warmup 1] [--peer-seconds 10]
//                          [--publishers 4] [--coverage 0.8] [--pool 20] [--peer-retries 10000] [--gateways 1|2] [--gateway-rounds 3]
//
// Setup (through the gateway's own routes, not timed): publishers with prices 1000, 2500, 4000, … micro-units,
// one platform per phase, and a deposit covering --coverage (80 %) of what the phase's crawls would cost. Each
// participant registers and acts with an API key scoped to it (role participant), as a crawler service would:
// every bill is authenticated (the key verified, then reused for the credential cache's 1 s as in production)
// and its platform's authority checked.
// Crawl i goes to publisher i mod --publishers, so the escrow runs dry about 80 % of the way through and the
// rest are refused (409 insufficient_escrow), the cheaper ones still billed while the balance allows.
//
// Phases, each with --clients HTTP clients in a separate load-generator process (node:http, keep-alive; closed
// loop: each client sends its next POST /v1/crawls when the previous one is answered; crawl ids unique):
//   warm-up   --warmup s against the batched gateway on an escrow of its own (JIT, connections); not reported.
//   batched   the real gateway: crawlCommands → one batched single writer per escrow
//             (commands/stream-writer.ts). --crawls bills offered (stops early after --seconds if given).
//   peer      the same route and schemas on a second fastify app in this process, over the same event store,
//             whose handler bills through the command core one at a time (commandHandler): read the whole escrow stream, decide,
//             append with the revision read; on a conflict, reload and retry (up to --peer-retries times).
//             Runs for --peer-seconds (0: skipped); requests in flight at the end are answered and verified
//             but not counted in its rate.
//   gateways  (--gateways 2) the batched phase again through gateway processes of their own, alternately on one and on
//             two sharing the load, an escrow's commands run by the process that owns it (gateways-comparison.ts).
// CrawlBilled/s = 201 answers / (first request sent → last answer), or → the end of the phase's time limit.
//
// Verified from each escrow stream read back from the store (exit code 1 on any failure): the balance never
// negative at any point of the fold and every balanceAfter equal to it, bills = deposits − final balance, no
// crawl id billed twice, the 201 answers exactly the billed crawl ids, every other answer an expected refusal,
// no crawl refused for want of escrow that the final balance could still pay, and (batched) each CrawlBilled
// under the event id derived from its crawl id. Batch size is measured twice: events per appendToStream call
// of the escrow (a wrapper around the store) and CrawlBilled events per PostgreSQL transaction (distinct
// xmin of the stream's rows).
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL, else DATABASE_URL's server, else
// postgres://postgres@127.0.0.1:5432/postgres; dropped at the end, on failure and on Ctrl-C.
//
// Files: main.ts (this: setup, phases, verification, report), options.ts, market.ts (setup through the gateway),
// load-generator.ts (the HTTP clients' process), one-at-a-time-gateway.ts (the peer), counting-store.ts (the
// store wrapper counting appends and reads), escrow-check.ts (verification), report.ts (what is printed),
// gateway-process.ts and gateways-comparison.ts (--gateways 2).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { escrowStreamId } from '../../commands/crawl/escrow.ts';
import { accessCommands } from '../../commands/access/access-commands.ts';
import { buildHttpApp } from '../../gateways/http/app.ts';
import { Credentials, issueApiKey } from '../../gateways/http/credentials.ts';
import type { AuthSettings } from '../../gateways/http/routes/auth.ts';
import { migrate, openDatabase } from '../../infra/db/database.ts';
import { GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations } from '../../infra/db/postgres-gateway-members.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { CpuTimeline, type CpuUsageInWindow } from '../support/cpu.ts';
import { BenchDatabases } from '../support/databases.ts';
import { Cleanups } from '../support/cleanups.ts';
import { CountingEventStore } from './counting-store.ts';
import { verifyEscrow, type EscrowCheck } from './escrow-check.ts';
import { BENCH_RATE_LIMITS, runGatewayProcess } from './gateway-process.ts';
import { compareGateways, type GatewaysRow } from './gateways-comparison.ts';
import { runLoadGenerator, runLoadGeneratorProcess, type PhaseOutcome, type PhaseSpec } from './load-generator.ts';
import { costOf, openMarket, openPublishers, type KeyOf, type Market } from './market.ts';
import { buildPeerApp } from './one-at-a-time-gateway.ts';
import { parseOptions } from './options.ts';
import { render, renderGateways, type Row } from './report.ts';

/** The warm-up escrow never runs dry. */
const WARMUP_DEPOSIT = 1_000_000_000_000;
/** Refusals the batched path may answer: the escrow ran dry. The peer may also give up after its retries. */
const BATCHED_REFUSALS = ['409 insufficient_escrow'];
const PEER_REFUSALS = ['409 insufficient_escrow', '409 concurrency_conflict'];

/** This run's cleanups: after a signal, the failure of a killed load generator is not reported. */
let running: Cleanups | undefined;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.clientsSpec !== undefined) {
    await runLoadGeneratorProcess(options.clientsSpec);
    return;
  }
  if (options.gatewayProcess) {
    await runGatewayProcess();
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cleanups = (running = new Cleanups(log));
  cleanups.onSignals('dropping the benchmark database');

  try {
    const databases = new BenchDatabases(options.serverUrl);
    cleanups.push('database', () => databases.dropAll());
    const database = await databases.create();
    const db = openDatabase(database.url, { poolSize: options.poolSize });
    cleanups.push('pool', () => db.close());
    await migrate(db.knex, 'gateway', idempotencyMigrations);
    await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
    await migrate(db.knex, GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations);
    await migrateEventStore(db);
    const postgresStore: PostgresEventStore = createPostgresEventStore(db);
    cleanups.push('event store', () => postgresStore.close());
    const store = new CountingEventStore(postgresStore);
    const idempotency = new PostgresIdempotencyStore(db.pool);
    const sessions = new PostgresSessionStore(db.pool);
    const apiKeys = new PostgresApiKeyStore(db.pool);
    // No wallet signs in here; the domain is only what a sign-in message would have to name.
    const auth: AuthSettings = { domain: '127.0.0.1', chainId: 31337, sessionTtlMs: 3_600_000, digestKey: randomBytes(32) };
    const keyOf: KeyOf = async (participantId) => `Bearer ${(await issueApiKey(apiKeys, auth.digestKey, { role: 'participant', scope: participantId }, new Date())).key}`;

    const gateway = await buildHttpApp({ eventStore: store, idempotency, sessions, apiKeys, auth, rateLimits: BENCH_RATE_LIMITS });
    cleanups.push('gateway', () => gateway.close());
    const peerCredentials = new Credentials(sessions, apiKeys, accessCommands(store).grantsOf, { digestKey: auth.digestKey, cacheMs: 1000, clock: Date.now });
    const peer = await buildPeerApp(store, idempotency, peerCredentials, options.peerRetries);
    cleanups.push('peer gateway', () => peer.close());
    const connections = { gateway: 0, peer: 0 };
    gateway.server.on('connection', () => (connections.gateway += 1));
    peer.server.on('connection', () => (connections.peer += 1));
    const urlOf = async (app: FastifyInstance) => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    };
    const gatewayUrl = await urlOf(gateway);
    const peerUrl = await urlOf(peer);

    // Participants and escrows, through the gateway.
    const runId = randomBytes(4).toString('hex');
    const publisherIds = await openPublishers(gatewayUrl, keyOf, runId, options.publishers);
    const deposit = Math.floor(costOf(options.crawls, options.publishers) * options.coverage);
    const markets = {
      warmup: await openMarket(gatewayUrl, keyOf, `ai-${runId}-warmup`, WARMUP_DEPOSIT),
      batched: await openMarket(gatewayUrl, keyOf, `ai-${runId}-batched`, deposit),
      peer: await openMarket(gatewayUrl, keyOf, `ai-${runId}-peer`, deposit),
    };
    const phase = (label: string, url: string, market: Market, limits: { total: number; seconds?: number }): PhaseSpec => ({
      label,
      url,
      platformId: market.platformId,
      authorization: market.authorization,
      publisherIds,
      prefix: `${runId}-${label}`,
      ...limits,
    });
    const phases = {
      warmup: phase('warmup', gatewayUrl, markets.warmup, { total: Number.MAX_SAFE_INTEGER, seconds: options.warmupSeconds }),
      batched: phase('batched', gatewayUrl, markets.batched, { total: options.crawls, ...(options.seconds === undefined ? {} : { seconds: options.seconds }) }),
      peer: phase('peer', peerUrl, markets.peer, { total: options.crawls, seconds: options.peerSeconds }),
    };

    // CPU of this process (the gateways) and of the machine, sampled so that the children's windows can be
    // matched to it afterwards.
    const cpuTimeline = new CpuTimeline();
    cleanups.push('cpu sampler', async () => cpuTimeline.stop());
    const serverCpu = (outcome: PhaseOutcome): CpuUsageInWindow | undefined => cpuTimeline.between(outcome.startedAt, outcome.windowEndAt);

    const load = (label: string, list: PhaseSpec[]) => {
      log(`${label}: ${options.clients} clients…`);
      return runLoadGenerator(options.clients, list);
    };
    const batchedOutcomes = await load(`warm-up ${options.warmupSeconds} s, then ${options.crawls} crawls on the batched gateway`, [
      ...(options.warmupSeconds > 0 ? [phases.warmup] : []),
      phases.batched,
    ]);
    const warmupOutcome = options.warmupSeconds > 0 ? batchedOutcomes[0] : undefined;
    const batchedOutcome = batchedOutcomes[batchedOutcomes.length - 1]!;
    const batchedConnections = connections.gateway;
    const peerOutcome = options.peerSeconds > 0 ? (await load(`${options.peerSeconds} s on the one-at-a-time handler`, [phases.peer]))[0]! : undefined;
    const gatewayRows: GatewaysRow[] | undefined =
      options.gateways === 2
        ? await compareGateways({
            options,
            spec: { databaseUrl: database.url, poolSize: options.poolSize, digestKeyHex: Buffer.from(auth.digestKey).toString('hex'), authDomain: auth.domain },
            setupUrl: gatewayUrl,
            keyOf,
            runId,
            publisherIds,
            deposit,
            db,
            store,
            cpuTimeline,
            cleanups,
            log,
          })
        : undefined;
    cpuTimeline.stop();

    log('verifying the escrow streams…');
    const countersOf = (market: Market) => store.countersOf(escrowStreamId(market.platformId));
    const checks: EscrowCheck[] = [];
    if (warmupOutcome) {
      checks.push(
        await verifyEscrow('warm-up', store, db, markets.warmup, warmupOutcome, phases.warmup, [], { derivedEventIds: true, handlerBillAppends: countersOf(markets.warmup).billAppends }),
      );
    }
    checks.push(
      await verifyEscrow('batched', store, db, markets.batched, batchedOutcome, phases.batched, BATCHED_REFUSALS, {
        derivedEventIds: true,
        handlerBillAppends: countersOf(markets.batched).billAppends,
      }),
    );
    if (peerOutcome) {
      checks.push(
        await verifyEscrow('one-at-a-time', store, db, markets.peer, peerOutcome, phases.peer, PEER_REFUSALS, {
          derivedEventIds: false,
          handlerBillAppends: countersOf(markets.peer).billAppends,
        }),
      );
    }

    const rows: Row[] = [
      { name: 'batched (gateway)', outcome: batchedOutcome, check: checks.find((c) => c.label === 'batched')!, counters: countersOf(markets.batched), cpu: serverCpu(batchedOutcome), connections: batchedConnections },
    ];
    if (peerOutcome) {
      rows.push({
        name: 'one-at-a-time (commandHandler)',
        outcome: peerOutcome,
        check: checks.find((c) => c.label === 'one-at-a-time')!,
        counters: countersOf(markets.peer),
        cpu: serverCpu(peerOutcome),
        connections: connections.peer,
      });
    }
    process.stdout.write(render(options, deposit, rows, checks));
    if (gatewayRows) process.stdout.write(renderGateways(gatewayRows));
    if ([...checks, ...(gatewayRows ?? []).map((row) => row.check)].some((check) => check.problems.length > 0)) process.exitCode = 1;
  } finally {
    await cleanups.run();
  }
}

/** Runs the bench (or, in the child started with --clients-spec, the load generator); a failure sets exit code 1. */
export function run(): void {
  main().catch((error: unknown) => {
    if (running?.interrupted) return;
    process.stderr.write(`bench:crawl failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
