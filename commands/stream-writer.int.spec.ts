// The single writer per stream (stream-writer.ts) on the real PostgreSQL event store, with the escrow decider: each command is
// decided on its own against the state the earlier ones left, the accepted ones go out in one append, and
// whatever goes wrong in the middle (a duplicate event id, another writer, a failed append) leaves the
// stream exactly as a one-at-a-time handler would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, type EscrowEvent } from '../events-schema/index.ts';
import { loadConfig } from '../infra/config.ts';
import { openDatabase, type Database } from '../infra/db/database.ts';
import { openEventStore } from '../infra/eventstore/open-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../infra/testing/postgres.ts';
import type { EventStore } from '../ports/event-store.ts';
import { systemActor } from './actor.ts';
import type { UseCase } from './command-core.ts';
import { streamWriters, type StreamWriterOptions } from './stream-writer.ts';
import { escrowDecider, escrowStreamId, type EscrowCommand, type EscrowState } from './crawl/escrow.ts';
import type { ParticipantState } from './crawl/participant.ts';
import { DomainError } from './decider.ts';
import { deterministicUuid } from './event-ids.ts';

let database: TestDatabase;
let db: Database;
let eventStore: EventStore;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
});
afterAll(async () => {
  await eventStore?.close();
  await db?.close();
  await database?.drop();
});

const platform: ParticipantState = { status: 'registered', participantId: 'ai', role: 'platform', name: 'AI', pricePerCrawl: null, owner: 'ai-owner' };
const publisher: ParticipantState = { status: 'registered', participantId: 'news', role: 'publisher', name: 'News', pricePerCrawl: 100, owner: 'news-owner' };
const by = systemActor('stream-writer-test');

let counter = 0;
const uniquePlatform = () => `ai-${++counter}`;
const deposit = (platformId: string, amount: number): EscrowCommand => ({ type: 'DepositEscrow', data: { platformId, amount, now: 1, platform, by } });
const bill = (platformId: string, crawlId: string, bytes = 10): EscrowCommand => ({
  type: 'BillCrawl',
  data: { crawlId, platformId, publisherId: 'news', url: `https://news.example/${crawlId}`, bytes, now: 2, platform, publisher, by },
});

/** An event store that counts appends, and can be told to fail the next one after it reached the database. */
function instrumented(store: EventStore) {
  const counts = { appends: 0 };
  let failNext = false;
  const wrapped: EventStore = Object.create(store);
  wrapped.appendToStream = async (streamId, events, options) => {
    counts.appends++;
    if (failNext) {
      failNext = false;
      throw new Error('connection reset while appending');
    }
    return store.appendToStream(streamId, events, options);
  };
  return { store: wrapped, counts, failNextAppend: () => (failNext = true) };
}

const sameCrawlIdEverywhere = (command: EscrowCommand, index: number) =>
  command.type === 'BillCrawl' && index === 0 ? deterministicUuid('test-crawl', command.data.crawlId) : undefined;

type EscrowUseCase = UseCase<EscrowState, EscrowCommand, EscrowEvent>;
const onEscrow: EscrowUseCase = { context: 'crawl', decider: escrowDecider, streamId: (command) => escrowStreamId(command.data.platformId) };

/** The escrow use case through one writer per stream, with what a test changes in it. */
function escrowWriters(store: EventStore, overrides: Partial<EscrowUseCase> = {}, options: StreamWriterOptions = {}) {
  return streamWriters(store, { ...onEscrow, ...overrides }, options);
}

async function recorded(platformId: string): Promise<EscrowEvent[]> {
  const { events } = await eventStore.readStream(escrowStreamId(platformId));
  return events.map((event) => decodeEvent(event.data) as EscrowEvent);
}

