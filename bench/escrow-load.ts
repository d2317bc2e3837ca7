// `npm run bench:escrow-load`: what loading one platform's escrow costs as its history grows — the whole
// stream folded from the start, against its latest snapshot plus the events after it — and how many crawls
// the state keeps (bounded by the dispute window, not by the history).
//
//   npm run bench:escrow-load -- [--bills 10000,1000000] [--spacing 60] [--tail 500] [--runs 3] [--append-batch 10000]
//
// For each --bills size, on its own fresh database `bench_<random>` (BENCH_DATABASE_URL's server, dropped at
// the end): one deposit, then that many CrawlBilled events on `escrow-bench-ai`, one every --spacing seconds
// of billing time (60 s: a week's window holds 10,080 bills), written through the PostgreSQL event store's
// appendToStream in appends of --append-batch events with the exact expected revision — the real store, its
// real event ids (crawlBilledEventId) and Avro encoding, only in larger appends than a gateway makes. The
// history is folded as it is written, and the state at --tail events before the head is snapshotted through
// the PostgreSQL snapshot store, as the stream writer would have (it snapshots every 1,000 events, so a
// real tail is shorter than 1,000). Then, --runs times each, alternating: a full fold (loadStream) and a
// snapshot + tail load (loadFromSnapshot); the median of each is printed. Both loads must give the same state
// (checked, or the bench fails).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadFromSnapshot, loadStream } from '../commands/command-core.ts';
import { crawlBilledEventId } from '../commands/crawl/crawl-commands.ts';
import { escrowDecider, escrowStateCodec, escrowStreamId, type EscrowState } from '../commands/crawl/escrow.ts';
import { encodeEvent, type EscrowEvent } from '../events-schema/index.ts';
import { migrate, openDatabase } from '../infra/db/database.ts';
import { PostgresSnapshotStore, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations } from '../infra/db/postgres-snapshot-store.ts';
import { createPostgresEventStore, migrateEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import type { EventToAppend } from '../ports/event-store.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { positiveOption, redactUrl } from './support/options.ts';
import { fixed, formatTable } from './support/table.ts';

const PLATFORM = 'bench-ai';
const STREAM = escrowStreamId(PLATFORM);
const PRICE = 300;
const PUBLISHERS = 50;
const START = Date.parse('2028-01-01T00:00:00Z');

type Options = { bills: number[]; spacingMs: number; tail: number; runs: number; appendBatch: number };
type SizeResult = {
  bills: number;
  writeSeconds: number;
  fullFoldMs: number[];
  snapshotLoadMs: number[];
  tailEvents: number;
  crawlsKept: number;
  snapshotBytes: number;
};

const logger = { warn: (details: object, message: string) => process.stderr.write(`${message} ${JSON.stringify(details)}\n`) };

function optionsOf(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      bills: { type: 'string', default: '10000,1000000' },
      spacing: { type: 'string', default: '60' },
      tail: { type: 'string', default: '500' },
      runs: { type: 'string', default: '3' },
      'append-batch': { type: 'string', default: '10000' },
    },
  });
  return {
    bills: values.bills.split(',').map((text) => positiveOption('bills', text.trim(), true)),
    spacingMs: positiveOption('spacing', values.spacing, false) * 1000,
    tail: positiveOption('tail', values.tail, true),
    runs: positiveOption('runs', values.runs, true),
    appendBatch: positiveOption('append-batch', values['append-batch'], true),
  };
}

/** The escrow's history, event by event: a deposit that covers every bill, then the bills. */
function historyEvent(index: number, bills: number, spacingMs: number): EscrowEvent {
  const deposit = bills * PRICE;
  if (index === 0) return { type: 'EscrowDeposited', data: { platformId: PLATFORM, amount: deposit, balanceAfter: deposit, depositedAt: START } };
  const bill = index - 1;
  const publisherId = `publisher-${bill % PUBLISHERS}`;
  return {
    type: 'CrawlBilled',
    data: {
      crawlId: `crawl-${bill}`,
      platformId: PLATFORM,
      publisherId,
      url: `https://${publisherId}.example/articles/${bill}`,
      bytes: 20_000 + (bill % 5_000),
      amount: PRICE,
      balanceAfter: deposit - (bill + 1) * PRICE,
      billedAt: START + (bill + 1) * spacingMs,
    },
  };
}

const toAppend = (event: EscrowEvent): EventToAppend => ({
  eventId: event.type === 'CrawlBilled' ? crawlBilledEventId(event.data.crawlId) : randomUUID(),
  type: event.type,
  data: encodeEvent(event),
  metadata: { actor: 'bench-escrow-load' },
});

/** The state as toEqual-free text: crawls in id order (a persistent map's order depends on how it was built). */
const fingerprint = (state: EscrowState) => JSON.stringify({ ...state, crawls: state.crawls.sortBy((_, crawlId) => crawlId).toArray(), billOrder: state.billOrder.toArray() });

