// Crawl billing throughput over HTTP: the real gateway (buildHttpApp, listening on a port) on the PostgreSQL
// event store, one AI platform's escrow billed by many concurrent clients, and the same load through the
// generic one-command-at-a-time handler for comparison. Every figure is checked against the escrow stream
// read back from the store.
//
//   npm run bench:crawl -- [--clients 64] [--crawls 20000] [--seconds S] [--warmup 1] [--peer-seconds 10]
//                          [--publishers 4] [--coverage 0.8] [--pool 20] [--peer-retries 10000]
//
// Setup (through the gateway's own routes, not timed): publishers with prices 1000, 2500, 4000, … micro-units,
// one platform per phase, and a deposit covering --coverage (80 %) of what the phase's crawls would cost.
// Crawl i goes to publisher i mod --publishers, so the escrow runs dry about 80 % of the way through and the
// rest are refused (409 insufficient_escrow), the cheaper ones still billed while the balance allows.
//
// Phases, each with --clients HTTP clients in a separate load-generator process (node:http, keep-alive; closed
// loop: each client sends its next POST /v1/crawls when the previous one is answered; crawl ids unique):
//   warm-up   --warmup s against the batched gateway on an escrow of its own (JIT, connections); not reported.
//   batched   the real gateway: crawlCommands → one batched single writer per escrow
//             (commands/batched-command-handler.ts). --crawls bills offered (stops early after --seconds if given).
//   peer      the same route and schemas on a second fastify app in this process, over the same event store,
//             whose handler bills with handleCommand(escrowDecider): read the whole escrow stream, decide,
//             append with the revision read; on a conflict, reload and retry (up to --peer-retries times).
//             Runs for --peer-seconds (0: skipped); requests in flight at the end are answered and verified
//             but not counted in its rate.
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
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { aggregateStream, handleCommand, type LoadedStream } from '../commands/command-handler.ts';
import { crawlBilledEventId } from '../commands/crawl/crawl-commands.ts';
import { escrowDecider, escrowStreamId } from '../commands/crawl/escrow.ts';
import { participantDecider, participantStreamId, type ParticipantState } from '../commands/crawl/participant.ts';
import { billCrawlSchema } from '../commands/crawl/schemas.ts';
import { SharedReads } from '../commands/shared-reads.ts';
import { decodeEvent, type EscrowEvent } from '../events-schema/index.ts';
import { buildHttpApp, renderError } from '../gateways/http/app.ts';
import { idempotencyGuard, registerIdempotencyRecorder } from '../gateways/http/idempotency.ts';
import { commandContext } from '../gateways/http/request-context.ts';
import { errorResponses } from '../gateways/http/routes/schemas.ts';
import { migrate, openDatabase, type Database } from '../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../infra/db/postgres-idempotency-store.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import type { IdempotencyStore } from '../ports/idempotency-store.ts';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamResult,
  type RecordedEvent,
  type SubscribeOptions,
} from '../ports/event-store.ts';
import { cpuBetween, sampleCpu, type CpuSample, type CpuUsageInWindow } from './support/cpu.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { killIsolated, runIsolated } from './support/isolate.ts';
import { positiveOption, redactUrl, verdict } from './support/options.ts';
import { summarizeLatencies, type LatencySummary } from './support/stats.ts';
import { fixed, formatTable } from './support/table.ts';

const TARGET_BILLED_PER_SECOND = 2_000;
/** The warm-up escrow never runs dry. */
const WARMUP_DEPOSIT = 1_000_000_000_000;
/** Refusals the batched path may answer: the escrow ran dry. The peer may also give up after its retries. */
const BATCHED_REFUSALS = ['409 insufficient_escrow'];
const PEER_REFUSALS = ['409 insufficient_escrow', '409 concurrency_conflict'];

/** Price per crawl of publisher i, in micro-units. */
const priceOf = (publisher: number) => 1_000 + 1_500 * publisher;