describe('streamWriters', () => {
  it('decides commands sent together in order, refuses only the unaffordable ones, and appends the rest at once', async () => {
    const { store, counts } = instrumented(eventStore);
    const escrows = escrowWriters(store);
    const platformId = uniquePlatform();
    await escrows.handle(deposit(platformId, 650));
    const appendsBefore = counts.appends;

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => escrows.handle(bill(platformId, `${platformId}-c${i}`))));

    expect(counts.appends - appendsBefore).toBe(1);
    const accepted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(accepted.map((result) => result.events[0]!.data)).toEqual(
      Array.from({ length: 6 }, (_, i) => expect.objectContaining({ crawlId: `${platformId}-c${i}`, balanceAfter: 650 - 100 * (i + 1) })),
    );
    // One append: consecutive LSNs in the order the commands were sent; each answer carries its own state.
    const lsns = accepted.map((result) => result.lastLsn!);
    expect(lsns).toEqual(lsns.map((_, i) => lsns[0]! + i));
    expect(accepted.map((result) => result.state.balance)).toEqual([550, 450, 350, 250, 150, 50]);
    expect(refused).toHaveLength(4);
    for (const error of refused) expect(error).toMatchObject({ code: 'insufficient_escrow' });

    expect((await recorded(platformId)).map((event) => event.type)).toEqual(['EscrowDeposited', ...Array(6).fill('CrawlBilled')]);
  });

  it('fails a command whose event the schema refuses on its own, and bills the others', async () => {
    const escrows = escrowWriters(eventStore);
    const platformId = uniquePlatform();
    await escrows.handle(deposit(platformId, 1_000));
    const [first, broken, last] = await Promise.allSettled([
      escrows.handle(bill(platformId, `${platformId}-ok1`)),
      escrows.handle(bill(platformId, `${platformId}-bad`, 1.5)), // bytes: an Avro long
      escrows.handle(bill(platformId, `${platformId}-ok2`)),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(broken.status).toBe('rejected');
    expect(last).toMatchObject({ status: 'fulfilled', value: { state: { balance: 800 } } });
    const billed = (await recorded(platformId)).filter((event) => event.type === 'CrawlBilled');
    expect(billed.map((event) => event.data.crawlId)).toEqual([`${platformId}-ok1`, `${platformId}-ok2`]);
  });

  it('refuses only the command whose event id is already recorded on another stream, then decides the rest again', async () => {
    const escrows = escrowWriters(eventStore, {
      eventId: sameCrawlIdEverywhere,
      duplicateError: (command) => new DomainError('crawl_already_billed', `crawl ${command.type === 'BillCrawl' ? command.data.crawlId : '?'}`),
    });
    const [elsewhere, here] = [uniquePlatform(), uniquePlatform()];
    await escrows.handle(deposit(elsewhere, 1_000));
    await escrows.handle(deposit(here, 250));
    const shared = `shared-${here}`;
    await escrows.handle(bill(elsewhere, shared));

    // This escrow has never seen `shared`, so only the event store can refuse it.
    const outcomes = await Promise.allSettled([
      escrows.handle(bill(here, `${here}-a`)),
      escrows.handle(bill(here, shared)),
      escrows.handle(bill(here, `${here}-b`)),
      escrows.handle(bill(here, `${here}-c`)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'crawl_already_billed' } });
    // Without the refused bill, two of the three others fit: decided again, `c` no longer does.
    expect(outcomes[3]).toMatchObject({ reason: { code: 'insufficient_escrow' } });
    const billed = (await recorded(here)).filter((event) => event.type === 'CrawlBilled');
    expect(billed.map((event) => [event.data.crawlId, event.data.balanceAfter])).toEqual([
      [`${here}-a`, 150],
      [`${here}-b`, 50],
    ]);
  });

  it('reloads and decides again when another writer appended to the stream meanwhile', async () => {
    const ours = escrowWriters(eventStore);
    const theirs = escrowWriters(eventStore);
    const platformId = uniquePlatform();
    await ours.handle(deposit(platformId, 300));
    await ours.handle(bill(platformId, `${platformId}-warm`)); // ours now caches the state
    await theirs.handle(bill(platformId, `${platformId}-theirs`)); // behind our back

    const outcomes = await Promise.allSettled([
      ours.handle(bill(platformId, `${platformId}-x`)),
      ours.handle(bill(platformId, `${platformId}-y`)),
    ]);
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { state: { balance: 0 } } });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'insufficient_escrow' } });
    const events = await recorded(platformId);
    expect(events.at(-1)).toMatchObject({ type: 'CrawlBilled', data: { crawlId: `${platformId}-x`, balanceAfter: 0 } });
  });

  it('rejects every command of a failed append, records none of them, and starts the next batch from the stream', async () => {
    const { store, failNextAppend } = instrumented(eventStore);
    const escrows = escrowWriters(store);
    const platformId = uniquePlatform();
    await escrows.handle(deposit(platformId, 500));
    await escrows.handle(bill(platformId, `${platformId}-before`));

    failNextAppend();
    const failed = await Promise.allSettled([1, 2, 3].map((i) => escrows.handle(bill(platformId, `${platformId}-lost${i}`))));
    for (const outcome of failed) expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'connection reset while appending' } });
    expect((await recorded(platformId)).map((event) => event.type)).toEqual(['EscrowDeposited', 'CrawlBilled']);

    // The lost bills were folded into the cached state (evolve updates the crawl map in place); a retry of
    // the same crawl must still be billed, and the balance must come from the stream, not that state.
    const retried = await escrows.handle(bill(platformId, `${platformId}-lost1`));
    expect(retried.state.balance).toBe(300);
    expect((await recorded(platformId)).at(-1)).toMatchObject({ type: 'CrawlBilled', data: { crawlId: `${platformId}-lost1`, balanceAfter: 300 } });
  });
});

