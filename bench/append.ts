// Append throughput and latency: Proofline's PostgreSQL event store against Emmett's, on the same server, in
// the same run.
//
//   npm run bench:append -- [--seconds 5] [--warmup 1] [--writers 1,8,64] [--workloads distinct,hot]
//                           [--pool 20] [--max-ops 1000000] [--json]
//
// Workloads (closed loop: each writer issues one operation, waits for it, issues the next):
//   distinct streams  W writers, each appending one VoteCast at a time to its own stream with the exact
//                     expected revision.
//   hot decision      one decision, W writers casting votes with unique voter ids.
//                     Proofline: the full command pipeline, governanceCommands(store).castVote (read the decision,
//                       read the ballot stream, decide, append the vote to its ballot stream with no_stream).
//                     Emmett, all votes on one stream: the design without ballot streams. Each writer keeps the
//                       decision's state, catches up on the events appended since it last looked, decides, and
//                       appends with the version it read; on a conflict it catches up and tries again.
//                     Emmett, per-ballot streams: the same steps and deciders as Proofline's pipeline
//                       (read decision, read ballot, decide, append to the new ballot stream).
//
// Every case runs in its own child process on its own fresh database `bench_<random>` on BENCH_DATABASE_URL's
// server (see support/isolate.ts for why); databases are dropped at the end, on failure and on Ctrl-C.
// Schema creation (Proofline migrations, Emmett's auto-migration) happens before the clock starts.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { isExpectedVersionConflictError, type Event as EmmettEvent } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { ballotDecider, ballotStreamId, type BallotState } from '../commands/governance/ballot.ts';
import { decisionDecider, decisionStreamId, type DecisionEvent, type DecisionState } from '../commands/governance/decision.ts';
import { defaultClassWeights } from '../events-schema/governance/rules.ts';
import { governanceCommands } from '../commands/governance/governance-commands.ts';
import { encodeEvent, voterClasses, type VoteCast } from '../events-schema/index.ts';
import { openDatabase } from '../infra/db/database.ts';
import { createPostgresEventStore, migrateEventStore, type AppendStats } from '../infra/eventstore/postgres/postgres-event-store.ts';
import type { ExpectedRevision } from '../ports/event-store.ts';
import { cpuBetween, sampleCpu, type CpuSample, type CpuUsageInWindow } from './support/cpu.ts';
import { benchBallotBox, benchConvener, syntheticVoterGrants } from './support/ballot-box.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { killIsolated, runIsolated } from './support/isolate.ts';
import { positiveOption, redactUrl, verdict } from './support/options.ts';
import { PoolGauge, type PoolGaugeSnapshot, type PoolUsage } from './support/pool-gauge.ts';
import { runClosedLoop, type LoadResult, type WriterOp } from './support/runner.ts';
import { StatementTrace, type StatementSnapshot } from './support/statement-trace.ts';
import { fixed, formatTable } from './support/table.ts';

const TARGET_EVENTS_PER_SECOND = 20_000;
const TARGET_RATIO = 3;
const TARGET_WRITERS = 64;
/** An Emmett one-stream vote that loses this many races in a row fails the case instead of spinning on. */
const MAX_CONFLICT_RETRIES = 10_000;

type Workload = 'distinct' | 'hot';
type Variant = 'proofline' | 'emmett' | 'emmett-one-stream' | 'emmett-ballots';

const WORKLOAD_LABEL: Record<Workload, string> = { distinct: 'distinct streams', hot: 'hot decision' };
const VARIANT_LABEL: Record<Variant, string> = {
  proofline: 'Proofline',
  emmett: 'Emmett',
  'emmett-one-stream': 'Emmett, all votes on one stream',
  'emmett-ballots': 'Emmett, per-ballot streams',
};
const VARIANTS: Record<Workload, Variant[]> = { distinct: ['proofline', 'emmett'], hot: ['proofline', 'emmett-one-stream', 'emmett-ballots'] };

type CaseSpec = {
  workload: Workload;
  variant: Variant;
  writers: number;
  url: string;
  warmupMs: number;
  durationMs: number;
  poolSize: number;
  maxOpsPerWriter: number;
};

