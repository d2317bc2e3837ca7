// The crawl read model on its own, against a real PostgreSQL: what each event does to its tables, that
// delivering events again changes nothing, what is parked while every other stream goes on, and that a
// rebuild from LSN 1 gives the same tables.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlBilled, CrawlDisputed, CrawlRefunded } from '../../events-schema/crawl/events.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { createProjectionWorker, listParked, projectionSchema, rebuildProjection } from '../runtime/index.ts';
import { compareSchemas, tableDigests } from '../runtime/shadow-diff.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { projectionSpec } from '../testing/projection-spec.ts';
import { scriptedSource } from '../testing/scripted-source.ts';
import { crawlProjection } from './crawl-projection.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 10, 12); // 2030-01-10, noon UTC

// ---------------------------------------------------------------------------------------------------------
// Real crawl events with plausible defaults; override any field.

const registered = (participantId: string, role: 'publisher' | 'platform', registeredAt = T0): StreamEvent => ({
  streamId: `participant-${participantId}`,
  event: { type: 'ParticipantRegistered', data: { participantId, role, name: `Name of ${participantId}`, registeredAt, owner: `owner-of-${participantId}` } },
});
const priced = (publisherId: string, pricePerCrawl: number, setAt = T0 + 1000): StreamEvent => ({
  streamId: `participant-${publisherId}`,
  event: { type: 'PublisherPriceSet', data: { publisherId, pricePerCrawl, setAt } },
});
const deposited = (platformId: string, amount: number, depositedAt = T0 + 2000): StreamEvent => ({
  streamId: `escrow-${platformId}`,
  event: { type: 'EscrowDeposited', data: { platformId, amount, balanceAfter: amount, depositedAt } },
});
const billed = (platformId: string, publisherId: string, crawlId: string, data: Partial<CrawlBilled['data']> = {}): StreamEvent => ({
  streamId: `escrow-${platformId}`,
  event: {
    type: 'CrawlBilled',
    data: { crawlId, platformId, publisherId, url: `https://${publisherId}.example/${crawlId}`, bytes: 2048, amount: 300, balanceAfter: 0, billedAt: T0 + 3000, ...data },
  },
});
const disputed = (platformId: string, publisherId: string, crawlId: string, data: Partial<CrawlDisputed['data']> = {}): StreamEvent => ({
  streamId: `escrow-${platformId}`,
  event: { type: 'CrawlDisputed', data: { crawlId, platformId, publisherId, amount: 300, reason: 'robots.txt', billedAt: T0 + 3000, disputedAt: T0 + DAY, ...data } },
});
const refunded = (platformId: string, publisherId: string, crawlId: string, data: Partial<CrawlRefunded['data']> = {}): StreamEvent => ({
  streamId: `escrow-${platformId}`,
  event: { type: 'CrawlRefunded', data: { crawlId, platformId, publisherId, amount: 300, balanceAfter: 0, billedAt: T0 + 3000, refundedAt: T0 + 2 * DAY, ...data } },
});

// ---------------------------------------------------------------------------------------------------------
// The tables, as plain rows.

const participantRows = (trx: Knex.Transaction) =>
  trx('participants').select('participant_id', 'role', 'name', trx.raw('price_per_crawl::int as price'), 'registered_at').orderBy('participant_id');
const escrowRows = (trx: Knex.Transaction) =>
  trx('escrows')
    .select('platform_id', trx.raw('deposited::int as deposited'), trx.raw('billed::int as billed'), trx.raw('refunded::int as refunded'), trx.raw('crawls::int as crawls'))
    .orderBy('platform_id');
const crawlRows = (trx: Knex.Transaction) =>
  trx('crawls')
    .select('crawl_id', 'platform_id', 'publisher_id', trx.raw('amount::int as amount'), trx.raw(`to_char(day, 'YYYY-MM-DD') as day`), 'status', 'dispute_reason', 'disputed_at', 'refunded_at')
    .select(trx.raw('billed_lsn::int as billed_lsn'))
    .orderBy('crawl_id');
const dayRows = (trx: Knex.Transaction, table: 'publisher_days' | 'platform_days') =>
  trx(table)
    .select(table === 'publisher_days' ? 'publisher_id as id' : 'platform_id as id', trx.raw(`to_char(day, 'YYYY-MM-DD') as day`))
    .select(trx.raw('crawls::int as crawls'), trx.raw('billed::int as billed'), trx.raw('refunded::int as refunded'))
    .orderBy(['id', 'day']);

let testbed: ProjectionTestbed;
beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed?.close());

