// Read-model freshness through a real Kafka: the time from a vote command's answer to that vote being visible
// in the governance results read model, at steady vote rates, and the pipeline's throughput.
//
//   npm run bench:freshness -- [--rates 2000,5000] [--seconds 10] [--warmup 3] [--burst 50000]
//                              [--pipeline inline|child] [--max-wait 1000] [--partitions-concurrently 1]
//                              [--chunk 500] [--relay-batch 500] [--max-in-flight 2000] [--json]
//
// Pipeline: event store (PostgreSQL) → relay → Kafka → Kafka source → projection worker (governance).
//   inline  relay and worker in this process, sharing the command side's event store (as `proofline start`
//           runs them: the relay wakes on its own process's commits).
//   child   relay and worker in a child process with their own store (the relay wakes on LISTEN/NOTIFY), so
//           the load generator does not share an event loop with them.
// Load: per rate, a fresh decision; votes cast through governanceCommands(store).castVote, open loop, one
// due every 1/rate s for warm-up + measured window; at most --max-in-flight commands outstanding (votes due
// beyond that are skipped and reported). For each answer (answeredAt, lsn); a tracker polls
// watermark(db, 'governance') every 5 ms and, when it first reaches ≥ lsn, that is visibleAt.
// freshness = visibleAt − answeredAt (0 if already visible when answered). Resolution: the 5 ms poll plus one
// query round trip.
// Burst: votes appended straight to the store (ballot streams, 256 appenders) as fast as it takes them; the
// projection's throughput is its drain rate once the appends are done, and the whole burst's time to visible.
// Every phase ends by checking the decision's results count every accepted vote (no loss).
//
// Kafka: KAFKA_BROKERS if set, else a throw-away Kafka 3.9 broker (infra/local/kafka.ts). Topics use a unique
// prefix `bench_<random>` and are deleted at the end, with the consumer group. PostgreSQL: a fresh database
// `bench_<random>` on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), dropped at the
// end. Cleanup also runs on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ballotStreamId } from '../commands/governance/ballot.ts';
import { defaultClassWeights } from '../events-schema/governance/rules.ts';
import { governanceCommands } from '../commands/governance/governance-commands.ts';
import { encodeEvent, voterClasses, type VoteCast } from '../events-schema/index.ts';
import { createKafkaSource, createRelay, kafkaTopicsForEventTypes, allKafkaTopics } from '../infra/bus/kafka/index.ts';
import { openDatabase, type Database } from '../infra/db/database.ts';
import { startKafka, type KafkaHandle } from '../infra/local/kafka.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { decisionResults } from '../projections/governance/queries.ts';
import { GOVERNANCE_PROJECTION, governanceProjection } from '../projections/governance/governance-projection.ts';
import { createProjectionWorker } from '../projections/runtime/index.ts';
import { cpuBetween, sampleCpu } from './support/cpu.ts';
import { benchBallotBox, benchConvener, syntheticVoterGrants } from './support/ballot-box.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { runPaced } from './support/paced.ts';
import { epochNow, relayTraceLogger, tracedSource, type HandleRecord, type PipelineRecord, type RelayBatchRecord } from './support/pipeline-trace.ts';
import { processCoresBetween, sampleProcess } from './support/proc-cpu.ts';
import { percentile } from './support/stats.ts';
import { VisibilityTracker } from './support/visibility.ts';
import { fixed, formatTable } from './support/table.ts';

const TARGET_RATE = 5_000;
const TARGET_P99_MS = 500;
const OPTIONS = ['restore the wetland', 'build the levee', 'do nothing'];
const CATCH_UP_TIMEOUT_MS = 120_000;

type PipelineConfig = {
  url: string;
  brokers: string[];
  topicPrefix: string;
  groupId: string;
  relayBatch: number;
  maxWaitTimeInMs: number;
  partitionsConcurrently: number;
  chunkSize: number;
};

// ---------------------------------------------------------------------------------------------------------------
// The pipeline: relay + projection worker, in this process or in a child.

type RunningPipeline = { stop(): Promise<void> };

