// An escrow loaded from its latest snapshot and the bills after it, on the real PostgreSQL event and snapshot
// stores: the crawl use cases take snapshots as bills arrive (every 500 events here), a load from any
// snapshot plus its tail is the state a fold from the start gives, a snapshot of another schema version (or
// one that does not decode, or is ahead of its stream) is ignored, and a process that starts from a snapshot
// decides the next commands as one that folded everything — a crawl forgotten by the state included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, type EscrowEvent } from '../../events-schema/index.ts';
import { DISPUTE_WINDOW_MS } from '../../events-schema/crawl/rules.ts';
import { loadConfig } from '../../infra/config.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { PostgresSnapshotStore, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations } from '../../infra/db/postgres-snapshot-store.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { loadFromSnapshot, loadStream, type SnapshotLogger } from '../command-core.ts';
import { DomainError } from '../decider.ts';
import { crawlCommands, type CrawlCommands } from './crawl-commands.ts';
import { escrowDecider, escrowStateCodec, escrowStreamId, type EscrowState } from './escrow.ts';

const HOUR = 3_600_000;
const START = Date.parse('2030-03-01T00:00:00Z');
const BILLS = 2_400;
const BILLS_AT_ONCE = 40; // one batch, one append: the clock moves 6 h between batches, 15 days in all
const SNAPSHOT_EVERY = 500;
const STREAM = escrowStreamId('ai');

let database: TestDatabase;
let db: Database;
let eventStore: EventStore;
let snapshots: PostgresSnapshotStore;
let now = START;
const warnings: object[] = [];
const logger: SnapshotLogger = { warn: (details) => void warnings.push(details) };
const context = { metadata: { actor: 'snapshot-test' }, actor: { subject: 'snapshot-test', grants: [{ role: 'admin' as const }] } };
const crawl = (crawlId: string) => ({ crawlId, platformId: 'ai', publisherId: 'news', url: `https://news.example/${crawlId}`, bytes: 2048 });
const withSnapshots = () => ({ store: snapshots, codec: escrowStateCodec, logger });
const commandsAt = () => crawlCommands(eventStore, () => now, { snapshots: { store: snapshots, logger, everyEvents: SNAPSHOT_EVERY } });
/** The escrow state in a form toEqual compares: crawls in id order (a persistent map's order depends on how it was built). */
const comparable = (state: EscrowState) => ({ ...state, crawls: state.crawls.sortBy((_, crawlId) => crawlId).toArray(), billOrder: state.billOrder.toArray() });

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  await migrate(db.knex, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations);
  snapshots = new PostgresSnapshotStore(db.pool);

  const commands = commandsAt();
  await commands.registerParticipant({ participantId: 'news', role: 'publisher', name: 'News' }, context);
  await commands.registerParticipant({ participantId: 'ai', role: 'platform', name: 'AI' }, context);
  await commands.setPrice('news', { pricePerCrawl: 7 }, context);
  await commands.deposit('ai', { amount: 1_000_000 }, context);
  for (let first = 0; first < BILLS; first += BILLS_AT_ONCE) {
    now += 6 * HOUR;
    await Promise.all(Array.from({ length: BILLS_AT_ONCE }, (_, index) => commands.billCrawl(crawl(`c-${first + index}`), context)));
  }
  // Taken after the callers are answered: wait for the one due after the last append.
  await waitFor(async () => ((await snapshots.read(STREAM))?.revision ?? 0) >= BILLS - SNAPSHOT_EVERY, 10_000, () => 'no snapshot of the last 500 events');
}, 60_000);
afterAll(async () => {
  await eventStore?.close();
  await db?.close();
  await database?.drop();
});