/** An event store whose appends to `streamId` wait at a gate until it is opened. */
function gated(store: EventStore, streamId: string) {
  let open: () => void = () => {};
  let gate: Promise<void> | undefined;
  let reached: () => void = () => {};
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const appends = new Map<string, number>();
  const wrapped: EventStore = Object.create(store);
  wrapped.appendToStream = async (id, events, options) => {
    appends.set(id, (appends.get(id) ?? 0) + 1);
    if (id === streamId && gate) {
      reached();
      await gate;
    }
    return store.appendToStream(id, events, options);
  };
  return {
    store: wrapped,
    appends,
    close: () => (gate = new Promise<void>((resolve) => (open = resolve))),
    arrived,
    open: () => open(),
  };
}

describe('streamWriters: one writer per stream', () => {
  it('keeps a single writer for a stream while more streams than maxIdleStreams are busy', async () => {
    const [busy, other] = [uniquePlatform(), uniquePlatform()];
    const { store, appends, close, arrived, open } = gated(eventStore, escrowStreamId(busy));
    const escrows = escrowWriters(store, {}, { maxIdleStreams: 1 });
    await escrows.handle(deposit(busy, 1_000));
    await escrows.handle(deposit(other, 1_000));

    close();
    const held = escrows.handle(bill(busy, `${busy}-held`));
    await arrived; // the busy stream's writer is in the middle of its append
    const before = appends.get(escrowStreamId(other)) ?? 0;
    // Ten bills sent together to the other stream: one writer, one batch, one append, all billed.
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => escrows.handle(bill(other, `${other}-c${i}`))));
    open();
    await held;

    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(10).fill('fulfilled'));
    expect((appends.get(escrowStreamId(other)) ?? 0) - before).toBe(1);
    expect((await recorded(other)).filter((event) => event.type === 'CrawlBilled')).toHaveLength(10);
  });
});

describe('streamWriters: event ids already recorded in the stream', () => {
  const crawlIdOptions = {
    eventId: sameCrawlIdEverywhere,
    duplicateError: (command: EscrowCommand) => new DomainError('crawl_already_billed', `crawl ${command.type === 'BillCrawl' ? command.data.crawlId : '?'}`),
  };

  it('refuses a bill that another writer recorded on the same stream between its read and its append', async () => {
    const theirs = escrowWriters(eventStore, crawlIdOptions);
    const platformId = uniquePlatform();
    const contested = `${platformId}-contested`;
    let interleave: (() => Promise<unknown>) | undefined;
    const racing: EventStore = Object.create(eventStore);
    racing.appendToStream = async (streamId, events, options) => {
      const before = interleave;
      interleave = undefined;
      await before?.(); // the other writer gets there first
      return eventStore.appendToStream(streamId, events, options);
    };
    const ours = escrowWriters(racing, crawlIdOptions);
    await ours.handle(deposit(platformId, 1_000));

    interleave = () => theirs.handle(bill(platformId, contested));
    const outcome = await ours.handle(bill(platformId, contested)).then(
      (value) => ({ status: 'fulfilled', value }),
      (reason: unknown) => ({ status: 'rejected', reason }),
    );

    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'crawl_already_billed' } });
    const billed = (await recorded(platformId)).filter((event) => event.type === 'CrawlBilled');
    expect(billed.map((event) => event.data.crawlId)).toEqual([contested]);
    // The writer goes on from the stream as it is.
    const next = await ours.handle(bill(platformId, `${platformId}-next`));
    expect(next.events[0]).toMatchObject({ type: 'CrawlBilled', data: { balanceAfter: 800 } });
  });

  it('answers a command sent again under the same Idempotency-Key with what was recorded the first time, alone or in a batch', async () => {
    const escrows = escrowWriters(eventStore);
    const platformId = uniquePlatform();
    await escrows.handle(deposit(platformId, 100));
    const context = { metadata: {}, idempotencyKey: `key-${platformId}` };
    const first = await escrows.handle(deposit(platformId, 500), context);
    expect(first.events[0]).toMatchObject({ data: { amount: 500, balanceAfter: 600 } });

    // Its answer was lost: the client sends it again with the same key.
    const alone = await escrows.handle(deposit(platformId, 500), context);
    expect(alone).toMatchObject({ events: first.events, eventIds: first.eventIds, lastLsn: first.lastLsn, state: { balance: 600 } });

    const [again, other] = await Promise.allSettled([
      escrows.handle(deposit(platformId, 500), context),
      escrows.handle(bill(platformId, `${platformId}-c1`)),
    ]);
    expect(again).toMatchObject({ status: 'fulfilled', value: { events: first.events, eventIds: first.eventIds, lastLsn: first.lastLsn } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { events: [{ type: 'CrawlBilled', data: { balanceAfter: 500 } }] } });
    expect((await recorded(platformId)).map((event) => event.type)).toEqual(['EscrowDeposited', 'EscrowDeposited', 'CrawlBilled']);
  });
});