function startPipeline(config: PipelineConfig, store: PostgresEventStore, db: Database, record: (entry: PipelineRecord) => void): RunningPipeline {
  const controller = new AbortController();
  const relay = createRelay({
    eventStore: store,
    db,
    kafka: { brokers: config.brokers, clientId: 'bench-relay' },
    topicPrefix: config.topicPrefix,
    partitions: 3,
    replicationFactor: 1,
    batchSize: config.relayBatch,
    logger: relayTraceLogger(record),
  });
  const source = createKafkaSource({
    brokers: config.brokers,
    clientId: 'bench-projection',
    groupId: config.groupId,
    storeId: () => store.storeId(),
    topics: kafkaTopicsForEventTypes(governanceProjection.canHandle, config.topicPrefix),
    maxWaitTimeInMs: config.maxWaitTimeInMs,
    partitionsConsumedConcurrently: config.partitionsConcurrently,
    chunkSize: config.chunkSize,
    // One member: no other consumer to wait for on join. The default session (30 s) outlasts the burst's pause.
    rebalanceTimeout: 10_000,
  });
  const worker = createProjectionWorker({ db, projection: governanceProjection, source: tracedSource(source, record) });
  const fail = (what: string) => (error: unknown) => {
    if (controller.signal.aborted) return;
    process.stderr.write(`${what} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  };
  const running = [relay.run(controller.signal).catch(fail('relay')), worker.run(controller.signal).catch(fail('projection worker'))];
  return {
    async stop() {
      controller.abort();
      await Promise.all(running);
    },
  };
}

/** Child side of --pipeline child: runs the pipeline until told to stop, streaming its records over IPC. */
async function pipelineChild(config: PipelineConfig): Promise<void> {
  process.on('SIGINT', () => {}); // the parent stops us, after Ctrl-C too
  const db = openDatabase(config.url, { poolSize: 10 });
  const store = createPostgresEventStore(db);
  let buffer: PipelineRecord[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    process.send!({ type: 'records', records: buffer });
    buffer = [];
  };
  const flusher = setInterval(flush, 50);
  const pipeline = startPipeline(config, store, db, (entry) => buffer.push(entry));
  process.send!({ type: 'ready' });
  await new Promise<void>((resolve) => {
    process.on('message', (message: { type?: string }) => message.type === 'stop' && resolve());
    process.on('disconnect', () => resolve());
  });
  await pipeline.stop();
  clearInterval(flusher);
  flush();
  await store.close();
  await db.close();
  process.disconnect?.();
}

function spawnPipeline(config: PipelineConfig, record: (entry: PipelineRecord) => void): Promise<RunningPipeline & { pid: number | undefined }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--role', 'pipeline', '--config', JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: { type: string; records?: PipelineRecord[] }) => {
    if (message.type === 'records') for (const entry of message.records!) record(entry);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message: { type: string }) => {
      if (message.type !== 'ready') return;
      resolve({
        pid: child.pid,
        async stop() {
          if (child.exitCode === null && child.connected) child.send({ type: 'stop' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`pipeline child exited with ${code} before it was ready`)));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Phases.

type Summary = { n: number; p50: number; p99: number; max: number };

function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
}

type Cpu = { loadGenCores: number; pipelineCores?: number; kafkaCores?: number; machineBusyCores?: number; machineCores: number };

type RateResult = {
  rate: number;
  achievedRate: number;
  issued: number;
  skipped: number;
  failed: number;
  peakInFlight: number;
  commandMs: Summary;
  /** Answer time minus the time the command was due (includes time spent waiting to be sent). */
  commandFromScheduleMs: Summary;
  freshnessMs: Summary;
  stages: Record<StageName, Summary>;
  relayBatchEvents: Summary;
  handleBatchEvents: Summary;
  votesAccepted: number;
  votesInResults: number;
  cpu: Cpu;
};

type StageName = 'answer→relay send' | 'relay send→ack' | 'ack→worker handle' | 'handle→commit' | 'commit→visible';
const STAGES: StageName[] = ['answer→relay send', 'relay send→ack', 'ack→worker handle', 'handle→commit', 'commit→visible'];

type BurstResult = {
  /** The pipeline was frozen while the burst was appended (child mode). */
  pipelinePaused: boolean;
  /** Events the worker handled / wall time from its first to its last batch of the burst. */
  projectionWallEventsPerSecond: number;
  events: number;
  appendMs: number;
  appendEventsPerSecond: number;
  backlogAtAppendEnd: number;
  drainMs: number;
  drainEventsPerSecond: number;
  totalToVisibleMs: number;
  endToEndEventsPerSecond: number;
  relayEventsPerSecond: number;
  applyOnlyEventsPerSecond: number;
  votesInResults: number;
  cpu: Cpu;
};

type Context = {
  store: PostgresEventStore;
  db: Database;
  tracker: VisibilityTracker;
  relayBatches: RelayBatchRecord[];
  handles: HandleRecord[];
  pipelinePid: number | undefined;
  kafkaPid: number | undefined;
};

function cpuProbe(context: Context) {
  const start = { own: sampleCpu(), pipeline: sampleProcess(context.pipelinePid), kafka: sampleProcess(context.kafkaPid) };
  return (): Cpu => {
    const own = cpuBetween(start.own, sampleCpu());
    const pipelineCores = processCoresBetween(start.pipeline, sampleProcess(context.pipelinePid));
    const kafkaCores = processCoresBetween(start.kafka, sampleProcess(context.kafkaPid));
    return {
      loadGenCores: own.processCores,
      ...(pipelineCores !== undefined ? { pipelineCores } : {}),
      ...(kafkaCores !== undefined ? { kafkaCores } : {}),
      ...(own.machineBusyCores !== undefined ? { machineBusyCores: own.machineBusyCores } : {}),
      machineCores: own.machineCores,
    };
  };
}

async function newDecision(context: Context, label: string): Promise<string> {
  const commands = governanceCommands(context.store, { grantsOf: syntheticVoterGrants });
  const { decisionId, lsn } = await commands.createDecision({ decisionId: `bench-${label}-${randomUUID().slice(0, 8)}`, title: `Freshness ${label}`, options: OPTIONS }, benchConvener);
  await context.tracker.waitFor(lsn ?? 0, CATCH_UP_TIMEOUT_MS); // the pipeline is up and the decision is in the read model
  return decisionId;
}

async function votesInResults(context: Context, decisionId: string): Promise<number> {
  return (await decisionResults(context.db.knex, decisionId))?.votes ?? 0;
}

async function runRate(context: Context, rate: number, warmupMs: number, durationMs: number, maxInFlight: number): Promise<RateResult> {
  const decisionId = await newDecision(context, `r${rate}`);
  const commands = governanceCommands(context.store, { grantsOf: syntheticVoterGrants });
  const visibility: Array<Promise<number>> = [];
  const firstRelay = context.relayBatches.length;
  const firstHandle = context.handles.length;
  let stopCpu: (() => Cpu) | undefined;
  const cpuTimer = setTimeout(() => (stopCpu = cpuProbe(context)), warmupMs);
  const result = await runPaced({
    rate,
    durationMs: warmupMs + durationMs,
    maxInFlight,
    now: epochNow,
    op: (index) => {
      // A ballot box names voter v<index>; its class, voterClasses[index % 3], comes from its grants.
      return commands
        .castVote(decisionId, { voterId: `v${index}`, option: OPTIONS[index % OPTIONS.length]! }, benchBallotBox)
        .then(({ lsn }) => {
          if (lsn === null) throw new Error(`vote ${index} was answered without an LSN`);
          return lsn;
        });
    },
    onAnswer: (outcome) => {
      visibility[outcome.index] = context.tracker.visibleAt(outcome.value, outcome.answeredAt);
    },
  });
  clearTimeout(cpuTimer);
  const cpu = (stopCpu ?? cpuProbe(context))();
  if (result.failed > 0) process.stderr.write(`${result.failed} votes failed at ${rate}/s; first: ${(result.firstError as Error)?.message}\n`);
  const lastLsn = result.outcomes.reduce((max, o) => Math.max(max, o.value), 0);
  await context.tracker.waitFor(lastLsn, CATCH_UP_TIMEOUT_MS);
  await delay(200); // the last handle records of a child pipeline arrive over IPC

  const windowStart = result.startedAt + warmupMs;
  const measured = result.outcomes.filter((o) => o.scheduledAt >= windowStart);
  const visibleAt = new Map<number, number>();
  await Promise.all(measured.map(async (o) => visibleAt.set(o.index, await visibility[o.index]!)));

  // Where each measured vote's time went.
  const relayBatches = context.relayBatches.slice(firstRelay);
  const handles = context.handles.slice(firstHandle);
  const handleOf = new Map<number, HandleRecord>();
  for (const handle of handles) for (const lsn of handle.lsns) handleOf.set(lsn, handle);
  const stageValues: Record<StageName, number[]> = Object.fromEntries(STAGES.map((stage) => [stage, []])) as unknown as Record<StageName, number[]>;
  for (const o of measured) {
    const lsn = o.value;
    const batch = relayBatchOf(relayBatches, lsn);
    const handle = handleOf.get(lsn);
    const visible = visibleAt.get(o.index)!;
    if (!batch || !handle) continue;
    stageValues['answer→relay send'].push(batch.sentAt - o.answeredAt);
    stageValues['relay send→ack'].push(batch.ackedAt - batch.sentAt);
    stageValues['ack→worker handle'].push(handle.startedAt - batch.ackedAt);
    stageValues['handle→commit'].push(handle.committedAt - handle.startedAt);
    stageValues['commit→visible'].push(visible - handle.committedAt);
  }
  const windowSeconds = durationMs / 1000;
  return {
    rate,
    achievedRate: measured.length / windowSeconds,
    issued: result.issued,
    skipped: result.skipped,
    failed: result.failed,
    peakInFlight: result.peakInFlight,
    commandMs: summarize(measured.map((o) => o.answeredAt - o.sentAt)),
    commandFromScheduleMs: summarize(measured.map((o) => o.answeredAt - o.scheduledAt)),
    freshnessMs: summarize(measured.map((o) => Math.max(0, visibleAt.get(o.index)! - o.answeredAt))),
    stages: Object.fromEntries(STAGES.map((stage) => [stage, summarize(stageValues[stage])])) as Record<StageName, Summary>,
    relayBatchEvents: summarize(relayBatches.filter((b) => b.sentAt >= windowStart).map((b) => b.events)),
    handleBatchEvents: summarize(handles.filter((h) => h.startedAt >= windowStart && h.lsns.length > 0).map((h) => h.lsns.length)),
    votesAccepted: result.outcomes.length,
    votesInResults: await votesInResults(context, decisionId),
    cpu,
  };
}

function relayBatchOf(batches: readonly RelayBatchRecord[], lsn: number): RelayBatchRecord | undefined {
  let low = 0;
  let high = batches.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const batch = batches[middle]!;
    if (lsn < batch.firstLsn) high = middle - 1;
    else if (lsn > batch.lastLsn) low = middle + 1;
    else return batch;
  }
  return undefined;
}

async function runBurst(context: Context, events: number): Promise<BurstResult> {
  const decisionId = await newDecision(context, 'burst');
  const firstRelay = context.relayBatches.length;
  const firstHandle = context.handles.length;
  const stopCpu = cpuProbe(context);
  const startedAt = epochNow();
  // Child pipeline: frozen (SIGSTOP) while the burst is appended, so the drain afterwards has the machine to
  // itself and starts from a real backlog; inline, it runs alongside the appends.
  const paused = context.pipelinePid !== undefined;
  if (paused) process.kill(context.pipelinePid!, 'SIGSTOP');
  let next = 0;
  let lastLsn = 0;
  const appender = async () => {
    while (next < events) {
      const index = next++;
      const voterClass = voterClasses[index % voterClasses.length]!;
      const voterId = `burst-${index}`;
      const event: VoteCast = {
        type: 'VoteCast',
        data: { decisionId, voterId, option: OPTIONS[index % OPTIONS.length]!, voterClass, weight: defaultClassWeights[voterClass], castAt: Date.now() },
      };
      const result = await context.store.appendToStream(ballotStreamId(decisionId, voterId), [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: {} }], {
        expectedRevision: 'no_stream',
      });
      lastLsn = Math.max(lastLsn, result.lastLsn);
    }
  };
  try {
    await Promise.all(Array.from({ length: 256 }, appender));
  } finally {
    if (paused) process.kill(context.pipelinePid!, 'SIGCONT');
  }
  const appendedAt = epochNow();
  const caughtUpAt = await context.tracker.waitFor(lastLsn, CATCH_UP_TIMEOUT_MS);
  const cpu = stopCpu();
  await delay(200);
  const backlog = lastLsn - context.tracker.watermarkAt(appendedAt);
  const relayBatches = context.relayBatches.slice(firstRelay).filter((b) => b.sentAt >= startedAt);
  const handles = context.handles.slice(firstHandle).filter((h) => h.startedAt >= startedAt);
  const relayEvents = relayBatches.reduce((sum, b) => sum + b.events, 0);
  const relaySpan = relayBatches.length ? relayBatches[relayBatches.length - 1]!.ackedAt - relayBatches[0]!.sentAt : Number.NaN;
  const applied = handles.reduce((sum, h) => sum + h.lsns.length, 0);
  const handleMs = handles.reduce((sum, h) => sum + (h.committedAt - h.startedAt), 0);
  const handleSpan = handles.length ? handles[handles.length - 1]!.committedAt - handles[0]!.startedAt : Number.NaN;
  const drainMs = caughtUpAt - appendedAt;
  return {
    pipelinePaused: paused,
    projectionWallEventsPerSecond: applied / (handleSpan / 1000),
    events,
    appendMs: appendedAt - startedAt,
    appendEventsPerSecond: events / ((appendedAt - startedAt) / 1000),
    backlogAtAppendEnd: backlog,
    drainMs,
    drainEventsPerSecond: backlog / (drainMs / 1000),
    totalToVisibleMs: caughtUpAt - startedAt,
    endToEndEventsPerSecond: events / ((caughtUpAt - startedAt) / 1000),
    relayEventsPerSecond: relayEvents / (relaySpan / 1000),
    applyOnlyEventsPerSecond: applied / (handleMs / 1000),
    votesInResults: await votesInResults(context, decisionId),
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Main.

type Cleanup = { name: string; run: () => Promise<unknown> };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      config: { type: 'string' },
      rates: { type: 'string', default: '2000,5000' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      burst: { type: 'string', default: '50000' },
      pipeline: { type: 'string', default: 'child' },
      'max-wait': { type: 'string', default: '1000' },
      'partitions-concurrently': { type: 'string', default: '1' },
      chunk: { type: 'string', default: '500' },
      'relay-batch': { type: 'string', default: '500' },
      'max-in-flight': { type: 'string', default: '2000' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.role === 'pipeline') return pipelineChild(JSON.parse(values.config!) as PipelineConfig);

  const rates = values.rates.split(',').map(Number);
  const durationMs = Number(values.seconds) * 1000;
  const warmupMs = Number(values.warmup) * 1000;
  const burst = Number(values.burst);
  const maxInFlight = Number(values['max-in-flight']);
  const mode = values.pipeline === 'inline' ? 'inline' : 'child';
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cleanups: Cleanup[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const { name, run } of cleanups.reverse()) {
        await run().catch((error: unknown) => log(`cleanup ${name}: ${(error as Error).message}`));
      }
    })());
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    const databases = new BenchDatabases(process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_SERVER);
    cleanups.push({ name: 'databases', run: () => databases.dropAll() });
    const database = await databases.create();

    let kafka: KafkaHandle | undefined;
    let brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
    if (brokers.length === 0) {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-bench-kafka-'));
      cleanups.push({ name: 'kafka data', run: () => rm(dataDir, { recursive: true, force: true }) });
      const started = performance.now();
      kafka = await startKafka({ dataDir, heap: '1g' });
      cleanups.push({ name: 'kafka', run: () => kafka!.stop() });
      brokers = kafka.brokers;
      log(`Kafka ${kafka.version} on ${brokers.join(',')} in ${Math.round(performance.now() - started)} ms`);
    }
    const topicPrefix = `bench_${randomBytes(4).toString('hex')}`;
    const config: PipelineConfig = {
      url: database.url,
      brokers,
      topicPrefix,
      groupId: `${topicPrefix}.${GOVERNANCE_PROJECTION}`,
      relayBatch: Number(values['relay-batch']),
      maxWaitTimeInMs: Number(values['max-wait']),
      partitionsConcurrently: Number(values['partitions-concurrently']),
      chunkSize: Number(values.chunk),
    };
    cleanups.push({ name: 'topics', run: () => deleteTopicsAndGroup(brokers, allKafkaTopics(topicPrefix), config.groupId) });

    const db = openDatabase(database.url, { poolSize: 20 });
    cleanups.push({ name: 'database pool', run: () => db.close() });
    await migrateEventStore(db);
    const store = createPostgresEventStore(db);
    cleanups.push({ name: 'event store', run: () => store.close() });
    const trackerDb = openDatabase(database.url, { poolSize: 2 });
    cleanups.push({ name: 'tracker pool', run: () => trackerDb.close() });
    const tracker = new VisibilityTracker(trackerDb, GOVERNANCE_PROJECTION);
    cleanups.push({ name: 'tracker', run: () => tracker.stop() });

    const relayBatches: RelayBatchRecord[] = [];
    const handles: HandleRecord[] = [];
    const record = (entry: PipelineRecord) => (entry.kind === 'relay' ? relayBatches.push(entry) : handles.push(entry));
    let pipelinePid: number | undefined;
    if (mode === 'child') {
      const pipeline = await spawnPipeline(config, record);
      pipelinePid = pipeline.pid;
      cleanups.push({ name: 'pipeline', run: () => pipeline.stop() });
    } else {
      const pipeline = startPipeline(config, store, db, record);
      cleanups.push({ name: 'pipeline', run: () => pipeline.stop() });
    }
    const context: Context = { store, db, tracker, relayBatches, handles, pipelinePid, kafkaPid: kafka?.pid };

    log(`pipeline ${mode}; waiting for the projection to come up`);
    const results: RateResult[] = [];
    for (const rate of rates) {
      log(`${rate} votes/s: ${warmupMs / 1000} s warm-up + ${durationMs / 1000} s`);
      results.push(await runRate(context, rate, warmupMs, durationMs, maxInFlight));
    }
    log(`burst of ${burst} votes`);
    const burstResult = burst > 0 ? await runBurst(context, burst) : undefined;

    report({ mode, config, rates: results, burst: burstResult, warmupMs, durationMs, maxInFlight, json: values.json });
  } finally {
    await cleanup();
  }
}

async function deleteTopicsAndGroup(brokers: string[], topics: string[], groupId: string): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'bench-cleanup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((topic) => existing.has(topic));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 10_000 });
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report.

function report(input: {
  mode: string;
  config: PipelineConfig;
  rates: RateResult[];
  burst: BurstResult | undefined;
  warmupMs: number;
  durationMs: number;
  maxInFlight: number;
  json: boolean;
}): void {
  const { rates, burst, config } = input;
  const out = (text: string) => process.stdout.write(text);
  if (input.json) {
    out(`${JSON.stringify({ ...input, json: undefined })}\n`);
    return;
  }
  const ms = (value: number) => fixed(value, 1);
  const cores = (value: number | undefined) => fixed(value, 2);
  out(
    `\nRead-model freshness through Kafka (pipeline ${input.mode}; relay batch ≤ ${config.relayBatch}, source maxWaitTimeInMs ${config.maxWaitTimeInMs}, ` +
      `partitionsConsumedConcurrently ${config.partitionsConcurrently}, chunk ${config.chunkSize}; ${input.warmupMs / 1000} s warm-up + ${input.durationMs / 1000} s per rate, ` +
      `≤ ${input.maxInFlight} commands in flight)\n\n`,
  );
  out(
    formatTable(
      [
        { header: 'target/s' },
        { header: 'achieved/s', align: 'right' },
        { header: 'skipped', align: 'right' },
        { header: 'cmd p50', align: 'right' },
        { header: 'cmd p99', align: 'right' },
        { header: 'fresh p50', align: 'right' },
        { header: 'fresh p99', align: 'right' },
        { header: 'fresh max', align: 'right' },
        { header: 'results/accepted', align: 'right' },
        { header: 'cpu gen', align: 'right' },
        { header: 'cpu pipe', align: 'right' },
        { header: 'cpu kafka', align: 'right' },
        { header: 'machine', align: 'right' },
      ],
      rates.map((r) => [
        String(r.rate),
        fixed(r.achievedRate, 0),
        String(r.skipped),
        ms(r.commandMs.p50),
        ms(r.commandMs.p99),
        ms(r.freshnessMs.p50),
        ms(r.freshnessMs.p99),
        ms(r.freshnessMs.max),
        `${r.votesInResults}/${r.votesAccepted}`,
        cores(r.cpu.loadGenCores),
        cores(r.cpu.pipelineCores),
        cores(r.cpu.kafkaCores),
        `${cores(r.cpu.machineBusyCores)}/${r.cpu.machineCores}`,
      ]),
    ),
  );
  out('\nWhere freshness goes, per vote (ms, p50 / p99):\n\n');
  out(
    formatTable(
      [{ header: 'target/s' }, ...STAGES.map((stage) => ({ header: stage, align: 'right' as const })), { header: 'relay batch ev p50/p99', align: 'right' }, { header: 'handle batch ev p50/p99', align: 'right' }],
      rates.map((r) => [
        String(r.rate),
        ...STAGES.map((stage) => `${ms(r.stages[stage].p50)} / ${ms(r.stages[stage].p99)}`),
        `${fixed(r.relayBatchEvents.p50, 0)} / ${fixed(r.relayBatchEvents.p99, 0)}`,
        `${fixed(r.handleBatchEvents.p50, 0)} / ${fixed(r.handleBatchEvents.p99, 0)}`,
      ]),
    ),
  );
  out(
    '  answer→relay send: subscription wake + read + batch cut; send→ack: produce (acks=all) incl. watermarks; ack→worker handle: consumer fetch + ' +
      'waiting behind other partitions; handle→commit: the projection transaction; commit→visible: min over partitions + 5 ms poll.\n',
  );
  if (burst) {
    out(
      `\nProjection throughput: burst of ${burst.events} votes appended as fast as the store takes them` +
        `${burst.pipelinePaused ? ' while the pipeline process is frozen (SIGSTOP), then released' : ' while the pipeline runs'}\n\n`,
    );
    out(
      formatTable(
        [
          { header: 'append ev/s', align: 'right' },
          { header: 'backlog at append end', align: 'right' },
          { header: 'drain ev/s', align: 'right' },
          { header: 'end-to-end ev/s', align: 'right' },
          { header: 'all visible after ms', align: 'right' },
          { header: 'relay ev/s', align: 'right' },
          { header: 'projection ev/s', align: 'right' },
          { header: 'apply-only ev/s', align: 'right' },
          { header: 'results/appended', align: 'right' },
          { header: 'cpu gen', align: 'right' },
          { header: 'cpu pipe', align: 'right' },
          { header: 'cpu kafka', align: 'right' },
          { header: 'machine', align: 'right' },
        ],
        [
          [
            fixed(burst.appendEventsPerSecond, 0),
            String(burst.backlogAtAppendEnd),
            fixed(burst.drainEventsPerSecond, 0),
            fixed(burst.endToEndEventsPerSecond, 0),
            fixed(burst.totalToVisibleMs, 0),
            fixed(burst.relayEventsPerSecond, 0),
            fixed(burst.projectionWallEventsPerSecond, 0),
            fixed(burst.applyOnlyEventsPerSecond, 0),
            `${burst.votesInResults}/${burst.events}`,
            cores(burst.cpu.loadGenCores),
            cores(burst.cpu.pipelineCores),
            cores(burst.cpu.kafkaCores),
            `${cores(burst.cpu.machineBusyCores)}/${burst.cpu.machineCores}`,
          ],
        ],
      ),
    );
    out(
      '  drain = backlog left when the appends finished / time until the watermark covers it (relay + Kafka + projection); projection = events handled / wall time ' +
        'from the first to the last handled batch; apply-only = events / time inside handle (the projection transactions alone).\n',
    );
  }
  out('\n');
  for (const r of rates) {
    const lossless = r.votesInResults === r.votesAccepted;
    const verdict = r.rate >= TARGET_RATE ? (r.freshnessMs.p99 <= TARGET_P99_MS && lossless && r.skipped === 0 ? 'PASS' : 'FAIL') : 'info';
    out(
      `${verdict}  ${r.rate} votes/s: freshness p99 ${ms(r.freshnessMs.p99)} ms (target ≤ ${TARGET_P99_MS} ms at ${TARGET_RATE}/s), ` +
        `achieved ${fixed(r.achievedRate, 0)}/s, ${r.skipped} skipped, ${lossless ? 'no loss' : `LOSS: ${r.votesInResults} in results of ${r.votesAccepted} accepted`}\n`,
    );
  }
  if (burst) {
    out(
      `info  projection throughput: drain ${fixed(burst.drainEventsPerSecond, 0)} events/s, projection ${fixed(burst.projectionWallEventsPerSecond, 0)} events/s, end-to-end ${fixed(burst.endToEndEventsPerSecond, 0)} events/s, ` +
        `${burst.votesInResults === burst.events ? 'no loss' : `LOSS: ${burst.votesInResults}/${burst.events}`}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
