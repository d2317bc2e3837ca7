// The crawl-billing read side end to end on real servers: HTTP commands → PostgreSQL event store → relay →
// Kafka (3 partitions: escrow and participant streams land on different ones) → crawl projection worker →
// `projection_crawl` → HTTP queries, held to an independent fold of the log: escrows, revenue, spend, the
// crawl ledger, each day's settlement root and every payout proof. Each participant acts with a key scoped to it.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../events-schema/index.ts';
import { fromHex32, toHex } from '../../events-schema/leaf.ts';
import { buildHttpApp } from '../../gateways/http/app.ts';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { readModelsOf } from '../../gateways/composition/read-models.ts';
import { expectDeliveredOverKafka, readSideQueries, stopReadSide } from '../../gateways/testing/read-side-queries.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import { merkleRoot, rootFromProof } from '../anchoring/merkle-tree.ts';
import { startKafkaReadSide, type KafkaReadSide } from '../testing/kafka-read-side.ts';
import { CRAWL_PROJECTION, crawlProjection } from './crawl-projection.ts';
import { payoutLeaf, publisherHashOf } from './payout-leaf.ts';
import type { CrawlEntry } from '../../ports/read-models/crawl.ts';

const DAY = 86_400_000;
const DAY_1 = '2030-03-01';
const DAY_2 = '2030-03-02';
const DAY_3 = '2030-03-03';
const DAYS = [DAY_1, DAY_2, DAY_3];
let now = Date.parse(`${DAY_1}T09:00:00Z`);
let fixture: HttpFixture;
let app: FastifyInstance;
let prefix: string;
let readSide: KafkaReadSide | undefined;

const PUBLISHERS = ['pub-a', 'pub-b', 'pub-c'];
const PLATFORMS = ['ai-1', 'ai-2', 'ai-3'];
/** Each participant's key, scoped to it. */
const keys = new Map<string, Credential>();

beforeAll(async () => {
  // A gateway whose read side is fed by Kafka, not the local bus.
  fixture = await createHttpFixture({ clock: () => now, readSide: 'fed-elsewhere' });
  app = fixture.app;
  for (const participantId of [...PUBLISHERS, ...PLATFORMS]) keys.set(participantId, await fixture.keyFor({ role: 'participant', scope: participantId }));
  readSide = startKafkaReadSide({ eventStore: fixture.eventStore, db: fixture.db, projection: crawlProjection, name: 'crawl' });
  prefix = readSide.prefix;
});
afterAll(() => stopReadSide(readSide, fixture));

type Method = 'POST' | 'PUT';
/** A command given by participant `as`, with its key. */
const inject = (as: string, method: Method, url: string, payload: object) => app.inject({ method, url, payload, headers: keys.get(as)! });
const send = async (as: string, method: Method, url: string, payload: object, expected = [200, 201]) => {
  const response = await inject(as, method, url, payload);
  expect(expected, `${method} ${url}: ${response.body}`).toContain(response.statusCode);
  return response.json();
};
const caughtUp = () => readSideQueries(fixture, CRAWL_PROJECTION).caughtUp();
/** A query answered once the read model holds the whole log (consistentWith = head). */
const query = (url: string) => readSideQueries(fixture, CRAWL_PROJECTION).query(url);

let crawlCount = 0;
const crawlBody = (platformId: string, publisherId: string) => {
  crawlCount += 1;
  return { crawlId: `crawl-${crawlCount}`, platformId, publisherId, url: `https://${publisherId}.example/article/${crawlCount}`, bytes: 1000 + crawlCount * 37 };
};
const bill = (platformId: string, publisherId: string) => inject(platformId, 'POST', '/v1/crawls', crawlBody(platformId, publisherId));
const billOk = async (platformId: string, publisherId: string) => {
  const response = await bill(platformId, publisherId);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { crawlId: string; amount: number; balance: number; lsn: number };
};

// ---------------------------------------------------------------------------------------------------------
// The fold: what the read model must show, computed straight from the events read back from the store.

