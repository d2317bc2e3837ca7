// Anchoring costs: gas per committed batch, and the auditor's replay (`proofline audit verify`) throughput.
//
//   node --import tsx bench/anchor.ts [--events 100000] [--streams 5000] [--batch 1000] [--page 10000]
//                                     [--runs 3] [--gas-batches 8] [--no-gas] [--json]
//
// gas     measureAnchorGas (bench/anchor-gas.ts): EventAnchor.commitBatch receipts on a fresh anvil for batches
//         of 100, 1,000 and 10,000 events.
// verify  a log of --events VoteCast events over --streams streams, appended to the PostgreSQL event store
//         (32 concurrent appenders, 10 events per append, group-committed); anchored in batches of --batch on a
//         fresh anvil (leaves and batch rows written directly, roots committed to the contract); then
//         verifyLog end to end, --runs times: read the whole log (readAll pages of --page), recompute every
//         leaf and every batch root the contract reports, compare. Reported: events/s, and the split between
//         waiting for the log (the part not hidden behind hashing: the next page is read while one is hashed)
//         and hashing (leaves and Merkle roots, keccak256 from hash-wasm).
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), dropped at the end, also on failure.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { encodeEvent, type VoteCast } from '../events-schema/index.ts';
import { openAnchorChain } from '../infra/chain/index.ts';
import { openDatabase } from '../infra/db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { startAnvil } from '../infra/local/anvil.ts';
import { verifyLog, type VerifyReport } from '../projections/anchoring/audit/verify-log.ts';
import { leavesBetween } from '../projections/anchoring/batch-store.ts';
import { anchorDirectly } from '../projections/anchoring/testing/anchor-directly.ts';
import { formatAnchorGas, measureAnchorGas, type AnchorGasResult } from './anchor-gas.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { fixed, formatTable } from './support/table.ts';

const TARGET_EVENTS_PER_SECOND = 50_000;
const APPENDERS = 32;
const EVENTS_PER_APPEND = 10;

type Options = { events: number; streams: number; batch: number; page: number; runs: number; gasBatches: number; gas: boolean; json: boolean };

type VerifyRun = Pick<VerifyReport, 'ok' | 'eventsChecked' | 'batchesChecked' | 'durationMs' | 'eventsPerSecond' | 'readMs' | 'hashMs'>;

async function appendLog(store: PostgresEventStore, options: Options): Promise<number> {
  const started = performance.now();
  const perStream = Math.ceil(options.events / options.streams);
  let nextStream = 0;
  const appender = async () => {
    while (nextStream < options.streams) {
      const stream = nextStream++;
      const count = Math.min(perStream, options.events - stream * perStream);
      for (let written = 0; written < count; written += EVENTS_PER_APPEND) {
        const events = Array.from({ length: Math.min(EVENTS_PER_APPEND, count - written) }, (_, i) => vote(stream, written + i));
        await store.appendToStream(`bench-decision-${stream}`, events);
      }
    }
  };
  await Promise.all(Array.from({ length: APPENDERS }, appender));
  return performance.now() - started;
}

function vote(stream: number, n: number) {
  const event: VoteCast = {
    type: 'VoteCast',
    data: { decisionId: `d${stream}`, voterId: `voter-${n}`, option: n % 2 ? 'yes' : 'no', voterClass: 'citizen', weight: 1, castAt: Date.UTC(2025, 0, 1) + n },
  };
  return { eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: { correlationId: randomUUID() } };
}

async function benchVerify(options: Options, out: (text: string) => void) {
  const databases = new BenchDatabases(process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_SERVER);
  const anvil = await startAnvil();
  try {
    const database = await databases.create();
    const db = openDatabase(database.url, { poolSize: 8 });
    const store = createPostgresEventStore(db);
    try {
      await migrateEventStore(db);
      const appendMs = await appendLog(store, options);
      out(`log: ${options.events} events over ${options.streams} streams appended in ${fixed(appendMs / 1000, 1)} s\n`);
      const chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, db });
      try {
        const anchoring = performance.now();
        const batches = await anchorDirectly({ db, eventStore: store, chain, batchSize: options.batch });
        out(`anchored: ${batches.length} batches of ${options.batch} in ${fixed((performance.now() - anchoring) / 1000, 1)} s\n`);
        const runs: VerifyRun[] = [];
        for (let run = 0; run < options.runs; run++) {
          const report = await verifyLog({ eventStore: store, chain, pageSize: options.page, storedLeaves: (from, to) => leavesBetween(db, from, to) });
          if (!report.ok) throw new Error(`verify found mismatches on a clean log: ${JSON.stringify(report.mismatches.slice(0, 3))}`);
          runs.push(report);
        }
        return runs;
      } finally {
        await chain.close();
      }
    } finally {
      await store.close();
      await db.close();
    }
  } finally {
    await anvil.stop();
    const problems = await databases.dropAll();
    if (problems.length > 0) process.stderr.write(`could not drop: ${problems.join('; ')}\n`);
  }
}

function renderVerify(runs: readonly VerifyRun[]): string {
  const best = Math.max(...runs.map((run) => run.eventsPerSecond));
  const table = formatTable(
    [{ header: 'run', align: 'right' }, { header: 'events', align: 'right' }, { header: 'batches', align: 'right' }, { header: 'total s', align: 'right' },
      { header: 'events/s', align: 'right' }, { header: 'waiting for log s', align: 'right' }, { header: 'hashing s', align: 'right' }],
    runs.map((run, index) => [String(index + 1), String(run.eventsChecked), String(run.batchesChecked), fixed(run.durationMs / 1000, 2),
      fixed(run.eventsPerSecond, 0), fixed(run.readMs / 1000, 2), fixed(run.hashMs / 1000, 2)]),
  );
  const verdict = best >= TARGET_EVENTS_PER_SECOND ? 'meets' : 'MISSES';
  return `${table}\nbest ${fixed(best, 0)} events/s: ${verdict} the target of ${TARGET_EVENTS_PER_SECOND} events/s\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      events: { type: 'string', default: '100000' },
      streams: { type: 'string', default: '5000' },
      batch: { type: 'string', default: '1000' },
      page: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '3' },
      'gas-batches': { type: 'string', default: '8' },
      'no-gas': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const options: Options = {
    events: Number(values.events),
    streams: Number(values.streams),
    batch: Number(values.batch),
    page: Number(values.page),
    runs: Number(values.runs),
    gasBatches: Number(values['gas-batches']),
    gas: !values['no-gas'],
    json: values.json,
  };
  const out = (text: string) => (options.json ? process.stderr : process.stdout).write(text);
  let gas: AnchorGasResult[] = [];
  if (options.gas) {
    gas = await measureAnchorGas({ batchSizes: [100, 1000, 10_000], batchesPerSize: options.gasBatches });
    out(`EventAnchor.commitBatch gas (receipts on anvil, ${options.gasBatches} batches per size)\n\n${formatAnchorGas(gas)}\n`);
  }
  const runs = await benchVerify(options, out);
  if (options.json) process.stdout.write(`${JSON.stringify({ options, gas, verify: runs })}\n`);
  else out(`\naudit verify (verifyLog end to end)\n\n${renderVerify(runs)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