async function measureSize(databases: BenchDatabases, bills: number, options: Options): Promise<SizeResult> {
  const bench = await databases.create();
  const db = openDatabase(bench.url);
  const store = createPostgresEventStore(db);
  try {
    await migrateEventStore(db);
    await migrate(db.knex, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations);
    const snapshots = new PostgresSnapshotStore(db.pool);
    const events = bills + 1;
    const snapshotRevision = Math.max(0, events - 1 - options.tail);

    // 1. The history, folded as it is written; the snapshot taken at its revision.
    const writeStart = performance.now();
    let state = escrowDecider.initialState();
    let snapshotBytes = 0;
    for (let first = 0; first < events; first += options.appendBatch) {
      const batch: EventToAppend[] = [];
      let snapshotState: EscrowState | undefined;
      for (let index = first; index < Math.min(events, first + options.appendBatch); index++) {
        const event = historyEvent(index, bills, options.spacingMs);
        state = escrowDecider.evolve(state, event);
        if (index === snapshotRevision) snapshotState = state;
        batch.push(toAppend(event));
      }
      await store.appendToStream(STREAM, batch, { expectedRevision: first === 0 ? 'no_stream' : first - 1 });
      if (snapshotState) {
        const encoded = escrowStateCodec.encode(snapshotState);
        snapshotBytes = Buffer.byteLength(JSON.stringify(encoded));
        await snapshots.write({ streamId: STREAM, revision: snapshotRevision, schemaVersion: escrowStateCodec.schemaVersion, state: encoded });
      }
      if (bills >= 100_000 && (first / options.appendBatch) % 20 === 19) process.stderr.write(`  ${bills} bills: ${first + batch.length} events written\n`);
    }
    const writeSeconds = (performance.now() - writeStart) / 1000;
    await db.pool.query('vacuum analyze event_log'); // as autovacuum would have after a bulk load: index-only visibility, fresh statistics

    // 2. The loads, alternating, each checked against the state written.
    const expected = fingerprint(state);
    const fullFoldMs: number[] = [];
    const snapshotLoadMs: number[] = [];
    let tailEvents = 0;
    for (let run = 0; run < options.runs; run++) {
      let started = performance.now();
      const full = await loadStream(store, escrowDecider, STREAM);
      fullFoldMs.push(performance.now() - started);
      if (full.revision !== events - 1 || fingerprint(full.state) !== expected) throw new Error(`${bills} bills: the full fold is not the state written`);

      started = performance.now();
      const fromSnapshot = await loadFromSnapshot(store, escrowDecider, STREAM, { store: snapshots, codec: escrowStateCodec, logger });
      snapshotLoadMs.push(performance.now() - started);
      if (fromSnapshot.snapshotRevision !== snapshotRevision || fingerprint(fromSnapshot.state) !== expected) {
        throw new Error(`${bills} bills: the snapshot + tail load is not the state written`);
      }
      tailEvents = fromSnapshot.recorded.length;
    }
    return { bills, writeSeconds, fullFoldMs, snapshotLoadMs, tailEvents, crawlsKept: state.crawls.size, snapshotBytes };
  } finally {
    await store.close();
    await db.close();
    await databases.drop(bench.name);
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const loadAverage = () => os.loadavg().map((load) => load.toFixed(2)).join(' / ');

async function main(): Promise<void> {
  const options = optionsOf(process.argv.slice(2));
  const server = process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_SERVER;
  const databases = new BenchDatabases(server);
  const interrupt = () => void databases.dropAll().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  process.stdout.write(
    `escrow load: ${options.bills.join(', ')} historic bills, one every ${options.spacingMs / 1000} s of billing time; snapshot ${options.tail} events before the head; ` +
      `median of ${options.runs} loads; server ${redactUrl(server)}; ${os.cpus().length} cores, load average ${loadAverage()} (1 / 5 / 15 min) at start\n`,
  );
  const results: SizeResult[] = [];
  try {
    for (const bills of options.bills) {
      process.stderr.write(`writing ${bills} bills…\n`);
      results.push(await measureSize(databases, bills, options));
    }
  } finally {
    const problems = await databases.dropAll();
    for (const problem of problems) process.stderr.write(`could not drop ${problem}\n`);
  }
  process.stdout.write(
    '\n' +
      formatTable(
        [
          { header: 'historic bills', align: 'right' },
          { header: 'written (events/s)', align: 'right' },
          { header: 'full fold (ms)', align: 'right' },
          { header: 'snapshot + tail (ms)', align: 'right' },
          { header: 'tail events', align: 'right' },
          { header: 'crawls kept', align: 'right' },
          { header: 'snapshot (KiB)', align: 'right' },
        ],
        results.map((result) => [
          result.bills.toLocaleString('en-US'),
          fixed((result.bills + 1) / result.writeSeconds, 0),
          `${fixed(median(result.fullFoldMs), 0)} (${result.fullFoldMs.map((ms) => fixed(ms, 0)).join(', ')})`,
          `${fixed(median(result.snapshotLoadMs), 1)} (${result.snapshotLoadMs.map((ms) => fixed(ms, 1)).join(', ')})`,
          result.tailEvents.toLocaleString('en-US'),
          result.crawlsKept.toLocaleString('en-US'),
          fixed(result.snapshotBytes / 1024, 0),
        ]),
      ) +
      `load average ${loadAverage()} at the end. Both loads gave the state written, every run.\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