type Totals = { crawls: number; billed: number; refunded: number };
type Ledger = CrawlEntry;
type Fold = {
  roles: Map<string, string>;
  escrows: Map<string, { deposited: number; billed: number; refunded: number; crawls: number; balance: number; lastBalanceAfter: number }>;
  crawls: Map<string, Ledger>;
  publisherDays: Map<string, Map<string, Totals>>;
  platformDays: Map<string, Map<string, Totals>>;
};

const utcDay = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);
const iso = (epochMs: number) => new Date(epochMs).toISOString();

async function foldLog(): Promise<Fold> {
  const fold: Fold = { roles: new Map(), escrows: new Map(), crawls: new Map(), publisherDays: new Map(), platformDays: new Map() };
  const escrow = (platformId: string) => {
    const existing = fold.escrows.get(platformId) ?? { deposited: 0, billed: 0, refunded: 0, crawls: 0, balance: 0, lastBalanceAfter: 0 };
    fold.escrows.set(platformId, existing);
    return existing;
  };
  const dayTotals = (table: Map<string, Map<string, Totals>>, who: string, day: string) => {
    const days = table.get(who) ?? new Map<string, Totals>();
    table.set(who, days);
    const totals = days.get(day) ?? { crawls: 0, billed: 0, refunded: 0 };
    days.set(day, totals);
    return totals;
  };
  for (const recorded of await fixture.eventStore.readAll({ fromLsn: 1 })) {
    const event = decodeEvent(recorded.data);
    switch (event.type) {
      case 'ParticipantRegistered':
        fold.roles.set(event.data.participantId, event.data.role);
        break;
      case 'EscrowDeposited': {
        const e = escrow(event.data.platformId);
        e.deposited += event.data.amount;
        e.balance += event.data.amount;
        e.lastBalanceAfter = event.data.balanceAfter;
        break;
      }
      case 'CrawlBilled': {
        const { crawlId, platformId, publisherId, url, bytes, amount, billedAt, balanceAfter } = event.data;
        const e = escrow(platformId);
        e.billed += amount;
        e.crawls += 1;
        e.balance -= amount;
        e.lastBalanceAfter = balanceAfter;
        fold.crawls.set(crawlId, {
          crawlId,
          platformId,
          publisherId,
          url,
          bytes,
          amount,
          status: 'billed',
          billedAt: iso(billedAt),
          disputedAt: null,
          disputeReason: null,
          refundedAt: null,
          lsn: recorded.lsn,
        });
        for (const [table, who] of [[fold.publisherDays, publisherId], [fold.platformDays, platformId]] as const) {
          const totals = dayTotals(table, who, utcDay(billedAt));
          totals.crawls += 1;
          totals.billed += amount;
        }
        break;
      }
      case 'CrawlDisputed': {
        const crawl = fold.crawls.get(event.data.crawlId)!;
        Object.assign(crawl, { status: 'disputed', disputedAt: iso(event.data.disputedAt), disputeReason: event.data.reason });
        break;
      }
      case 'CrawlRefunded': {
        const { crawlId, platformId, publisherId, amount, billedAt, refundedAt, balanceAfter } = event.data;
        Object.assign(fold.crawls.get(crawlId)!, { status: 'refunded', refundedAt: iso(refundedAt) });
        const e = escrow(platformId);
        e.refunded += amount;
        e.balance += amount;
        e.lastBalanceAfter = balanceAfter;
        // Taken off the day the crawl was billed.
        for (const [table, who] of [[fold.publisherDays, publisherId], [fold.platformDays, platformId]] as const) dayTotals(table, who, utcDay(billedAt)).refunded += amount;
        break;
      }
      default:
        break;
    }
  }
  return fold;
}

function expectedTotals(days: Map<string, Totals> | undefined, range: { from?: string; to?: string } = {}) {
  const rows = [...(days ?? new Map<string, Totals>())]
    .filter(([day]) => (!range.from || day >= range.from) && (!range.to || day <= range.to))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, t]) => ({ day, crawls: t.crawls, billed: t.billed, refunded: t.refunded, net: t.billed - t.refunded }));
  const total = rows.reduce((sum, r) => ({ crawls: sum.crawls + r.crawls, billed: sum.billed + r.billed, refunded: sum.refunded + r.refunded, net: sum.net + r.net }), {
    crawls: 0,
    billed: 0,
    refunded: 0,
    net: 0,
  });
  return { days: rows, total };
}