const spec = () => projectionSpec(crawlProjection, testbed);

describe('crawl projection: tables', () => {
  it('records participants and the latest price, also a price applied before its registration', async () => {
    await spec()
      .given(registered('news', 'publisher'), priced('news', 2_500), registered('ai', 'platform'), priced('late', 700))
      .when(priced('news', 3_000), registered('late', 'publisher', T0 - DAY))
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await participantRows(trx)).toEqual([
          { participant_id: 'ai', role: 'platform', name: 'Name of ai', price: null, registered_at: new Date(T0) },
          { participant_id: 'late', role: 'publisher', name: 'Name of late', price: 700, registered_at: new Date(T0 - DAY) },
          { participant_id: 'news', role: 'publisher', name: 'Name of news', price: 3_000, registered_at: new Date(T0) },
        ]);
      });
  });

  it('adds deposits and bills to the escrow, the crawl ledger and both day tables, across batches and days', async () => {
    await spec()
      .given(deposited('ai', 1_000), billed('ai', 'news', 'c1'), billed('ai', 'blog', 'c2', { amount: 120 }))
      .when(
        deposited('ai', 500),
        billed('ai', 'news', 'c3', { billedAt: T0 + DAY }),
        billed('bot', 'news', 'c4', { amount: 250 }), // a platform with no deposit yet, on another partition
      )
      .then(async (trx, { parked, recorded }) => {
        expect(parked).toEqual([]);
        expect(await escrowRows(trx)).toEqual([
          { platform_id: 'ai', deposited: 1_500, billed: 720, refunded: 0, crawls: 3 },
          { platform_id: 'bot', deposited: 0, billed: 250, refunded: 0, crawls: 1 },
        ]);
        const lsnOf = (crawlId: string) => recorded.find((r) => crawlIdOf(r) === crawlId)!.lsn;
        expect(await crawlRows(trx)).toEqual([
          { crawl_id: 'c1', platform_id: 'ai', publisher_id: 'news', amount: 300, day: '2030-01-10', status: 'billed', dispute_reason: null, disputed_at: null, refunded_at: null, billed_lsn: lsnOf('c1') },
          { crawl_id: 'c2', platform_id: 'ai', publisher_id: 'blog', amount: 120, day: '2030-01-10', status: 'billed', dispute_reason: null, disputed_at: null, refunded_at: null, billed_lsn: lsnOf('c2') },
          { crawl_id: 'c3', platform_id: 'ai', publisher_id: 'news', amount: 300, day: '2030-01-11', status: 'billed', dispute_reason: null, disputed_at: null, refunded_at: null, billed_lsn: lsnOf('c3') },
          { crawl_id: 'c4', platform_id: 'bot', publisher_id: 'news', amount: 250, day: '2030-01-10', status: 'billed', dispute_reason: null, disputed_at: null, refunded_at: null, billed_lsn: lsnOf('c4') },
        ]);
        expect(await dayRows(trx, 'publisher_days')).toEqual([
          { id: 'blog', day: '2030-01-10', crawls: 1, billed: 120, refunded: 0 },
          { id: 'news', day: '2030-01-10', crawls: 2, billed: 550, refunded: 0 },
          { id: 'news', day: '2030-01-11', crawls: 1, billed: 300, refunded: 0 },
        ]);
        expect(await dayRows(trx, 'platform_days')).toEqual([
          { id: 'ai', day: '2030-01-10', crawls: 2, billed: 420, refunded: 0 },
          { id: 'ai', day: '2030-01-11', crawls: 1, billed: 300, refunded: 0 },
          { id: 'bot', day: '2030-01-10', crawls: 1, billed: 250, refunded: 0 },
        ]);
      });
  });

  it('disputes and refunds a bill of an earlier batch or of the same one, taking the refund off the day of the bill', async () => {
    await spec()
      .given(deposited('ai', 1_000), billed('ai', 'news', 'old'))
      .when(
        disputed('ai', 'news', 'old', { reason: 'paywalled' }),
        refunded('ai', 'news', 'old'),
        billed('ai', 'news', 'new', { billedAt: T0 + DAY }),
        disputed('ai', 'news', 'new', { billedAt: T0 + DAY, disputedAt: T0 + 2 * DAY }),
        billed('ai', 'news', 'fresh', { billedAt: T0 + DAY }),
        refunded('ai', 'news', 'fresh', { billedAt: T0 + DAY, refundedAt: T0 + 3 * DAY }),
      )
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect((await crawlRows(trx)).map(({ crawl_id, status, dispute_reason, disputed_at, refunded_at }) => ({ crawl_id, status, dispute_reason, disputed_at, refunded_at }))).toEqual([
          { crawl_id: 'fresh', status: 'refunded', dispute_reason: null, disputed_at: null, refunded_at: new Date(T0 + 3 * DAY) },
          { crawl_id: 'new', status: 'disputed', dispute_reason: 'robots.txt', disputed_at: new Date(T0 + 2 * DAY), refunded_at: null },
          { crawl_id: 'old', status: 'refunded', dispute_reason: 'paywalled', disputed_at: new Date(T0 + DAY), refunded_at: new Date(T0 + 2 * DAY) },
        ]);
        expect(await escrowRows(trx)).toEqual([{ platform_id: 'ai', deposited: 1_000, billed: 900, refunded: 600, crawls: 3 }]);
        expect(await dayRows(trx, 'publisher_days')).toEqual([
          { id: 'news', day: '2030-01-10', crawls: 1, billed: 300, refunded: 300 },
          { id: 'news', day: '2030-01-11', crawls: 2, billed: 600, refunded: 300 },
        ]);
        expect(await dayRows(trx, 'platform_days')).toEqual([
          { id: 'ai', day: '2030-01-10', crawls: 1, billed: 300, refunded: 300 },
          { id: 'ai', day: '2030-01-11', crawls: 2, billed: 600, refunded: 300 },
        ]);
      });
  });

  it('parks an escrow stream at a dispute or refund of an unknown crawl, with what follows on it, and nothing else', async () => {
    await spec()
      .given(deposited('ai', 1_000), billed('ai', 'news', 'c1'))
      .when(
        disputed('ghost', 'news', 'nope'),
        billed('ai', 'news', 'c2'),
        billed('ghost', 'news', 'g1'),
        refunded('void', 'news', 'nothing'),
        refunded('ai', 'news', 'c1'),
      )
      .thenParked([
        { streamId: 'escrow-ghost', type: 'CrawlDisputed', error: 'for unknown crawl nope' },
        { streamId: 'escrow-ghost', type: 'CrawlBilled', error: /waiting behind parked event/ },
        { streamId: 'escrow-void', type: 'CrawlRefunded', error: 'for unknown crawl nothing' },
      ]);
    await spec()
      .given(deposited('ai', 1_000), billed('ai', 'news', 'c1'))
      .when(disputed('ghost', 'news', 'nope'), billed('ai', 'news', 'c2'), billed('ghost', 'news', 'g1'), refunded('ai', 'news', 'c1'))
      .then(async (trx) => {
        expect((await crawlRows(trx)).map(({ crawl_id, status }) => [crawl_id, status])).toEqual([
          ['c1', 'refunded'],
          ['c2', 'billed'],
        ]);
        expect(await escrowRows(trx)).toEqual([{ platform_id: 'ai', deposited: 1_000, billed: 600, refunded: 300, crawls: 2 }]);
      });
  });

  it('parks a second bill of the same crawl id, in a later batch or in the same one, without touching the first', async () => {
    const expectFirstKept = async (trx: Knex.Transaction) => {
      expect((await crawlRows(trx)).map(({ crawl_id, platform_id, amount }) => ({ crawl_id, platform_id, amount }))).toEqual([{ crawl_id: 'c1', platform_id: 'ai', amount: 300 }]);
      expect(await escrowRows(trx)).toEqual([{ platform_id: 'ai', deposited: 0, billed: 300, refunded: 0, crawls: 1 }]);
      expect(await dayRows(trx, 'publisher_days')).toEqual([{ id: 'news', day: '2030-01-10', crawls: 1, billed: 300, refunded: 0 }]);
    };
    const expectSecondParked = (parked: Array<{ streamId: string; type: string }>) =>
      expect(parked.map(({ streamId, type }) => ({ streamId, type }))).toEqual([{ streamId: 'escrow-copycat', type: 'CrawlBilled' }]);
    await spec()
      .given(billed('ai', 'news', 'c1'))
      .when(billed('copycat', 'news', 'c1', { amount: 999 }))
      .then(async (trx, { parked }) => {
        expectSecondParked(parked);
        await expectFirstKept(trx);
      });
    await spec()
      .given()
      .when(billed('ai', 'news', 'c1'), billed('copycat', 'news', 'c1', { amount: 999 }))
      .then(async (trx, { parked }) => {
        expectSecondParked(parked);
        await expectFirstKept(trx);
      });
  });
});