type CaseResult = LoadResult & {
  workload: Workload;
  variant: Variant;
  setupMs: number;
  /** Queries in the measured window, by statement. */
  statements: StatementSnapshot;
  /** Proofline only: group-commit counters in the measured window. */
  appendStats?: AppendStats;
  cpu: CpuUsageInWindow;
  /** The store's connection pool: connections checked out and callers queued for one, on average. */
  pool: PoolUsage;
  /** How late this process's event loop ran timers during the window. */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
};

// ---------------------------------------------------------------------------------------------------------------
// Child side: one case, one store, one database.

type StoreProbe = { statements: StatementSnapshot; appendStats?: AppendStats };
type Probe = StoreProbe & { cpu: CpuSample; pool: PoolGaugeSnapshot };

type PreparedCase = {
  makeWriter(writerIndex: number): WriterOp;
  probe(): StoreProbe;
  gauge: PoolGauge;
  close(): Promise<void>;
};

async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const setupStarted = performance.now();
  const prepared = spec.variant === 'proofline' ? await prepareProofline(spec) : await prepareEmmett(spec);
  const setupMs = performance.now() - setupStarted;
  try {
    const probe = (): Probe => ({ ...prepared.probe(), cpu: sampleCpu(), pool: prepared.gauge.snapshot() });
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    let before: Probe | undefined;
    let after: Probe | undefined;
    const load = await runClosedLoop(prepared.makeWriter, {
      writers: spec.writers,
      warmupMs: spec.warmupMs,
      durationMs: spec.durationMs,
      maxOpsPerWriter: spec.maxOpsPerWriter,
      onWindowStart: () => {
        before = probe();
        loopDelay.enable();
      },
      onWindowEnd: () => {
        loopDelay.disable();
        after = probe();
      },
    });
    const end = after ?? probe();
    const start = before ?? end;
    const ms = (nanoseconds: number) => nanoseconds / 1e6;
    return {
      ...load,
      workload: spec.workload,
      variant: spec.variant,
      setupMs,
      statements: StatementTrace.difference(end.statements, start.statements),
      ...(end.appendStats ? { appendStats: differenceOfStats(end.appendStats, start.appendStats) } : {}),
      cpu: cpuBetween(start.cpu, end.cpu),
      pool: prepared.gauge.usageBetween(start.pool, end.pool),
      eventLoopDelay: { p50Ms: ms(loopDelay.percentile(50)), p99Ms: ms(loopDelay.percentile(99)), maxMs: ms(loopDelay.max) },
    };
  } finally {
    prepared.gauge.stop();
    await prepared.close();
  }
}

/** A realistic VoteCast for writer w's n-th event. */
function voteCast(decisionId: string, voterId: string, sequence: number): VoteCast {
  const voterClass = voterClasses[sequence % voterClasses.length]!;
  return {
    type: 'VoteCast',
    data: { decisionId, voterId, option: OPTIONS[sequence % OPTIONS.length]!, voterClass, weight: defaultClassWeights[voterClass], castAt: Date.now() },
  };
}

const OPTIONS = ['restore the wetland', 'build the levee', 'do nothing'];
const DECISION_TITLE = 'River basin flood plan 2026';

async function prepareProofline(spec: CaseSpec): Promise<PreparedCase> {
  const db = openDatabase(spec.url, { poolSize: spec.poolSize });
  const trace = new StatementTrace().attach(db.pool);
  const gauge = new PoolGauge(db.pool);
  await migrateEventStore(db);
  const store = createPostgresEventStore(db);
  const probe = () => ({ statements: trace.snapshot(), appendStats: store.appendStats() });
  const close = async () => {
    await store.close();
    await db.close();
  };
  const runId = randomUUID().slice(0, 8);

  if (spec.workload === 'distinct') {
    return {
      probe,
      gauge,
      close,
      makeWriter(writerIndex) {
        const streamId = `vote-${runId}-w${writerIndex}`;
        let expectedRevision: ExpectedRevision = 'no_stream';
        return async (sequence) => {
          const event = voteCast(`d-${runId}`, `w${writerIndex}-v${sequence}`, sequence);
          const result = await store.appendToStream(streamId, [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: {} }], {
            expectedRevision,
          });
          expectedRevision = result.nextExpectedRevision;
          return { events: 1 };
        };
      },
    };
  }

  const commands = governanceCommands(store, { grantsOf: syntheticVoterGrants });
  const { decisionId } = await commands.createDecision({ decisionId: `d-${runId}`, title: DECISION_TITLE, options: OPTIONS }, benchConvener);
  return {
    probe,
    gauge,
    close,
    makeWriter(writerIndex) {
      return async (sequence) => {
        const vote = voteCast(decisionId, `w${writerIndex}-v${sequence}`, sequence).data;
        // The ballot box names the voter; its class (voterClasses[sequence % 3], as in voteCast) comes from its grants.
        await commands.castVote(decisionId, { voterId: vote.voterId, option: vote.option }, benchBallotBox);
        return { events: 1 };
      };
    },
  };
}

