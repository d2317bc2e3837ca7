import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/database.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.ts';
import type { EventStore, EventToAppend } from '../../../ports/event-store.ts';
import { eventStoreContract, revisionGaps, subscribe, type EventStoreFixture } from '../event-store.contract.ts';
import { LISTENER_APPLICATION_NAME } from './log-notifier.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store.ts';

type PostgresFixture = EventStoreFixture & {
  store: PostgresEventStore;
  database: TestDatabase;
  db: Database;
  /** Another instance with its own pool, as another process would have; closed by teardown. */
  openInstance(options?: PostgresEventStoreOptions): PostgresEventStore;
};

async function openFixture(): Promise<PostgresFixture> {
  const database = await createTestDatabase('proofline_eventstore');
  const db = openDatabase(database.url);
  await migrateEventStore(db);
  const store = createPostgresEventStore(db);
  const instances: PostgresEventStore[] = [];
  const openInstance = (options: PostgresEventStoreOptions = {}) => {
    const instance = createPostgresEventStore(openDatabase(database.url), { ...options, ownsDatabase: true });
    instances.push(instance);
    return instance;
  };
  return {
    store,
    database,
    db,
    openInstance,
    openAnother: async () => openInstance(),
    async teardown() {
      await Promise.all([store.close(), ...instances.map((instance) => instance.close())]);
      await db.close();
      await database.drop();
    },
  };
}

eventStoreContract('PostgreSQL', openFixture);