/** The crawl id of a recorded CrawlBilled, else null. */
function crawlIdOf(recorded: RecordedEvent): string | null {
  const event = decodeEvent(recorded.data);
  return event.type === 'CrawlBilled' ? event.data.crawlId : null;
}

// ---------------------------------------------------------------------------------------------------------
// Delivery, parking and rebuilds through the runtime, on a log of their own.

describe('crawl projection in the runtime', () => {
  let bed: ProjectionTestbed;
  beforeAll(async () => {
    bed = await createProjectionTestbed();
  });
  afterAll(async () => bed?.close());

  /** A market: participants, deposits, bills over two days, disputes and refunds, on two escrows. */
  const market = (tag: string): StreamEvent[] => [
    registered(`${tag}-news`, 'publisher'),
    priced(`${tag}-news`, 300),
    registered(`${tag}-blog`, 'publisher'),
    priced(`${tag}-blog`, 120),
    registered(`${tag}-ai`, 'platform'),
    registered(`${tag}-bot`, 'platform'),
    deposited(`${tag}-ai`, 5_000),
    deposited(`${tag}-bot`, 2_000),
    ...Array.from({ length: 8 }, (_, i) =>
      billed(i % 2 ? `${tag}-bot` : `${tag}-ai`, i % 3 ? `${tag}-news` : `${tag}-blog`, `${tag}-c${i}`, { amount: i % 3 ? 300 : 120, billedAt: T0 + (i % 2) * DAY + i }),
    ),
    disputed(`${tag}-ai`, `${tag}-blog`, `${tag}-c0`, { amount: 120 }),
    refunded(`${tag}-ai`, `${tag}-blog`, `${tag}-c0`, { amount: 120 }),
    refunded(`${tag}-bot`, `${tag}-news`, `${tag}-c1`, { billedAt: T0 + DAY + 1 }),
    disputed(`${tag}-bot`, `${tag}-blog`, `${tag}-c3`, { amount: 120, billedAt: T0 + DAY + 3 }),
    priced(`${tag}-news`, 350),
    deposited(`${tag}-ai`, 1_000, T0 + 2 * DAY),
  ];

  const instance = (name: string): Projection => ({ ...crawlProjection, name });
  const digests = (name: string) => tableDigests(bed.db.knex, projectionSchema(name));
  const allRows = (name: string) =>
    bed.db.knex.transaction(async (trx) => {
      await trx.raw('set local search_path to ??', [projectionSchema(name)]);
      return {
        participants: await participantRows(trx),
        escrows: await escrowRows(trx),
        crawls: await crawlRows(trx),
        publisherDays: await dayRows(trx, 'publisher_days'),
        platformDays: await dayRows(trx, 'platform_days'),
      };
    });
  const parkedLsns = async (name: string) => (await listParked(bed.db, [{ name }])).map((p) => [p.streamId, p.lsn, p.type]);


  it('changes nothing when events are delivered again, whole batches or overlapping ones, on several partitions', async () => {
    const log = await bed.append(market('redelivery'));
    const participantsPartition = log.filter((e) => e.streamId.startsWith('participant-'));
    const escrowPartition = log.filter((e) => e.streamId.startsWith('escrow-'));
    const [firstHalf, secondHalf] = [escrowPartition.slice(0, 9), escrowPartition.slice(9)];
    const batch = (partition: number, events: RecordedEvent[]) => ({ topic: 'crawl', partition, events, watermarkLsn: events.at(-1)!.lsn, nextOffset: null });

    // Once: the whole log in one batch.
    const once = await bed.applyBatch(instance('crawl_once'), log);
    expect(once.parked).toEqual([]);
    expect(once.applied).toBe(log.length);
    // The same batch again applies nothing.
    const again = await bed.applyBatch(instance('crawl_once'), log);
    expect([again.applied, again.alreadyApplied]).toEqual([0, log.length]);

    // Twice and more: a worker fed batches that repeat and overlap what it already applied.
    const deliveries = [
      batch(1, participantsPartition.slice(0, 4)),
      batch(0, firstHalf),
      batch(0, firstHalf),
      batch(1, participantsPartition),
      batch(0, [...firstHalf.slice(-3), ...secondHalf]),
      batch(0, escrowPartition),
      batch(1, participantsPartition.slice(2)),
    ];
    await createProjectionWorker({ db: bed.db, projection: instance('crawl_redelivered'), source: scriptedSource(deliveries) }).run(new AbortController().signal);

    expect(await allRows('crawl_redelivered')).toEqual(await allRows('crawl_once'));
    const comparison = await compareSchemas(bed.db.knex, { live: projectionSchema('crawl_redelivered'), shadow: projectionSchema('crawl_once') });
    expect(comparison.map((c) => c.table)).toEqual(['crawls', 'escrows', 'participants', 'platform_days', 'publisher_days']);
    expect(comparison.filter((c) => !c.same)).toEqual([]);
    // Not trivially equal: the tables hold the market, each bill counted once.
    expect((await allRows('crawl_once')).escrows).toEqual([
      { platform_id: 'redelivery-ai', deposited: 6_000, billed: 120 + 300 + 300 + 120, refunded: 120, crawls: 4 },
      { platform_id: 'redelivery-bot', deposited: 2_000, billed: 300 + 120 + 300 + 300, refunded: 300, crawls: 4 },
    ]);
    expect(await parkedLsns('crawl_redelivered')).toEqual([]);
  });

  it('parks the stream of a failing event while the other streams go on, and the read model still reaches the head', async () => {
    const recorded = await bed.append([
      ...market('parking'),
      refunded('parking-ai', 'parking-news', 'no-such-crawl'),
      billed('parking-ai', 'parking-news', 'parking-after-1'),
      billed('parking-bot', 'parking-news', 'parking-other-1'),
      deposited('parking-ai', 700),
      billed('parking-bot', 'parking-news', 'parking-other-2'),
    ]);
    const [poison, behind1, , behind2] = recorded.slice(-5);
    const head = await bed.runToHead(crawlProjection, 4);
    expect(head).toBe(await bed.eventStore.headLsn());

    const parked = await listParked(bed.db, [crawlProjection]);
    expect(parked.map((p) => [p.streamId, p.lsn, p.type])).toEqual([
      ['escrow-parking-ai', poison!.lsn, 'CrawlRefunded'],
      ['escrow-parking-ai', behind1!.lsn, 'CrawlBilled'],
      ['escrow-parking-ai', behind2!.lsn, 'EscrowDeposited'],
    ]);
    expect(parked[0]!.error).toContain('unknown crawl no-such-crawl');
    // The other escrow and every participant went on; the parked escrow stopped at the poison event.
    const rows = await allRows('crawl');
    const crawlsOf = (platformId: string) => rows.crawls.filter((c) => c.platform_id === platformId).map((c) => c.crawl_id);
    expect(crawlsOf('parking-bot')).toEqual(expect.arrayContaining(['parking-other-1', 'parking-other-2']));
    expect(crawlsOf('parking-ai')).not.toContain('parking-after-1');
    expect(rows.escrows.find((e) => e.platform_id === 'parking-ai')).toMatchObject({ deposited: 6_000, crawls: 4 });
    expect(rows.escrows.find((e) => e.platform_id === 'parking-bot')).toMatchObject({ crawls: 6 });
    expect(rows.participants.find((p) => p.participant_id === 'parking-news')).toMatchObject({ price: 350 });
  });

  it('rebuilds from LSN 1 into identical tables, parks the same events again, and then goes on live', async () => {
    await bed.runToHead(crawlProjection, 4);
    const live = await allRows('crawl');
    const liveDigests = await digests('crawl');
    const liveParked = await parkedLsns('crawl');
    expect(liveParked.length).toBeGreaterThan(0);
    // Damage the live tables: the rebuild must recompute them, not keep them.
    await bed.db.knex.withSchema(projectionSchema('crawl')).table('escrows').update({ billed: 0 });
    await bed.db.knex.withSchema(projectionSchema('crawl')).table('crawls').where({ crawl_id: 'parking-c2' }).delete();

    const result = await rebuildProjection({ db: bed.db, projection: crawlProjection, eventStore: bed.eventStore, pageSize: 5 });
    expect(result.rebuiltToLsn).toBe(await bed.eventStore.headLsn());
    expect(result.parked).toBe(liveParked.length);
    expect(await allRows('crawl')).toEqual(live);
    expect(await digests('crawl')).toEqual(liveDigests);
    expect(await parkedLsns('crawl')).toEqual(liveParked);

    // Live again after the swap: new events are applied once, and the tables equal one clean pass over the log.
    await bed.append(market('after-rebuild'));
    await bed.runToHead(crawlProjection, 4);
    const whole = await bed.eventStore.readAll({ fromLsn: 1 });
    await bed.applyBatch(instance('crawl_reference'), whole);
    const comparison = await compareSchemas(bed.db.knex, { live: projectionSchema('crawl'), shadow: projectionSchema('crawl_reference') });
    expect(comparison.filter((c) => !c.same)).toEqual([]);
    expect(await parkedLsns('crawl_reference')).toEqual(await parkedLsns('crawl'));
  });
});