type ReadVoteOrDecision = DecisionEvent | VoteCast;

async function prepareEmmett(spec: CaseSpec): Promise<PreparedCase> {
  // Our own pool, so that both stores get the same number of connections (Emmett's default pg pool has 10).
  const pool = new pg.Pool({ connectionString: spec.url, max: spec.poolSize });
  pool.on('error', () => {});
  const trace = new StatementTrace().attach(pool);
  const gauge = new PoolGauge(pool);
  const store = getPostgreSQLEventStore(spec.url, { connectionOptions: { pool } });
  await store.schema.migrate(); // what the first append would do otherwise; not part of the measurement
  const probe = () => ({ statements: trace.snapshot() });
  const close = async () => {
    await store.close(); // releases Emmett's handle; the pool is ours to end
    await pool.end();
  };
  const runId = randomUUID().slice(0, 8);

  if (spec.workload === 'distinct') {
    return {
      probe,
      gauge,
      close,
      makeWriter(writerIndex) {
        const streamName = `vote-${runId}-w${writerIndex}`;
        let version = 0n; // Emmett: 0 = no stream yet; n = the stream holds n events
        return async (sequence) => {
          const event = voteCast(`d-${runId}`, `w${writerIndex}-v${sequence}`, sequence);
          const result = await store.appendToStream(streamName, [asEmmett(event)], { expectedStreamVersion: version });
          version = result.nextExpectedStreamVersion;
          return { events: 1 };
        };
      },
    };
  }

  const decisionId = `d-${runId}`;
  const decisionStream = decisionStreamId(decisionId);
  const [created] = decisionDecider.decide(
    { type: 'CreateDecision', data: { decisionId, title: DECISION_TITLE, options: OPTIONS, closesAt: null, now: Date.now(), createdBy: 'bench:convener' } },
    decisionDecider.initialState(),
  );
  await store.appendToStream(decisionStream, [asEmmett(created!)], { expectedStreamVersion: 0n });

  if (spec.variant === 'emmett-ballots') {
    return {
      probe,
      gauge,
      close,
      makeWriter(writerIndex) {
        return async (sequence) => {
          const vote = voteCast(decisionId, `w${writerIndex}-v${sequence}`, sequence).data;
          const decisionRead = await store.readStream<DecisionEvent>(decisionStream);
          const decision = decisionRead.events.reduce(decisionDecider.evolve, decisionDecider.initialState());
          const ballotStream = ballotStreamId(decisionId, vote.voterId);
          const ballotRead = await store.readStream<VoteCast>(ballotStream);
          const ballot = ballotRead.events.reduce(ballotDecider.evolve, ballotDecider.initialState());
          const events = ballotDecider.decide(
            { type: 'CastVote', data: { decisionId, voterId: vote.voterId, option: vote.option, voterClass: vote.voterClass, now: Date.now(), decision } },
            ballot,
          );
          // 0n, not STREAM_DOES_NOT_EXIST: emmett-postgresql 0.42 maps the latter to "no check" (NULL expected
          // position), whereas 0n makes the append fail if the ballot stream exists, as Proofline's no_stream does.
          await store.appendToStream(ballotStream, events.map(asEmmett), { expectedStreamVersion: ballotRead.currentStreamVersion });
          return { events: events.length };
        };
      },
    };
  }

  return {
    probe,
    gauge,
    close,
    makeWriter(writerIndex) {
      // This writer's view of the decision stream: its state as of `version`.
      let version = 0n;
      let decision: DecisionState = decisionDecider.initialState();
      const voters = new Map<string, string>();
      const apply = (event: ReadVoteOrDecision) => {
        if (event.type === 'VoteCast') voters.set(event.data.voterId, event.data.option);
        else decision = decisionDecider.evolve(decision, event);
      };
      return async (sequence) => {
        const vote = voteCast(decisionId, `w${writerIndex}-v${sequence}`, sequence).data;
        for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
          const { events: news } = await store.readStream<ReadVoteOrDecision>(decisionStream, { from: version + 1n });
          for (const event of news) {
            apply(event);
            version = event.metadata.streamPosition;
          }
          const option = voters.get(vote.voterId);
          const ballot: BallotState = option === undefined ? { voted: false } : { voted: true, option };
          const events = ballotDecider.decide(
            { type: 'CastVote', data: { decisionId, voterId: vote.voterId, option: vote.option, voterClass: vote.voterClass, now: Date.now(), decision } },
            ballot,
          );
          try {
            const result = await store.appendToStream(decisionStream, events.map(asEmmett), { expectedStreamVersion: version });
            events.forEach(apply);
            version = result.nextExpectedStreamVersion;
            return { events: events.length, conflicts: attempt };
          } catch (error) {
            if (!isExpectedVersionConflictError(error)) throw error;
          }
        }
        throw new Error(`voter ${vote.voterId} lost ${MAX_CONFLICT_RETRIES} optimistic-concurrency races in a row on ${decisionStream}`);
      };
    },
  };
}