describe('PostgreSQL event store', () => {
  let fixture: PostgresFixture;
  let store: PostgresEventStore;

  beforeEach(async () => {
    fixture = await openFixture();
    store = fixture.store;
  });
  afterEach(async () => {
    await fixture.teardown();
  });

  it('16 writers × 5,000 events on two instances: a reader tailing from LSN 1 sees every event once, in order, without a gap', async () => {
    const WRITERS = 16;
    const EVENTS_PER_WRITER = 5_000;
    const TOTAL = WRITERS * EVENTS_PER_WRITER;
    const writerStores = [store, fixture.openInstance()];
    const reader = subscribe(fixture.openInstance(), { fromLsn: 1, batchSize: 1_000 });
    const ownStreams: { stream: string; eventIds: string[] }[] = [];

    const writer = async (target: EventStore, index: number) => {
      const own = { stream: `writer-${index}`, eventIds: [] as string[] };
      ownStreams.push(own);
      let revision: number | 'no_stream' = 'no_stream';
      for (let written = 0, round = 0; written < EVENTS_PER_WRITER; round += 1) {
        const events = Array.from({ length: Math.min(1 + (round % 4), EVENTS_PER_WRITER - written) }, () => anEvent());
        written += events.length;
        if (round % 3 === 2) {
          // Streams shared by every writer on both instances.
          await target.appendToStream(`shared-${round % 4}`, events, { expectedRevision: 'any' });
        } else {
          own.eventIds.push(...events.map((event) => event.eventId));
          revision = (await target.appendToStream(own.stream, events, { expectedRevision: revision })).nextExpectedRevision;
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, index) => writer(writerStores[index % 2]!, index)));

    await reader.waitFor(TOTAL, 45_000);
    await reader.stop();
    const log = reader.received;
    expect(log).toHaveLength(TOTAL);
    expect(log.findIndex((event, index) => event.lsn !== index + 1)).toBe(-1);
    expect(new Set(log.map((event) => event.eventId)).size).toBe(TOTAL);
    expect(revisionGaps(log)).toEqual([]);
    for (const { stream, eventIds } of ownStreams) {
      expect(log.filter((event) => event.streamId === stream).map((event) => event.eventId)).toEqual(eventIds);
    }
    expect(await store.headLsn()).toBe(TOTAL);
  });

  it('in one batch, an append failing its expected revision rejects alone, and later appends see the earlier ones', async () => {
    const before = store.appendStats().batches;

    const outcomes = await Promise.allSettled([
      store.appendToStream('s', [anEvent()], { expectedRevision: 'no_stream' }),
      store.appendToStream('t', [anEvent()], { expectedRevision: 3 }),
      store.appendToStream('s', [anEvent()], { expectedRevision: 0 }),
      store.appendToStream('s', [anEvent()], { expectedRevision: 0 }),
    ]);

    expect(store.appendStats().batches).toBe(before + 1);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: { nextExpectedRevision: 0, firstLsn: 1, lastLsn: 1, idempotentReplay: false } },
      { status: 'rejected', reason: expect.objectContaining({ name: 'WrongExpectedRevisionError', streamId: 't', actual: null }) },
      { status: 'fulfilled', value: { nextExpectedRevision: 1, firstLsn: 2, lastLsn: 2, idempotentReplay: false } },
      { status: 'rejected', reason: expect.objectContaining({ name: 'WrongExpectedRevisionError', streamId: 's', actual: 1 }) },
    ]);
    expect(await store.headLsn()).toBe(2);
  });

  it('a batch whose transaction fails rejects every append in it and writes none of them', async () => {
    await store.appendToStream('earlier', [anEvent()]);
    await fixture.db.knex.raw(`
      create function reject_poison() returns trigger language plpgsql as $$
      begin raise exception 'poisoned event %', new.event_id; end $$`);
    await fixture.db.knex.raw(`
      create trigger reject_poison before insert on event_log
      for each row when (new.type = 'Poison') execute function reject_poison()`);
    const log = await store.readAll({ fromLsn: 1 });

    const outcomes = await Promise.allSettled([
      store.appendToStream('good-1', [anEvent()]),
      store.appendToStream('bad', [anEvent(), anEvent('Poison')]),
      store.appendToStream('good-2', [anEvent(), anEvent()]),
    ]);

    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error) : outcome));
    expect(reasons).toEqual([expect.any(Error), expect.any(Error), expect.any(Error)]);
    expect(new Set(reasons).size).toBe(1); // one failed transaction, one error
    expect(reasons[0]).toMatchObject({ message: expect.stringMatching(/append batch of 3 request\(s\) to good-1, bad, good-2 failed: poisoned event/) });
    expect(await store.headLsn()).toBe(1);
    expect(await store.readAll({ fromLsn: 1 })).toEqual(log);
    expect(await store.readStream('good-1')).toEqual({ currentRevision: null, events: [] });

    await fixture.db.knex.raw('drop trigger reject_poison on event_log');
    expect(await store.appendToStream('good-1', [anEvent()])).toMatchObject({ firstLsn: 2, nextExpectedRevision: 0 });
  });

  it('an append that loses the race to another process is decided again under the head lock', async () => {
    await store.appendToStream('first', [anEvent()]);
    const writer = fixture.openInstance(); // knows nothing yet: it reads, then writes
    const rival = new pg.Client({ connectionString: fixture.database.url });
    await rival.connect();
    try {
      // Another process, mid-append: it holds the head row lock and has written LSN 2 to 'contested'.
      await rival.query('begin');
      await rival.query('update event_log_head set last_lsn = 2');
      await rival.query(
        `insert into event_log (lsn, event_id, stream_id, revision, type, data, metadata) values (2, $1, 'contested', 0, 'Rival', '\\x00', '{}')`,
        [randomUUID()],
      );
      await rival.query(`insert into event_streams (stream_id, revision, last_lsn) values ('contested', 0, 2)`);

      const expectingNoStream = writer.appendToStream('contested', [anEvent()], { expectedRevision: 'no_stream' });
      const expectingAny = writer.appendToStream('contested', [anEvent()], { expectedRevision: 'any' });
      await expect
        .poll(() => backendsWaitingForALock(fixture.db), { timeout: 10_000, message: 'the store should wait for the rival head lock' })
        .toBeGreaterThan(0);
      await rival.query('commit');

      await expect(expectingNoStream).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: 0 });
      await expect(expectingAny).resolves.toEqual({ nextExpectedRevision: 1, firstLsn: 3, lastLsn: 3, idempotentReplay: false });
      expect(writer.appendStats()).toMatchObject({ batches: 1, retriedUnderLock: 1 });
      expect((await store.readAll({ fromLsn: 1 })).map((event) => [event.lsn, event.streamId, event.revision])).toEqual([
        [1, 'first', 0],
        [2, 'contested', 0],
        [3, 'contested', 1],
      ]);
    } finally {
      await rival.end();
    }
  });

  it('readAll stops before a gap in the log rather than skip past it', async () => {
    await store.appendToStream('gapped', [anEvent(), anEvent()]);
    // Cannot happen through the store (commits are serialised by the head row): forge one.
    await fixture.db.pool.query(
      `insert into event_log (lsn, event_id, stream_id, revision, type, data, metadata) values (4, $1, 'forged', 0, 'Forged', '\\x00', '{}')`,
      [randomUUID()],
    );

    expect((await store.readAll({ fromLsn: 1 })).map((event) => event.lsn)).toEqual([1, 2]);
    expect(await store.readAll({ fromLsn: 3 })).toEqual([]);
  });

  it('reads issued together share one statement, and each answers as its own read would: whole, from a revision, unknown, twice', async () => {
    await store.appendToStream('many-a', [anEvent(), anEvent(), anEvent()]);
    await store.appendToStream('many-b', [anEvent()]);
    const asked = [
      ['many-a', 0],
      ['many-b', 0],
      ['many-none', 0],
      ['many-a', 2],
      ['many-a', 0],
      ['many-a', 5],
    ] as const;
    // One by one, each in a turn of its own (a statement of its own), as the reference.
    const alone = [];
    for (const [streamId, fromRevision] of asked) {
      alone.push(await store.readStream(streamId, { fromRevision }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const statements: string[] = [];
    const query = fixture.db.pool.query.bind(fixture.db.pool);
    fixture.db.pool.query = ((text: string, ...rest: unknown[]) => (statements.push(text), (query as (...args: unknown[]) => unknown)(text, ...rest))) as typeof fixture.db.pool.query;
    const together = await Promise.all(asked.map(([streamId, fromRevision]) => store.readStream(streamId, { fromRevision })));
    fixture.db.pool.query = query;

    expect(statements).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together.map((result) => [result.currentRevision, result.events.map((event) => event.revision)])).toEqual([
      [2, [0, 1, 2]],
      [0, [0]],
      [null, []],
      [2, [2]],
      [2, [0, 1, 2]],
      [2, []],
    ]);
  });

  it('keeps every event across a restart of the store', async () => {
    const first = fixture.openInstance();
    for (let i = 0; i < 5; i += 1) await first.appendToStream(`durable-${i % 2}`, [anEvent(), anEvent()]);
    const before = await first.readAll({ fromLsn: 1 });
    await first.close();

    const reopened = fixture.openInstance();

    expect(await reopened.readAll({ fromLsn: 1 })).toEqual(before);
    expect(await reopened.headLsn()).toBe(10);
    expect((await reopened.readStream('durable-0')).currentRevision).toBe(5);
    expect(await reopened.appendToStream('durable-0', [anEvent()], { expectedRevision: 5 })).toEqual({
      nextExpectedRevision: 6,
      firstLsn: 11,
      lastLsn: 11,
      idempotentReplay: false,
    });
  });

  it('close() commits the appends already queued, then refuses new ones; a shared pool stays open', async () => {
    const queued = [store.appendToStream('closing', [anEvent()]), store.appendToStream('closing', [anEvent()])];

    await store.close();

    expect((await Promise.all(queued)).map((result) => result.lastLsn)).toEqual([1, 2]);
    await expect(store.appendToStream('closing', [anEvent()])).rejects.toThrow(/closed/);
    const { rows } = await fixture.db.pool.query<{ last_lsn: number }>('select last_lsn from event_log_head');
    expect(rows[0]?.last_lsn).toBe(2);
  });

  it('recognises a retry whose event ids differ only in letter case', async () => {
    const event = anEvent();
    const original = await store.appendToStream('cased', [event]);

    const retry = await store.appendToStream('cased', [{ ...event, eventId: event.eventId.toUpperCase() }], { expectedRevision: 'no_stream' });

    expect(retry).toEqual({ ...original, idempotentReplay: true });
  });

  it('rejects a malformed append on its own, before it can fail a batch', async () => {
    const good = store.appendToStream('fine', [anEvent()]);
    const malformed = [
      store.appendToStream('bad', [{ ...anEvent(), eventId: 'not-a-uuid' }]),
      store.appendToStream('bad', [{ ...anEvent(), metadata: { note: 'nul \u0000 inside' } }]),
      store.appendToStream('bad', [{ ...anEvent(), type: '' }]),
      store.appendToStream('', [anEvent()]),
      store.appendToStream('bad', [anEvent()], { expectedRevision: -1 }),
    ];
    const event = anEvent();
    malformed.push(store.appendToStream('bad', [event, event]));

    for (const append of malformed) await expect(append).rejects.toThrow(TypeError);
    await expect(good).resolves.toMatchObject({ firstLsn: 1 });
  });

  describe('live subscriptions', () => {
    it('receive other processes’ appends again after the LISTEN connection is dropped and re-established', async () => {
      // Polling every minute: only a working LISTEN can deliver within the wait below.
      const reader = fixture.openInstance({ pollIntervalMs: 60_000, listenReconnectDelayMs: 50 });
      const subscription = subscribe(reader, { fromLsn: 1 });
      await store.appendToStream('live', [anEvent()]);
      await subscription.waitFor(1, 10_000);
      const [dropped] = await listenerPids(fixture.db);
      expect(dropped).toBeDefined();

      await fixture.db.pool.query('select pg_terminate_backend($1)', [dropped]);
      await expect
        .poll(async () => (await listenerPids(fixture.db, { listening: true })).filter((pid) => pid !== dropped), { timeout: 10_000 })
        .toHaveLength(1);
      await store.appendToStream('live', [anEvent()]);

      await subscription.waitFor(2, 10_000);
      await subscription.stop();
      expect(subscription.received.map((event) => event.lsn)).toEqual([1, 2]);
    });

    it('fall back to polling while they cannot listen', async () => {
      const reader = fixture.openInstance({ pollIntervalMs: 100, listenReconnectDelayMs: 600_000 });
      const subscription = subscribe(reader, { fromLsn: 1 });
      await store.appendToStream('polled', [anEvent()]);
      await subscription.waitFor(1, 10_000);
      const [listener] = await listenerPids(fixture.db);

      await fixture.db.pool.query('select pg_terminate_backend($1)', [listener]);
      await expect.poll(() => listenerPids(fixture.db), { timeout: 10_000 }).toEqual([]);
      await store.appendToStream('polled', [anEvent()]);

      await subscription.waitFor(2, 10_000);
      await subscription.stop();
      expect(subscription.received.map((event) => event.lsn)).toEqual([1, 2]);
    });
  });
});

function anEvent(type = 'Tested'): EventToAppend {
  return { eventId: randomUUID(), type, data: Uint8Array.of(0xc3, 0x01, 1, 2, 3), metadata: { correlationId: randomUUID() } };
}

async function backendsWaitingForALock(db: Database): Promise<number> {
  const { rows } = await db.pool.query<{ waiting: number }>(
    `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return rows[0]?.waiting ?? 0;
}

/** Backends of the store's LISTEN connections; with `listening`, only those that have finished subscribing. */
async function listenerPids(db: Database, options: { listening?: boolean } = {}): Promise<number[]> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = current_database() and application_name = $1
        and ($2::boolean is false or (state = 'idle' and query like 'select last_lsn%'))`,
    [LISTENER_APPLICATION_NAME, options.listening ?? false],
  );
  return rows.map((row) => row.pid);
}