describe('escrow snapshots', () => {
  it('the use cases took snapshots as bills arrived, each one a state bounded by the dispute window', async () => {
    const snapshot = (await snapshots.read(STREAM))!;
    expect(snapshot.schemaVersion).toBe(escrowStateCodec.schemaVersion);
    const state = escrowStateCodec.decode(snapshot.state);
    expect(state.billed).toBe(7 * (snapshot.revision)); // revision 0 is the deposit, every later event a bill
    // 15 days of bills, 160 a day: a week of them (and the batch at the window's edge) is remembered.
    expect(state.crawls.size).toBeLessThanOrEqual(7 * 4 * BILLS_AT_ONCE + BILLS_AT_ONCE);
    expect(state.crawls.size).toBeGreaterThanOrEqual(7 * 4 * BILLS_AT_ONCE - BILLS_AT_ONCE);
    expect(warnings).toEqual([]);
  });

  it('a load from the snapshot and the events after it is the state a fold from the start gives', async () => {
    const full = await loadStream(eventStore, escrowDecider, STREAM);
    const fromSnapshot = await loadFromSnapshot(eventStore, escrowDecider, STREAM, withSnapshots());
    expect(fromSnapshot.snapshotRevision).toBeGreaterThanOrEqual(BILLS - SNAPSHOT_EVERY);
    expect(fromSnapshot.recorded.length).toBe(BILLS - fromSnapshot.snapshotRevision!);
    expect(fromSnapshot.revision).toBe(full.revision);
    expect(comparable(fromSnapshot.state)).toEqual(comparable(full.state));
  });

  it('so is a load from a snapshot at any revision: before the first crawl is forgotten, as it is, mid-way, at the head', async () => {
    const { events } = await eventStore.readStream(STREAM);
    const full = await loadStream(eventStore, escrowDecider, STREAM);
    // Batch k's bills (revisions 40k − 39 … 40k) are forgotten by batch k + 29, 7 days and 6 hours later.
    const firstForgetting = 1 + 29 * BILLS_AT_ONCE;
    expect(DISPUTE_WINDOW_MS).toBe(28 * 6 * HOUR);
    const kept = await snapshots.read(STREAM);
    try {
      for (const revision of [0, 1, firstForgetting - 1, firstForgetting, 1_234, events.length - 1]) {
        const prefix = events.slice(0, revision + 1).reduce((state, event) => escrowDecider.evolve(state, decodeEvent(event.data) as EscrowEvent), escrowDecider.initialState());
        await db.pool.query('delete from stream_snapshots where stream_id = $1', [STREAM]); // the store never moves a snapshot back
        await snapshots.write({ streamId: STREAM, revision, schemaVersion: escrowStateCodec.schemaVersion, state: escrowStateCodec.encode(prefix) });
        const loaded = await loadFromSnapshot(eventStore, escrowDecider, STREAM, withSnapshots());
        expect(loaded.snapshotRevision, `snapshot at ${revision}`).toBe(revision);
        expect(comparable(loaded.state), `snapshot at ${revision}`).toEqual(comparable(full.state));
      }
    } finally {
      await db.pool.query('delete from stream_snapshots where stream_id = $1', [STREAM]);
      if (kept) await snapshots.write(kept);
    }
  });

  it('ignores a snapshot of another schema version, one that does not decode, and one ahead of its stream', async () => {
    const full = await loadStream(eventStore, escrowDecider, STREAM);
    const kept = (await snapshots.read(STREAM))!;
    const bogus = { ...(escrowStateCodec.encode(full.state) as object), balance: 42 };
    try {
      // A version mismatch is what every deploy that changes the state's shape meets: no warning for it.
      for (const [snapshot, warned] of [
        [{ streamId: STREAM, revision: full.revision!, schemaVersion: escrowStateCodec.schemaVersion + 1, state: bogus }, 0],
        [{ streamId: STREAM, revision: full.revision!, schemaVersion: escrowStateCodec.schemaVersion, state: { balance: 'lots' } }, 1],
        [{ streamId: STREAM, revision: full.revision! + 10, schemaVersion: escrowStateCodec.schemaVersion, state: bogus }, 1],
      ] as const) {
        await snapshots.write(snapshot);
        warnings.length = 0;
        const loaded = await loadFromSnapshot(eventStore, escrowDecider, STREAM, withSnapshots());
        expect(loaded.snapshotRevision).toBeNull();
        expect(loaded.recorded.length).toBe(full.revision! + 1);
        expect(comparable(loaded.state)).toEqual(comparable(full.state));
        expect(warnings.length).toBe(warned);
      }
    } finally {
      await db.pool.query('delete from stream_snapshots where stream_id = $1', [STREAM]);
      await snapshots.write(kept);
    }
  });

  it('a process starting from the snapshot decides the next commands as one that folded every bill', async () => {
    const reads: (number | undefined)[] = [];
    const counted: EventStore = Object.create(eventStore);
    counted.readStream = (streamId, options) => {
      if (streamId === STREAM) reads.push(options?.fromRevision);
      return eventStore.readStream(streamId, options);
    };
    const full = await loadStream(eventStore, escrowDecider, STREAM);
    const restarted: CrawlCommands = crawlCommands(counted, () => now, { snapshots: { store: snapshots, logger, everyEvents: SNAPSHOT_EVERY } });
    now += HOUR;

    const billed = await restarted.billCrawl(crawl('after-restart'), context);
    expect(reads[0]).toBeGreaterThan(BILLS - SNAPSHOT_EVERY); // from the snapshot, not from 0
    expect(billed.balance).toBe(full.state.balance - 7);
    const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: unknown) => (error instanceof DomainError ? error.code : String(error)));
    // Still remembered: refused by the decider.
    expect(await refusal(restarted.billCrawl(crawl(`c-${BILLS - 1}`), context))).toBe('crawl_already_billed');
    // Forgotten 8 days ago: the decider accepts it, the event store refuses its bill's event id.
    expect(full.state.crawls.has('c-0')).toBe(false);
    expect(await refusal(restarted.billCrawl(crawl('c-0'), context))).toBe('crawl_already_billed');
    expect(await refusal(restarted.disputeCrawl('c-0', { platformId: 'ai', reason: 'robots.txt' }, context))).toBe('crawl_not_found');
    expect(await refusal(restarted.disputeCrawl(`c-${BILLS - 1}`, { platformId: 'ai', reason: 'robots.txt' }, context))).toBe('accepted');
    expect(await refusal(restarted.refundCrawl(`c-${BILLS - 1}`, { platformId: 'ai', publisherId: 'news' }, context))).toBe('accepted');

    const after = await loadStream(eventStore, escrowDecider, STREAM);
    expect(after.revision).toBe(full.revision! + 3); // the new bill, the dispute, the refund: nothing else appended
    expect(after.state.balance).toBe(full.state.balance);
  });
});