/** The same event for Emmett: its data stored as JSON, its type as the message type. */
function asEmmett<E extends { type: string; data: object }>(event: E): EmmettEvent<E['type'], E['data'] & Record<string, unknown>> {
  return { type: event.type, data: event.data as E['data'] & Record<string, unknown> };
}

/** Counter by counter, what happened between two snapshots of appendStats(). */
function differenceOfStats(after: AppendStats, before: AppendStats | undefined): AppendStats {
  if (!before) return after;
  const result: Record<string, unknown> = { ...after };
  for (const [key, value] of Object.entries(after)) {
    const earlier = (before as Record<string, unknown>)[key];
    if (typeof value === 'number' && typeof earlier === 'number') result[key] = value - earlier;
  }
  return result as AppendStats;
}

// ---------------------------------------------------------------------------------------------------------------
// Parent side: the cases, their databases, the report.

type Options = {
  seconds: number;
  warmupSeconds: number;
  writers: number[];
  workloads: Workload[];
  poolSize: number;
  maxOpsPerWriter: number;
  json: boolean;
  serverUrl: string;
};

function parseOptions(argv: string[]): Options & { run?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      writers: { type: 'string', default: '1,8,64' },
      workloads: { type: 'string', default: 'distinct,hot' },
      pool: { type: 'string', default: '20' },
      'max-ops': { type: 'string', default: '1000000' },
      json: { type: 'boolean', default: false },
      run: { type: 'string' },
    },
    strict: true,
  });
  const workloads = values.workloads.split(',').map((name) => name.trim());
  for (const name of workloads) if (name !== 'distinct' && name !== 'hot') throw new Error(`--workloads: unknown workload ${JSON.stringify(name)} (distinct, hot)`);
  return {
    seconds: positiveOption('seconds', values.seconds, false),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    writers: values.writers.split(',').map((text) => positiveOption('writers', text.trim(), true)),
    workloads: workloads as Workload[],
    poolSize: positiveOption('pool', values.pool, true),
    maxOpsPerWriter: positiveOption('max-ops', values['max-ops'], true),
    json: values.json,
    serverUrl: process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values.run === undefined ? {} : { run: values.run }),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.run !== undefined) {
    try {
      const result = await runCase(JSON.parse(options.run) as CaseSpec);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      // A store that failed half-way may hold pool connections that would keep this process alive.
      process.stderr.write(`benchmark case failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    }
    return;
  }

  const databases = new BenchDatabases(options.serverUrl);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping, dropping benchmark databases…\n`);
    killIsolated();
    void databases.dropAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: CaseResult[] = [];
  try {
    for (const workload of options.workloads) {
      for (const writers of options.writers) {
        for (const variant of VARIANTS[workload]) {
          if (interrupted) return;
          progress(options, `${WORKLOAD_LABEL[workload]}, ${writers} writer(s), ${VARIANT_LABEL[variant]}… `);
          const database = await databases.create();
          try {
            const spec: CaseSpec = {
              workload,
              variant,
              writers,
              url: database.url,
              warmupMs: options.warmupSeconds * 1000,
              durationMs: options.seconds * 1000,
              poolSize: options.poolSize,
              maxOpsPerWriter: options.maxOpsPerWriter,
            };
            const result = await runIsolated<CaseResult>(fileURLToPath(import.meta.url), ['--run', JSON.stringify(spec)], {
              cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
              timeoutMs: spec.warmupMs + spec.durationMs + 120_000,
            });
            results.push(result);
            progress(options, `${fixed(result.eventsPerSecond, 0)} events/s\n`);
          } finally {
            await databases.drop(database.name);
          }
        }
      }
    }
  } finally {
    const problems = await databases.dropAll();
    for (const problem of problems) process.stderr.write(`could not drop benchmark database ${problem}\n`);
  }

  const report = buildReport(results);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ options: { ...options, serverUrl: redactUrl(options.serverUrl) }, ...report }, null, 2)}\n`);
  } else {
    process.stdout.write(renderReport(options, report));
  }
}

/** Set on SIGINT/SIGTERM: no new case starts, and the failure of the killed one is not reported. */
let interrupted = false;

function progress(options: Options, text: string): void {
  if (!options.json) process.stderr.write(text);
}

type ReportRow = {
  workload: Workload;
  writers: number;
  store: string;
  variant: Variant;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Emmett rows: Proofline's events/s over this row's, same workload and writers. */
  prooflineRatio?: number;
  conflictsPerEvent?: number;
  capped: boolean;
  result: CaseResult;
};

type Report = {
  rows: ReportRow[];
  targets: { distinctEventsPerSecond?: number; ratioVsEmmett?: number; writers: number };
};

function buildReport(results: readonly CaseResult[]): Report {
  const rows = results.map((result): ReportRow => {
    const proofline = results.find((other) => other.workload === result.workload && other.writers === result.writers && other.variant === 'proofline');
    return {
      workload: result.workload,
      writers: result.writers,
      store: VARIANT_LABEL[result.variant],
      variant: result.variant,
      eventsPerSecond: result.eventsPerSecond,
      p50Ms: result.latency.p50Ms,
      p99Ms: result.latency.p99Ms,
      ...(result.variant !== 'proofline' && proofline && result.eventsPerSecond > 0 ? { prooflineRatio: proofline.eventsPerSecond / result.eventsPerSecond } : {}),
      ...(result.conflicts > 0 ? { conflictsPerEvent: result.conflicts / Math.max(1, result.events) } : {}),
      capped: result.capped,
      result,
    };
  });
  const at = (variant: Variant) => rows.find((row) => row.workload === 'distinct' && row.writers === TARGET_WRITERS && row.variant === variant);
  const target = at('proofline');
  const emmett = at('emmett');
  return {
    rows,
    targets: {
      writers: TARGET_WRITERS,
      ...(target ? { distinctEventsPerSecond: target.eventsPerSecond } : {}),
      ...(emmett?.prooflineRatio !== undefined ? { ratioVsEmmett: emmett.prooflineRatio } : {}),
    },
  };
}

function renderReport(options: Options, report: Report): string {
  let out = `\nAppend benchmark: ${options.seconds} s measured after ${options.warmupSeconds} s warm-up per case, pool ${options.poolSize} connections per store, server ${redactUrl(options.serverUrl)}\n\n`;
  out += formatTable(
    [
      { header: 'workload' },
      { header: 'writers', align: 'right' },
      { header: 'store' },
      { header: 'events/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'Proofline/Emmett', align: 'right' },
      { header: 'notes' },
    ],
    report.rows.map((row) => [
      WORKLOAD_LABEL[row.workload],
      String(row.writers),
      row.store,
      fixed(row.eventsPerSecond, 0),
      fixed(row.p50Ms, 2),
      fixed(row.p99Ms, 2),
      row.prooflineRatio === undefined ? '' : `${fixed(row.prooflineRatio, 2)}x`,
      [row.conflictsPerEvent === undefined ? '' : `${fixed(row.conflictsPerEvent, 2)} conflicts/event`, row.capped ? 'CAPPED by --max-ops' : '']
        .filter(Boolean)
        .join(', '),
    ]),
  );

  out += '\nWhere the time goes (measured window). CPU in cores: the bench process / the whole machine (PostgreSQL included).\n' +
    'loop p99: event-loop delay of the bench process. Pool: mean connections checked out / callers queued for one.\n' +
    'Statements: calls/s, mean ms from call to result, busy = summed time / window (mean statements in flight).\n\n';
  out += formatTable(
    [
      { header: 'workload' },
      { header: 'writers', align: 'right' },
      { header: 'store' },
      { header: 'CPU bench/machine', align: 'right' },
      { header: 'loop p99', align: 'right' },
      { header: 'pool in use/queued', align: 'right' },
      { header: 'group commit' },
      { header: 'statements' },
    ],
    report.rows.map((row) => [
      WORKLOAD_LABEL[row.workload],
      String(row.writers),
      row.store,
      cpuSummary(row.result.cpu),
      `${fixed(row.result.eventLoopDelay.p99Ms, 1)} ms`,
      `${fixed(row.result.pool.meanInUse, 1)}/${fixed(row.result.pool.meanWaiting, 1)} of ${row.result.pool.size}`,
      groupCommitSummary(row.result),
      statementSummary(row.result),
    ]),
  );

  const { distinctEventsPerSecond, ratioVsEmmett, writers } = report.targets;
  out += '\n';
  out += `${writers} writers distinct streams: ${distinctEventsPerSecond === undefined ? 'not run' : `${fixed(distinctEventsPerSecond, 0)} events/s`} (target >= ${TARGET_EVENTS_PER_SECOND})${verdict(distinctEventsPerSecond, TARGET_EVENTS_PER_SECOND)}\n`;
  out += `ratio vs Emmett at ${writers} writers: ${ratioVsEmmett === undefined ? 'not run' : fixed(ratioVsEmmett, 2)} (target >= ${TARGET_RATIO})${verdict(ratioVsEmmett, TARGET_RATIO)}\n`;
  return out;
}

function cpuSummary(cpu: CpuUsageInWindow): string {
  const machine = cpu.machineBusyCores === undefined ? '?' : fixed(cpu.machineBusyCores, 2);
  return `${fixed(cpu.processCores, 2)}/${machine} of ${cpu.machineCores}`;
}

function groupCommitSummary(result: CaseResult): string {
  const stats = result.appendStats;
  if (!stats || stats.batches === 0) return '';
  const seconds = result.durationMs / 1000;
  // Whatever other counters the store keeps (ways through a batch, retries), shown as they are named.
  const others = Object.entries(stats)
    .filter(([key, value]) => !['batches', 'requests', 'eventsWritten'].includes(key) && typeof value === 'number' && value > 0)
    .map(([key, value]) => `${key} ${fixed(((value as number) / stats.batches) * 100, 0)}%`);
  return [`${fixed(stats.batches / seconds, 0)} batches/s`, `${fixed(stats.eventsWritten / stats.batches, 1)} events/batch`, ...others].join(', ');
}

function statementSummary(result: CaseResult): string {
  const seconds = result.durationMs / 1000;
  return Object.entries(result.statements)
    .sort(([, a], [, b]) => b.totalMs - a.totalMs)
    .slice(0, 4)
    .map(([name, stats]) => `${shortName(name)}: ${fixed(stats.count / seconds, 0)}/s ${fixed(stats.totalMs / stats.count, 2)} ms busy ${fixed(stats.totalMs / result.durationMs, 2)}`)
    .join('; ');
}

/** Readable names for the statements both stores issue most. */
function shortName(name: string): string {
  if (/^select s\.revision as current_revision/i.test(name)) return 'readStream';
  if (/^select \(select last_lsn from event_log_head\) as head_lsn/i.test(name)) return 'read_log_state';
  if (/^SELECT stream_id, stream_position/.test(name)) return 'readStream';
  if (/^SELECT \* FROM emt_append_to_stream/.test(name)) return 'emt_append_to_stream';
  return name.replace(/^proofline_eventstore_/, '');
}

main().catch((error: unknown) => {
  if (interrupted) return;
  process.stderr.write(`bench:append failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