/** A day's settlement from the fold: payouts owed (billed − refunded > 0) in publisherHash order, and their root. */
function expectedSettlement(fold: Fold, day: string) {
  const payouts = [...fold.publisherDays]
    .map(([publisherId, days]) => ({ publisherId, amount: (days.get(day)?.billed ?? 0) - (days.get(day)?.refunded ?? 0) }))
    .filter((payout) => payout.amount > 0)
    .map((payout) => ({ ...payout, hash: toHex(publisherHashOf(payout.publisherId)), leaf: payoutLeaf({ ...payout, day }) }))
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return {
    day,
    root: payouts.length === 0 ? null : toHex(merkleRoot(payouts.map((p) => p.leaf))),
    total: payouts.reduce((sum, p) => sum + p.amount, 0),
    payouts: payouts.map(({ publisherId, amount, leaf }) => ({ publisherId, amount, leaf: toHex(leaf) })),
  };
}

type CrawlPage = { crawls: Ledger[]; nextCursor: string | null };
async function allPages(filter: string, limit: number): Promise<{ pages: number; crawls: Ledger[] }> {
  const crawls: Ledger[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= 100; pages++) {
    const page: CrawlPage = await query(`/v1/crawls?limit=${limit}${filter}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.crawls.length).toBeLessThanOrEqual(limit);
    crawls.push(...page.crawls);
    if (page.nextCursor === null) return { pages, crawls };
    expect(page.crawls).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end');
}

// ---------------------------------------------------------------------------------------------------------

describe('crawl read side over Kafka', () => {
  const disputed: string[] = [];
  const refunds: Array<{ crawlId: string; platformId: string; publisherId: string }> = [];

  it('takes a market through three days of bills, a refused overdraw, disputes and refunds', async () => {
    // Day 1: participants, prices, deposits; bills from ai-1 to every publisher, side by side.
    for (const participantId of PUBLISHERS) await send(participantId, 'POST', '/v1/participants', { participantId, role: 'publisher', name: `Publisher ${participantId}` });
    for (const participantId of PLATFORMS) await send(participantId, 'POST', '/v1/participants', { participantId, role: 'platform', name: `Platform ${participantId}` });
    await send('pub-a', 'PUT', '/v1/publishers/pub-a/price', { pricePerCrawl: 2_500 });
    await send('pub-b', 'PUT', '/v1/publishers/pub-b/price', { pricePerCrawl: 700 });
    await send('pub-c', 'PUT', '/v1/publishers/pub-c/price', { pricePerCrawl: 1_200 });
    expect(await send('ai-1', 'POST', '/v1/platforms/ai-1/deposits', { amount: 100_000 })).toMatchObject({ amount: 100_000, balance: 100_000 });
    expect(await send('ai-2', 'POST', '/v1/platforms/ai-2/deposits', { amount: 20_000 })).toMatchObject({ balance: 20_000 });

    const day1 = await Promise.all(Array.from({ length: 12 }, (_, i) => billOk('ai-1', PUBLISHERS[i % 3]!)));
    expect(day1.map((b) => b.amount).reduce((a, b) => a + b, 0)).toBe(4 * 2_500 + 4 * 700 + 4 * 1_200);

    // ai-2 crawls pub-b 30 times at once with 20 000 in escrow: 28 crawls fit (19 600), 2 are refused.
    const burst = await Promise.all(Array.from({ length: 30 }, () => bill('ai-2', 'pub-b')));
    const accepted = burst.filter((r) => r.statusCode === 201);
    const refused = burst.filter((r) => r.statusCode !== 201);
    expect(accepted).toHaveLength(28);
    expect(refused.map((r) => [r.statusCode, r.json().error])).toEqual([
      [409, 'insufficient_escrow'],
      [409, 'insufficient_escrow'],
    ]);
    expect(Math.min(...accepted.map((r) => r.json().balance))).toBe(400);
    // The refused overdraw appends nothing.
    const head = await fixture.eventStore.headLsn();
    const overdraw = await bill('ai-2', 'pub-a');
    expect(overdraw.statusCode).toBe(409);
    expect(overdraw.json()).toMatchObject({ error: 'insufficient_escrow' });
    expect(await fixture.eventStore.headLsn()).toBe(head);

    // Day 2: pub-a raises its price; ai-2 tops up; more bills; disputes of day-1 bills.
    now = Date.parse(`${DAY_2}T15:30:00Z`);
    await send('pub-a', 'PUT', '/v1/publishers/pub-a/price', { pricePerCrawl: 3_000 });
    expect(await send('ai-2', 'POST', '/v1/platforms/ai-2/deposits', { amount: 5_000 })).toMatchObject({ balance: 5_400 });
    const day2A = await Promise.all([billOk('ai-1', 'pub-a'), billOk('ai-1', 'pub-a'), billOk('ai-1', 'pub-a')]);
    expect(day2A.map((b) => b.amount)).toEqual([3_000, 3_000, 3_000]);
    const day2C = await Promise.all([billOk('ai-1', 'pub-c'), billOk('ai-1', 'pub-c'), billOk('ai-1', 'pub-c')]);
    expect((await billOk('ai-2', 'pub-a')).balance).toBe(2_400);
    for (let i = 0; i < 3; i++) await billOk('ai-2', 'pub-b');

    const [firstA, firstC] = [day1[0]!, day1[2]!]; // i = 0 → pub-a, i = 2 → pub-c
    const firstB2 = accepted[0]!.json() as { crawlId: string };
    await send('ai-1', 'POST', `/v1/crawls/${firstA.crawlId}/dispute`, { platformId: 'ai-1', reason: 'disallowed by robots.txt' });
    await send('ai-1', 'POST', `/v1/crawls/${firstC.crawlId}/dispute`, { platformId: 'ai-1', reason: 'paywalled page' });
    await send('ai-2', 'POST', `/v1/crawls/${firstB2.crawlId}/dispute`, { platformId: 'ai-2', reason: 'duplicate fetch' });
    disputed.push(firstA.crawlId, firstC.crawlId, firstB2.crawlId);

    // Day 3: refunds — two disputed day-1 bills, and every day-2 bill of pub-c (pub-c is owed nothing for day 2).
    now = Date.parse(`${DAY_3}T07:45:00Z`);
    refunds.push(
      { crawlId: firstA.crawlId, platformId: 'ai-1', publisherId: 'pub-a' },
      { crawlId: firstB2.crawlId, platformId: 'ai-2', publisherId: 'pub-b' },
      ...day2C.map((b) => ({ crawlId: b.crawlId, platformId: 'ai-1', publisherId: 'pub-c' })),
    );
    for (const { crawlId, ...body } of refunds) await send(body.publisherId, 'POST', `/v1/crawls/${crawlId}/refund`, body);
    await billOk('ai-1', 'pub-b');
    await billOk('ai-1', 'pub-b');

    // The log agrees with the command answers: one bill per accepted crawl, none for the refused ones.
    const fold = await foldLog();
    expect(fold.crawls.size).toBe(12 + 28 + 3 + 3 + 1 + 3 + 2);
    expect([...fold.crawls.values()].filter((c) => c.status === 'refunded').map((c) => c.crawlId).sort()).toEqual(refunds.map((r) => r.crawlId).sort());
    expect(fold.crawls.get(firstC.crawlId)).toMatchObject({ status: 'disputed', disputeReason: 'paywalled page' });
    for (const [platformId, escrow] of fold.escrows) expect(escrow.balance, platformId).toBe(escrow.lastBalanceAfter);
  });

  it('answers escrows, revenue and spend equal to the fold of the log', async () => {
    await caughtUp();
    const fold = await foldLog();
    for (const platformId of PLATFORMS) {
      const escrow = fold.escrows.get(platformId) ?? { deposited: 0, billed: 0, refunded: 0, crawls: 0, balance: 0 };
      const { asOfLsn, ...answer } = await query(`/v1/platforms/${platformId}/escrow`);
      expect(answer, platformId).toEqual({ platformId, deposited: escrow.deposited, billed: escrow.billed, refunded: escrow.refunded, balance: escrow.balance, crawls: escrow.crawls });
    }
    expect(fold.escrows.has('ai-3')).toBe(false); // a registered platform without deposits reads as zeros
    expect((await app.inject({ method: 'GET', url: '/v1/platforms/nobody/escrow' })).json()).toMatchObject({ error: 'platform_not_found' });
    expect((await app.inject({ method: 'GET', url: '/v1/platforms/pub-a/escrow' })).statusCode).toBe(404);

    for (const publisherId of PUBLISHERS) {
      const { asOfLsn, ...revenue } = await query(`/v1/publishers/${publisherId}/revenue`);
      expect(revenue, publisherId).toEqual({ publisherId, ...expectedTotals(fold.publisherDays.get(publisherId)) });
      const { asOfLsn: _, ...ranged } = await query(`/v1/publishers/${publisherId}/revenue?from=${DAY_2}&to=${DAY_2}`);
      expect(ranged, `${publisherId} on ${DAY_2}`).toEqual({ publisherId, ...expectedTotals(fold.publisherDays.get(publisherId), { from: DAY_2, to: DAY_2 }) });
    }
    for (const platformId of PLATFORMS) {
      const { asOfLsn, ...spend } = await query(`/v1/platforms/${platformId}/spend`);
      expect(spend, platformId).toEqual({ platformId, ...expectedTotals(fold.platformDays.get(platformId)) });
      const { asOfLsn: _, ...ranged } = await query(`/v1/platforms/${platformId}/spend?from=${DAY_2}`);
      expect(ranged, `${platformId} from ${DAY_2}`).toEqual({ platformId, ...expectedTotals(fold.platformDays.get(platformId), { from: DAY_2 }) });
    }
    // Spot checks that the fold is not trivially empty: refunds land on the bill's day, not the refund's.
    expect((await query('/v1/publishers/pub-c/revenue')).days).toEqual([
      { day: DAY_1, crawls: 4, billed: 4_800, refunded: 0, net: 4_800 },
      { day: DAY_2, crawls: 3, billed: 3_600, refunded: 3_600, net: 0 },
    ]);
    expect((await query('/v1/platforms/ai-2/escrow')).balance).toBe(2_400 - 3 * 700 + 700);
  });

  it('pages the crawl ledger newest first, whole and filtered, exactly as the fold lists the bills', async () => {
    await caughtUp();
    const fold = await foldLog();
    const newestFirst = (filter: (c: Ledger) => boolean) => [...fold.crawls.values()].filter(filter).sort((a, b) => b.lsn - a.lsn);

    const everything = await allPages('', 7);
    expect(everything.crawls).toEqual(newestFirst(() => true));
    expect(everything.pages).toBe(Math.ceil(fold.crawls.size / 7));
    for (const platformId of PLATFORMS) expect((await allPages(`&platformId=${platformId}`, 5)).crawls, platformId).toEqual(newestFirst((c) => c.platformId === platformId));
    for (const publisherId of PUBLISHERS) expect((await allPages(`&publisherId=${publisherId}`, 4)).crawls, publisherId).toEqual(newestFirst((c) => c.publisherId === publisherId));
    expect((await allPages('&platformId=ai-1&publisherId=pub-c', 3)).crawls).toEqual(newestFirst((c) => c.platformId === 'ai-1' && c.publisherId === 'pub-c'));
    expect(everything.crawls.filter((c) => c.status === 'disputed').map((c) => c.crawlId)).toHaveLength(1);
    const bogus = await app.inject({ method: 'GET', url: '/v1/crawls?limit=5&cursor=bm90LWEtY3Vyc29y' });
    expect([bogus.statusCode, bogus.json().error]).toEqual([400, 'invalid_request']);
  });

  it('answers each day’s settlement batch as the fold computes it, and payout proofs that lead to its root', async () => {
    await caughtUp();
    const fold = await foldLog();
    let proofs = 0;
    for (const day of DAYS) {
      const expected = expectedSettlement(fold, day);
      const { asOfLsn, ...batch } = await query(`/v1/settlements/${day}`);
      expect(batch, day).toEqual(expected);
      expect(batch.root, day).toMatch(/^0x[0-9a-f]{64}$/);

      for (const payout of expected.payouts) {
        const { asOfLsn: _, ...proof } = await query(`/v1/publishers/${payout.publisherId}/payouts/${day}/proof`);
        expect(proof).toMatchObject({ publisherId: payout.publisherId, day, amount: payout.amount, leaf: payout.leaf, root: expected.root });
        // The leaf is the helper's, and the proof leads from it to the settlement root...
        expect(proof.leaf).toBe(toHex(payoutLeaf({ publisherId: payout.publisherId, day, amount: payout.amount })));
        const siblings = (proof.proof as string[]).map((hex) => fromHex32(hex));
        expect(toHex(rootFromProof(fromHex32(proof.leaf), siblings))).toBe(batch.root);
        // ...and a publisher claiming one micro-unit more does not.
        const inflated = payoutLeaf({ publisherId: payout.publisherId, day, amount: payout.amount + 1 });
        expect(toHex(rootFromProof(inflated, siblings))).not.toBe(batch.root);
        proofs += 1;
      }
    }
    expect(proofs).toBe(3 + 2 + 1); // day 1: a, b, c; day 2: a, b (c refunded in full); day 3: b

    // Owed nothing: pub-c's day-2 bills were all refunded; nobody crawled the day before.
    const none = await app.inject({ method: 'GET', url: `/v1/publishers/pub-c/payouts/${DAY_2}/proof` });
    expect([none.statusCode, none.json().error]).toEqual([404, 'payout_not_found']);
    const before = await query(`/v1/settlements/${utcDay(Date.parse(DAY_1) - DAY)}`);
    expect(before).toMatchObject({ root: null, total: 0, payouts: [] });
  });

  it('answers ?consistentWith= only once the command is in the read model, and 504 when it cannot get there', async () => {
    const before = await query('/v1/platforms/ai-3/escrow');
    const deposit = await send('ai-3', 'POST', '/v1/platforms/ai-3/deposits', { amount: 9_000 });
    const escrow = await app.inject({ method: 'GET', url: `/v1/platforms/ai-3/escrow?consistentWith=${deposit.lsn}` });
    expect(escrow.statusCode).toBe(200);
    expect(escrow.json()).toMatchObject({ deposited: before.deposited + 9_000, balance: before.balance + 9_000 });
    expect(escrow.json().asOfLsn).toBeGreaterThanOrEqual(deposit.lsn);

    const billed = await billOk('ai-3', 'pub-a');
    const ledger = await app.inject({ method: 'GET', url: `/v1/crawls?platformId=ai-3&consistentWith=${billed.lsn}` });
    expect(ledger.json().crawls.map((c: Ledger) => [c.crawlId, c.lsn])).toEqual([[billed.crawlId, billed.lsn]]);

    // Without it, the answer says how far the read model got; beyond the log's head, a bounded wait then 504.
    const plain = await app.inject({ method: 'GET', url: '/v1/platforms/ai-3/escrow' });
    expect(plain.json().asOfLsn).toBeLessThanOrEqual(await fixture.eventStore.headLsn());
    const impatient = await buildHttpApp({
      eventStore: fixture.eventStore,
      idempotency: new PostgresIdempotencyStore(fixture.db.pool),
      readModels: readModelsOf(fixture.db),
      consistencyTimeoutMs: 300,
    });
    try {
      const future = (await fixture.eventStore.headLsn()) + 1_000;
      const timeout = await impatient.inject({ method: 'GET', url: `/v1/settlements/${DAY_1}?consistentWith=${future}` });
      expect(timeout.statusCode).toBe(504);
      expect(timeout.json()).toMatchObject({ error: 'read_model_timeout', message: expect.stringContaining(String(future)) });
    } finally {
      await impatient.close();
    }
  });

  it('spread the streams over the topic’s partitions, each stream on one, and parked nothing', async () => {
    const head = await caughtUp();
    const messages = await expectDeliveredOverKafka(fixture, crawlProjection, prefix, Array.from({ length: head }, (_, i) => i + 1));
    expect(new Set(messages.map((m) => m.partition)).size).toBeGreaterThan(1);
  });
});