// ---------------------------------------------------------------------------------------------------------------
// Load generator (child process): phases of closed-loop HTTP clients.

type PhaseSpec = {
  label: string;
  url: string;
  platformId: string;
  publisherIds: string[];
  /** Crawl i is `${prefix}-${i}`. */
  prefix: string;
  /** Most requests sent. */
  total: number;
  /** Stop sending after this long (the answers of requests in flight are still awaited). */
  seconds?: number;
};

type ClientsSpec = { clients: number; phases: PhaseSpec[] };

type PhaseOutcome = {
  label: string;
  sent: number;
  /** Epoch ms (comparable with the parent's clock) of the first request and of the end of the counted window. */
  startedAt: number;
  windowEndAt: number;
  windowMs: number;
  /** Time from the end of the window to the last answer (requests in flight when the time limit struck). */
  drainMs: number;
  billedInWindow: number;
  answeredInWindow: number;
  /** Every answer, by status and error code: '201', '409 insufficient_escrow', 'transport <message>'. */
  answers: Record<string, number>;
  /** Crawl indexes answered 201, and answered 409 insufficient_escrow. */
  billed: number[];
  refusedForEscrow: number[];
  /** Answers in the window. */
  latency: LatencySummary;
  billedLatency: LatencySummary;
  /** This process's CPU over the window, in cores. */
  clientCores: number;
  /** A few bodies of unexpected answers. */
  samples: string[];
};

const epochNow = () => performance.timeOrigin + performance.now();

/**
 * POST with a JSON body on a keep-alive connection; resolves with the status and the body. node:http rather than
 * fetch: Node 20's fetch spends about 0.5 ms of CPU per request (node:http about 0.08 ms), which on a 2-core
 * machine would leave the load generator, not the gateway, setting the pace.
 */
function post(agent: http.Agent, endpoint: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: endpoint.hostname,
        port: endpoint.port,
        path: endpoint.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function runPhase(phase: PhaseSpec, clients: number, agent: http.Agent): Promise<PhaseOutcome> {
  const endpoint = new URL(`${phase.url}/v1/crawls`);
  const answers: Record<string, number> = {};
  const billed: number[] = [];
  const refusedForEscrow: number[] = [];
  const samples: string[] = [];
  const records: Array<{ answeredAt: number; ms: number; billed: boolean }> = [];
  let next = 0;
  const startedAt = performance.now();
  const deadline = phase.seconds === undefined ? Number.POSITIVE_INFINITY : startedAt + phase.seconds * 1000;
  const cpuStart = process.cpuUsage();
  let cpuAtDeadline: NodeJS.CpuUsage | undefined;
  const cpuTimer = Number.isFinite(deadline) ? setTimeout(() => (cpuAtDeadline = process.cpuUsage(cpuStart)), deadline - startedAt) : undefined;

  const client = async () => {
    while (next < phase.total && performance.now() < deadline) {
      const index = next++;
      const publisherId = phase.publisherIds[index % phase.publisherIds.length]!;
      const crawlId = `${phase.prefix}-${index}`;
      const body = JSON.stringify({ crawlId, platformId: phase.platformId, publisherId, url: `https://${publisherId}.example/articles/${index}`, bytes: 2048 + (index % 4096) });
      const began = performance.now();
      let outcome: string;
      try {
        const response = await post(agent, endpoint, body);
        const text = response.text;
        if (response.status === 201) {
          outcome = '201';
        } else {
          let code = 'unparsed';
          try {
            code = String((JSON.parse(text) as { error?: unknown }).error);
          } catch {
            // not JSON: counted as 'unparsed'
          }
          outcome = `${response.status} ${code}`;
          if (code !== 'insufficient_escrow' && samples.length < 5) samples.push(`${crawlId}: ${response.status} ${text.slice(0, 300)}`);
        }
      } catch (error) {
        outcome = `transport ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
        if (samples.length < 5) samples.push(`${crawlId}: ${outcome}`);
      }
      const ended = performance.now();
      answers[outcome] = (answers[outcome] ?? 0) + 1;
      if (outcome === '201') billed.push(index);
      else if (outcome === '409 insufficient_escrow') refusedForEscrow.push(index);
      records.push({ answeredAt: ended, ms: ended - began, billed: outcome === '201' });
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  clearTimeout(cpuTimer);
  const cpu = cpuAtDeadline ?? process.cpuUsage(cpuStart);

  const lastAnswer = records.reduce((last, record) => Math.max(last, record.answeredAt), startedAt);
  const windowEnd = Math.min(lastAnswer, deadline);
  const inWindow = records.filter((record) => record.answeredAt <= windowEnd);
  const windowMs = windowEnd - startedAt;
  return {
    label: phase.label,
    sent: next,
    startedAt: performance.timeOrigin + startedAt,
    windowEndAt: performance.timeOrigin + windowEnd,
    windowMs,
    drainMs: lastAnswer - windowEnd,
    billedInWindow: inWindow.filter((record) => record.billed).length,
    answeredInWindow: inWindow.length,
    answers,
    billed,
    refusedForEscrow,
    latency: summarizeLatencies(inWindow.map((record) => record.ms)),
    billedLatency: summarizeLatencies(inWindow.filter((record) => record.billed).map((record) => record.ms)),
    clientCores: (cpu.user + cpu.system) / 1000 / Math.max(1, windowMs),
    samples,
  };
}

async function runClients(spec: ClientsSpec): Promise<PhaseOutcome[]> {
  // One connection per client, kept open across requests and phases.
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.clients });
  const outcomes: PhaseOutcome[] = [];
  for (const phase of spec.phases) outcomes.push(await runPhase(phase, spec.clients, agent));
  agent.destroy();
  return outcomes;
}

// ---------------------------------------------------------------------------------------------------------------
// The event store as the handlers see it, counted per stream: appends (events each, bills each, conflicts)
// and reads (events read).

type StreamCounters = {
  appends: number;
  events: number;
  /** Appends holding at least one CrawlBilled, and the CrawlBilled events in them. */
  billAppends: number;
  billEvents: number;
  maxBillsPerAppend: number;
  conflicts: number;
  otherFailures: number;
  reads: number;
  eventsRead: number;
};

class InstrumentedStore implements EventStore {
  private readonly counters = new Map<string, StreamCounters>();

  constructor(private readonly inner: EventStore) {}

  countersOf(streamId: string): StreamCounters {
    let counters = this.counters.get(streamId);
    if (!counters) {
      counters = { appends: 0, events: 0, billAppends: 0, billEvents: 0, maxBillsPerAppend: 0, conflicts: 0, otherFailures: 0, reads: 0, eventsRead: 0 };
      this.counters.set(streamId, counters);
    }
    return counters;
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult> {
    const counters = this.countersOf(streamId);
    try {
      const result = await this.inner.appendToStream(streamId, events, options);
      const bills = events.filter((event) => event.type === 'CrawlBilled').length;
      counters.appends += 1;
      counters.events += events.length;
      if (bills > 0) {
        counters.billAppends += 1;
        counters.billEvents += bills;
        counters.maxBillsPerAppend = Math.max(counters.maxBillsPerAppend, bills);
      }
      return result;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) counters.conflicts += 1;
      else counters.otherFailures += 1;
      throw error;
    }
  }

  async readStream(streamId: string, options?: { fromRevision?: number; limit?: number }): Promise<ReadStreamResult> {
    const result = await this.inner.readStream(streamId, options);
    const counters = this.countersOf(streamId);
    counters.reads += 1;
    counters.eventsRead += result.events.length;
    return result;
  }

  readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headLsn(): Promise<number> {
    return this.inner.headLsn();
  }

  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    return this.inner.subscribeToAll(options);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The peer: POST /v1/crawls as the gateway serves it (same schemas, idempotency hooks, error rendering and
// participant reads as crawlCommands), but the bill goes through handleCommand, one command at a time.

async function buildPeerApp(eventStore: EventStore, idempotency: IdempotencyStore, maxRetries: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = renderError(error);
    return reply.code(status).send(body);
  });
  registerIdempotencyRecorder(app, idempotency);

  const participantReads = new SharedReads<LoadedStream<ParticipantState>>();
  const participant = async (participantId: string) =>
    (await participantReads.run(participantId, () => aggregateStream(eventStore, participantDecider, participantStreamId(participantId)))).state;

  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/crawls',
    {
      preHandler: idempotencyGuard(idempotency),
      schema: {
        body: billCrawlSchema,
        response: {
          201: z.object({ crawlId: z.string(), amount: z.number().int(), balance: z.number().int(), eventId: z.string(), lsn: z.number().int().nullable() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const input = request.body;
      const [platform, publisher] = await Promise.all([participant(input.platformId), participant(input.publisherId)]);
      const result = await handleCommand(
        eventStore,
        escrowDecider,
        escrowStreamId(input.platformId),
        { type: 'BillCrawl', data: { ...input, now: Date.now(), platform, publisher } },
        { ...commandContext(request), maxRetries },
      );
      const billed = result.events[0]!;
      if (billed.type !== 'CrawlBilled') throw new Error(`BillCrawl decided ${billed.type}`);
      return reply
        .code(201)
        .send({ crawlId: input.crawlId, amount: billed.data.amount, balance: billed.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn });
    },
  );
  return app;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup through the gateway's routes.

async function call(baseUrl: string, method: string, route: string, body: object, expected: number): Promise<unknown> {
  const response = await fetch(`${baseUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route}: expected ${expected}, got ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

type Market = { platformId: string; deposit: number };

async function openMarket(baseUrl: string, platformId: string, deposit: number): Promise<Market> {
  await call(baseUrl, 'POST', '/v1/participants', { participantId: platformId, role: 'platform', name: `AI platform ${platformId}` }, 201);
  await call(baseUrl, 'POST', `/v1/platforms/${platformId}/deposits`, { amount: deposit }, 201);
  return { platformId, deposit };
}

/** What crawls 0 … count−1 would cost, crawl i billed by publisher i mod publishers. */
function costOf(count: number, publishers: number): number {
  let total = 0;
  for (let publisher = 0; publisher < publishers; publisher++) total += priceOf(publisher) * Math.ceil((count - publisher) / publishers);
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// Verification: the escrow stream read back from the store against what the clients were told.

type EscrowCheck = {
  label: string;
  events: number;
  deposits: number;
  bills: number;
  billedAmount: number;
  finalBalance: number;
  /** CrawlBilled rows and distinct PostgreSQL transactions (xmin) holding them. */
  storeTransactions: number;
  problems: string[];
};

async function verifyEscrow(
  label: string,
  store: EventStore,
  db: Database,
  market: Market,
  outcome: PhaseOutcome,
  phase: PhaseSpec,
  expectedAnswers: readonly string[],
  options: { derivedEventIds: boolean; handlerBillAppends: number },
): Promise<EscrowCheck> {
  const problems: string[] = [];
  const streamId = escrowStreamId(market.platformId);
  const { events: recorded } = await store.readStream(streamId);
  let balance = 0;
  let deposits = 0;
  let billedAmount = 0;
  let negativeAt: number | undefined;
  let balanceAfterMismatches = 0;
  let wrongEventIds = 0;
  const billedIds = new Set<string>();
  const twice: string[] = [];
  for (const event of recorded) {
    const escrow = decodeEvent(event.data) as EscrowEvent;
    switch (escrow.type) {
      case 'EscrowDeposited':
        balance += escrow.data.amount;
        deposits += escrow.data.amount;
        break;
      case 'CrawlBilled':
        balance -= escrow.data.amount;
        billedAmount += escrow.data.amount;
        if (billedIds.has(escrow.data.crawlId)) twice.push(escrow.data.crawlId);
        billedIds.add(escrow.data.crawlId);
        if (options.derivedEventIds && event.eventId !== crawlBilledEventId(escrow.data.crawlId)) wrongEventIds += 1;
        break;
      case 'CrawlRefunded':
        balance += escrow.data.amount;
        break;
      case 'CrawlDisputed':
        break;
    }
    if (balance < 0 && negativeAt === undefined) negativeAt = event.revision;
    if ('balanceAfter' in escrow.data && escrow.data.balanceAfter !== balance) balanceAfterMismatches += 1;
  }
  const bills = recorded.filter((event) => event.type === 'CrawlBilled').length;

  if (negativeAt !== undefined) problems.push(`the balance went negative at revision ${negativeAt}`);
  if (balanceAfterMismatches > 0) problems.push(`${balanceAfterMismatches} event(s) whose balanceAfter differs from the folded balance`);
  if (deposits !== market.deposit) problems.push(`deposits ${deposits} ≠ the ${market.deposit} deposited`);
  if (billedAmount !== deposits - balance) problems.push(`billed ${billedAmount} ≠ deposits ${deposits} − final balance ${balance}`);
  if (twice.length > 0) problems.push(`${twice.length} crawl id(s) billed more than once, e.g. ${twice[0]}`);
  const answered201 = outcome.answers['201'] ?? 0;
  if (answered201 !== bills) problems.push(`${answered201} answers 201 ≠ ${bills} CrawlBilled events`);
  const acceptedIds = new Set(outcome.billed.map((index) => `${phase.prefix}-${index}`));
  const notRecorded = [...acceptedIds].filter((id) => !billedIds.has(id));
  const notAnswered = [...billedIds].filter((id) => !acceptedIds.has(id));
  if (notRecorded.length > 0) problems.push(`${notRecorded.length} crawl(s) answered 201 but not billed, e.g. ${notRecorded[0]}`);
  if (notAnswered.length > 0) problems.push(`${notAnswered.length} crawl(s) billed but not answered 201, e.g. ${notAnswered[0]}`);
  const unexpected = Object.entries(outcome.answers).filter(([answer]) => answer !== '201' && !expectedAnswers.includes(answer));
  for (const [answer, count] of unexpected) problems.push(`${count} unexpected answer(s) ${answer}${outcome.samples[0] ? ` (e.g. ${outcome.samples[0]})` : ''}`);
  // The balance only goes down here (no refunds), so a crawl refused for want of escrow could not have been
  // paid from any later balance either: the final balance must be below its price.
  let cheapestRefused = Number.POSITIVE_INFINITY;
  for (const index of outcome.refusedForEscrow) cheapestRefused = Math.min(cheapestRefused, priceOf(index % phase.publisherIds.length));
  if (balance >= cheapestRefused) {
    problems.push(`a crawl costing ${cheapestRefused} was refused for want of escrow, yet ${balance} is left`);
  }
  if (wrongEventIds > 0) problems.push(`${wrongEventIds} CrawlBilled event(s) not under the event id derived from their crawl id`);

  const { rows } = await db.pool.query<{ transactions: number }>(
    `select count(distinct xmin::text)::int as transactions from event_log where stream_id = $1 and type = 'CrawlBilled'`,
    [streamId],
  );
  const storeTransactions = rows[0]?.transactions ?? 0;
  if (storeTransactions !== options.handlerBillAppends) {
    problems.push(`the handler made ${options.handlerBillAppends} appends with bills, the store holds them in ${storeTransactions} transactions`);
  }
  return { label, events: recorded.length, deposits, bills, billedAmount, finalBalance: balance, storeTransactions, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Main.

type Options = {
  clients: number;
  crawls: number;
  seconds?: number;
  warmupSeconds: number;
  peerSeconds: number;
  publishers: number;
  coverage: number;
  poolSize: number;
  peerRetries: number;
  serverUrl: string;
};

function parseOptions(argv: string[]): Options & { clientsSpec?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '64' },
      crawls: { type: 'string', default: '20000' },
      seconds: { type: 'string' },
      warmup: { type: 'string', default: '1' },
      'peer-seconds': { type: 'string', default: '10' },
      publishers: { type: 'string', default: '4' },
      coverage: { type: 'string', default: '0.8' },
      pool: { type: 'string', default: '20' },
      'peer-retries': { type: 'string', default: '10000' },
      'clients-spec': { type: 'string' },
    },
    strict: true,
  });
  const coverage = positiveOption('coverage', values.coverage, false);
  if (coverage > 1) throw new Error(`--coverage is the share of the offered crawls the deposit pays for, at most 1, got ${coverage}`);
  return {
    clients: positiveOption('clients', values.clients, true),
    crawls: positiveOption('crawls', values.crawls, true),
    ...(values.seconds === undefined ? {} : { seconds: positiveOption('seconds', values.seconds, false) }),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    peerSeconds: values['peer-seconds'] === '0' ? 0 : positiveOption('peer-seconds', values['peer-seconds'], false),
    publishers: positiveOption('publishers', values.publishers, true),
    coverage,
    poolSize: positiveOption('pool', values.pool, true),
    peerRetries: positiveOption('peer-retries', values['peer-retries'], true),
    serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values['clients-spec'] === undefined ? {} : { clientsSpec: values['clients-spec'] }),
  };
}

/** Set on SIGINT/SIGTERM: the failure of the killed load generator is not reported. */
let interrupted = false;

type Cleanup = { name: string; run: () => Promise<unknown> };

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.clientsSpec !== undefined) {
    const outcomes = await runClients(JSON.parse(options.clientsSpec) as ClientsSpec);
    process.stdout.write(`${JSON.stringify(outcomes)}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cleanups: Cleanup[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const { name, run } of cleanups.reverse()) await run().catch((error: unknown) => log(`cleanup ${name}: ${(error as Error).message}`));
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping, dropping the benchmark database…`);
    killIsolated();
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const databases = new BenchDatabases(options.serverUrl);
    cleanups.push({ name: 'database', run: () => databases.dropAll() });
    const database = await databases.create();
    const db = openDatabase(database.url, { poolSize: options.poolSize });
    cleanups.push({ name: 'pool', run: () => db.close() });
    await migrate(db.knex, 'gateway', idempotencyMigrations);
    await migrateEventStore(db);
    const postgresStore: PostgresEventStore = createPostgresEventStore(db);
    cleanups.push({ name: 'event store', run: () => postgresStore.close() });
    const store = new InstrumentedStore(postgresStore);
    const idempotency = new PostgresIdempotencyStore(db.pool);

    const gateway = await buildHttpApp({ eventStore: store, idempotency });
    cleanups.push({ name: 'gateway', run: () => gateway.close() });
    const peer = await buildPeerApp(store, idempotency, options.peerRetries);
    cleanups.push({ name: 'peer gateway', run: () => peer.close() });
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
    const publisherIds = Array.from({ length: options.publishers }, (_, i) => `pub-${runId}-${i}`);
    for (const [i, publisherId] of publisherIds.entries()) {
      await call(gatewayUrl, 'POST', '/v1/participants', { participantId: publisherId, role: 'publisher', name: `Publisher ${i}` }, 201);
      await call(gatewayUrl, 'PUT', `/v1/publishers/${publisherId}/price`, { pricePerCrawl: priceOf(i) }, 200);
    }
    const deposit = Math.floor(costOf(options.crawls, options.publishers) * options.coverage);
    const markets = {
      warmup: await openMarket(gatewayUrl, `ai-${runId}-warmup`, WARMUP_DEPOSIT),
      batched: await openMarket(gatewayUrl, `ai-${runId}-batched`, deposit),
      peer: await openMarket(gatewayUrl, `ai-${runId}-peer`, deposit),
    };
    const phase = (label: string, url: string, market: Market, limits: { total: number; seconds?: number }): PhaseSpec => ({
      label,
      url,
      platformId: market.platformId,
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
    const cpuSamples: Array<{ epoch: number; sample: CpuSample }> = [];
    const sampler = setInterval(() => cpuSamples.push({ epoch: epochNow(), sample: sampleCpu() }), 100);
    cleanups.push({ name: 'cpu sampler', run: async () => clearInterval(sampler) });
    const serverCpu = (outcome: PhaseOutcome): CpuUsageInWindow | undefined => {
      const before = cpuSamples.find((entry) => entry.epoch >= outcome.startedAt);
      const after = cpuSamples.findLast((entry) => entry.epoch <= outcome.windowEndAt);
      return before && after && after.epoch > before.epoch ? cpuBetween(before.sample, after.sample) : undefined;
    };

    const load = (label: string, list: PhaseSpec[]) => {
      log(`${label}: ${options.clients} clients…`);
      const expectedSeconds = list.reduce((sum, p) => sum + (p.seconds ?? p.total / 200), 0);
      return runIsolated<PhaseOutcome[]>(fileURLToPath(import.meta.url), ['--clients-spec', JSON.stringify({ clients: options.clients, phases: list } satisfies ClientsSpec)], {
        cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
        timeoutMs: expectedSeconds * 1000 + 300_000,
      });
    };
    const batchedOutcomes = await load(`warm-up ${options.warmupSeconds} s, then ${options.crawls} crawls on the batched gateway`, [
      ...(options.warmupSeconds > 0 ? [phases.warmup] : []),
      phases.batched,
    ]);
    const warmupOutcome = options.warmupSeconds > 0 ? batchedOutcomes[0] : undefined;
    const batchedOutcome = batchedOutcomes[batchedOutcomes.length - 1]!;
    const batchedConnections = connections.gateway;
    const peerOutcome = options.peerSeconds > 0 ? (await load(`${options.peerSeconds} s on the one-at-a-time handler`, [phases.peer]))[0]! : undefined;
    clearInterval(sampler);

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
        name: 'one-at-a-time (handleCommand)',
        outcome: peerOutcome,
        check: checks.find((c) => c.label === 'one-at-a-time')!,
        counters: countersOf(markets.peer),
        cpu: serverCpu(peerOutcome),
        connections: connections.peer,
      });
    }
    process.stdout.write(render(options, deposit, rows, checks));
    if (checks.some((check) => check.problems.length > 0)) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

type Row = { name: string; outcome: PhaseOutcome; check: EscrowCheck; counters: StreamCounters; cpu: CpuUsageInWindow | undefined; connections: number };

const billedPerSecond = (outcome: PhaseOutcome) => outcome.billedInWindow / (outcome.windowMs / 1000);

function render(options: Options, deposit: number, rows: Row[], checks: EscrowCheck[]): string {
  let out =
    `\nCrawl billing over HTTP: ${options.clients} clients, ${options.publishers} publishers at ${Array.from({ length: options.publishers }, (_, i) => priceOf(i)).join('/')} micro-units, ` +
    `escrow ${deposit} micro-units (${fixed(options.coverage * 100, 0)} % of ${options.crawls} crawls); pool ${options.poolSize}; server ${redactUrl(options.serverUrl)}\n\n`;
  out += formatTable(
    [
      { header: 'path' },
      { header: 'sent', align: 'right' },
      { header: 'window s', align: 'right' },
      { header: 'CrawlBilled/s', align: 'right' },
      { header: 'answers/s', align: 'right' },
      { header: 'billed', align: 'right' },
      { header: 'refused', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'bill p50/p99 ms', align: 'right' },
      { header: 'events/append', align: 'right' },
      { header: 'per txn (store)', align: 'right' },
      { header: 'conflicts/bill', align: 'right' },
      { header: 'events read/bill', align: 'right' },
    ],
    rows.map(({ name, outcome, check, counters }) => {
      const bills = outcome.answers['201'] ?? 0;
      return [
        name,
        String(outcome.sent),
        fixed(outcome.windowMs / 1000, 2),
        fixed(billedPerSecond(outcome), 0),
        fixed(outcome.answeredInWindow / (outcome.windowMs / 1000), 0),
        String(bills),
        String(outcome.sent - bills),
        fixed(outcome.latency.p50Ms, 1),
        fixed(outcome.latency.p99Ms, 1),
        `${fixed(outcome.billedLatency.p50Ms, 1)}/${fixed(outcome.billedLatency.p99Ms, 1)}`,
        `${fixed(counters.billEvents / counters.billAppends, 1)} (max ${counters.maxBillsPerAppend})`,
        fixed(check.bills / check.storeTransactions, 1),
        fixed(counters.conflicts / Math.max(1, bills), 2),
        fixed(counters.eventsRead / Math.max(1, bills), 1),
      ];
    }),
  );
  out +=
    '  window: first request → last answer (or the time limit); p50/p99 over every answer in it, bill = 201 answers only. events/append: CrawlBilled per\n' +
    '  appendToStream call on the escrow; per txn: CrawlBilled rows per PostgreSQL transaction (distinct xmin). events read/bill: escrow events\n' +
    '  read back per bill (the one-at-a-time handler folds the whole stream for every attempt).\n\n';
  out += formatTable(
    [{ header: 'path' }, { header: 'answers' }, { header: 'TCP connections', align: 'right' }, { header: 'CPU gateway/clients/machine', align: 'right' }, { header: 'drain s', align: 'right' }],
    rows.map(({ name, outcome, cpu, connections }) => [
      name,
      Object.entries(outcome.answers)
        .sort(([, a], [, b]) => b - a)
        .map(([answer, count]) => `${answer}: ${count}`)
        .join(', '),
      String(connections),
      `${fixed(cpu?.processCores, 2)}/${fixed(outcome.clientCores, 2)}/${cpu?.machineBusyCores === undefined ? '?' : fixed(cpu.machineBusyCores, 2)} of ${cpu?.machineCores ?? '?'}`,
      fixed(outcome.drainMs / 1000, 2),
    ]),
  );
  out += '  drain: answers awaited after the time limit (sent before it, not counted in the rate).\n\n';

  for (const check of checks) {
    const head =
      `${check.label}: ${check.events} events on the escrow stream, deposits ${check.deposits}, ${check.bills} bills for ${check.billedAmount}, ` +
      `final balance ${check.finalBalance}, ${check.storeTransactions} transactions`;
    out += check.problems.length === 0 ? `PASS  ${head}\n` : `FAIL  ${head}\n${check.problems.map((problem) => `      - ${problem}\n`).join('')}`;
  }
  out += '\n';
  const batched = rows[0]!;
  const peer = rows[1];
  const batchedRate = billedPerSecond(batched.outcome);
  out += `batched CrawlBilled/s: ${fixed(batchedRate, 0)} (target >= ${TARGET_BILLED_PER_SECOND})${verdict(batchedRate, TARGET_BILLED_PER_SECOND)}\n`;
  if (peer) {
    const peerRate = billedPerSecond(peer.outcome);
    out += `one-at-a-time CrawlBilled/s: ${fixed(peerRate, 1)}; batched / one-at-a-time: ${peerRate > 0 ? `${fixed(batchedRate / peerRate, 1)}x` : 'n/a (the peer billed nothing)'}\n`;
  }
  return out;
}

main().catch((error: unknown) => {
  if (interrupted) return;
  process.stderr.write(`bench:crawl failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
