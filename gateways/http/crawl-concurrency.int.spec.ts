// Many clients at once against one escrow, on the real PostgreSQL event store: it is never overdrawn, a crawl
// id is billed once, and exactly the affordable number of crawls is billed — also when two gateways (two
// batched writers with their own cached state) write the same escrow. The platform bills with a key scoped to
// it, the publisher refunds with its own; both gateways verify the same keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { decodeEvent, type EscrowEvent } from '../../events-schema/index.ts';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore, type PostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { createHttpFixture, GENEROUS_RATE_LIMITS, TEST_AUTH, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { buildHttpApp } from './app.ts';

let fixture: HttpFixture;
let secondStore: PostgresEventStore;
let secondGateway: FastifyInstance;

beforeAll(async () => {
  fixture = await createHttpFixture();
  // Another gateway process: its own event store instance and its own escrow writers, on the same database.
  secondStore = createPostgresEventStore(fixture.db);
  secondGateway = await buildHttpApp({
    eventStore: secondStore,
    idempotency: new PostgresIdempotencyStore(fixture.db.pool),
    sessions: new PostgresSessionStore(fixture.db.pool),
    apiKeys: new PostgresApiKeyStore(fixture.db.pool),
    auth: TEST_AUTH,
    rateLimits: GENEROUS_RATE_LIMITS,
  });
});
afterAll(async () => {
  await secondGateway?.close();
  await secondStore?.close();
  await fixture?.close();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const post = (url: string, payload: object, as: Credential, app: FastifyInstance = fixture.app) => app.inject({ method: 'POST', url, payload, headers: as });

/** Each participant's key, scoped to it, by participant id. */
const keys = new Map<string, Credential>();

async function market(price: number, deposit: number) {
  const publisherId = unique('pub');
  const platformId = unique('ai');
  for (const participantId of [publisherId, platformId]) keys.set(participantId, await fixture.keyFor({ role: 'participant', scope: participantId }));
  const publisher = keys.get(publisherId)!;
  const platform = keys.get(platformId)!;
  expect((await post('/v1/participants', { participantId: publisherId, role: 'publisher', name: 'News' }, publisher)).statusCode).toBe(201);
  expect((await post('/v1/participants', { participantId: platformId, role: 'platform', name: 'AI' }, platform)).statusCode).toBe(201);
  expect((await fixture.app.inject({ method: 'PUT', url: `/v1/publishers/${publisherId}/price`, payload: { pricePerCrawl: price }, headers: publisher })).statusCode).toBe(200);
  expect((await post(`/v1/platforms/${platformId}/deposits`, { amount: deposit }, platform)).statusCode).toBe(201);
  return { publisherId, platformId };
}

/** Billed by the platform, with its key. */
const bill = (platformId: string, publisherId: string, crawlId: string, app?: FastifyInstance) =>
  post('/v1/crawls', { crawlId, platformId, publisherId, url: `https://news.example/${crawlId}`, bytes: 512 }, keys.get(platformId)!, app);
/** Granted by the publisher, with its key. */
const refund = (platformId: string, publisherId: string, crawlId: string, app: FastifyInstance) =>
  post(`/v1/crawls/${crawlId}/refund`, { platformId, publisherId }, keys.get(publisherId)!, app);

/** The escrow's events as recorded, and the invariants every prefix of them must hold. */
async function recordedEscrow(platformId: string) {
  const { events } = await fixture.eventStore.readStream(`escrow-${platformId}`);
  const escrow = events.map((recorded) => decodeEvent(recorded.data) as EscrowEvent);
  let balance = 0;
  const billedIds: string[] = [];
  for (const event of escrow) {
    if (event.type === 'EscrowDeposited') balance += event.data.amount;
    if (event.type === 'CrawlBilled') {
      balance -= event.data.amount;
      billedIds.push(event.data.crawlId);
    }
    if (event.type === 'CrawlRefunded') balance += event.data.amount;
    expect(balance, `balance after ${event.type}`).toBeGreaterThanOrEqual(0);
    if ('balanceAfter' in event.data) expect(event.data.balanceAfter).toBe(balance);
  }
  return { balance, billedIds, events: escrow };
}

describe('one escrow, many clients at once', () => {
  it('bills exactly the affordable number of 300 simultaneous crawls and never overdraws', async () => {
    const { publisherId, platformId } = await market(7, 7 * 120 + 5);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => bill(platformId, publisherId, `${platformId}-c${i}`)));

    const accepted = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode !== 201);
    expect(accepted).toHaveLength(120);
    expect(refused.every((a) => a.statusCode === 409 && a.json().error === 'insufficient_escrow')).toBe(true);
    expect(new Set(accepted.map((a) => a.json().lsn)).size).toBe(120);
    expect(Math.min(...accepted.map((a) => a.json().balance))).toBe(5);

    const { balance, billedIds } = await recordedEscrow(platformId);
    expect(balance).toBe(5);
    expect(billedIds.sort()).toEqual(accepted.map((a) => JSON.parse(a.payload).crawlId).sort());
  });

  it('bills one crawl id once when 50 clients send it at the same time (among other crawls)', async () => {
    const { publisherId, platformId } = await market(10, 10_000);
    const contested = `${platformId}-contested`;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => bill(platformId, publisherId, i % 2 === 0 ? contested : `${platformId}-other-${i}`)),
    );
    const forContested = answers.filter((_, i) => i % 2 === 0);
    expect(forContested.filter((a) => a.statusCode === 201)).toHaveLength(1);
    expect(forContested.filter((a) => a.statusCode === 409 && a.json().error === 'crawl_already_billed')).toHaveLength(49);
    expect(answers.filter((_, i) => i % 2 === 1).every((a) => a.statusCode === 201)).toBe(true);

    const { billedIds, balance } = await recordedEscrow(platformId);
    expect(billedIds.filter((id) => id === contested)).toHaveLength(1);
    expect(billedIds).toHaveLength(51);
    expect(balance).toBe(10_000 - 51 * 10);
  });

  it('holds when two gateways bill, dispute and refund on the same escrow concurrently', async () => {
    const { publisherId, platformId } = await market(5, 5 * 50);
    // 20 crawls billed first, so they can be refunded while new bills race for the rest of the escrow.
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => bill(platformId, publisherId, `${platformId}-f${i}`)));
    expect(first.every((a) => a.statusCode === 201)).toBe(true);

    const gateways = [fixture.app, secondGateway];
    const racing = await Promise.all([
      // 100 new bills for 30 units of headroom plus whatever the refunds give back, split over both gateways;
      // 20 of their ids are sent to both gateways at once.
      ...Array.from({ length: 100 }, (_, i) => bill(platformId, publisherId, `${platformId}-r${i % 80}`, gateways[i % 2])),
      ...Array.from({ length: 10 }, (_, i) => refund(platformId, publisherId, `${platformId}-f${i}`, gateways[(i + 1) % 2]!)),
      ...Array.from({ length: 10 }, (_, i) => refund(platformId, publisherId, `${platformId}-f${i}`, gateways[i % 2]!)),
    ]);
    const bills = racing.slice(0, 100);
    const refunds = racing.slice(100);
    expect(bills.every((a) => a.statusCode === 201 || (a.statusCode === 409 && ['insufficient_escrow', 'crawl_already_billed'].includes(a.json().error)))).toBe(true);
    // Each crawl refunded exactly once, whichever gateway got there first.
    expect(refunds.filter((a) => a.statusCode === 200)).toHaveLength(10);
    expect(refunds.filter((a) => a.statusCode === 409 && a.json().error === 'crawl_already_refunded')).toHaveLength(10);

    const raced = await recordedEscrow(platformId);
    expect(new Set(raced.billedIds).size).toBe(raced.billedIds.length);
    expect(raced.billedIds.length).toBe(20 + bills.filter((a) => a.statusCode === 201).length);

    // Whatever the interleaving, billing the ids not billed yet one by one now spends exactly what is left:
    // 50 deposited for 10 crawls, 30 of headroom and 10 refunded crawls give 40 more.
    for (let i = 0; i < 80; i++) {
      if (!raced.billedIds.includes(`${platformId}-r${i}`)) await bill(platformId, publisherId, `${platformId}-r${i}`, gateways[i % 2]);
    }
    const { balance, billedIds, events } = await recordedEscrow(platformId);
    expect(new Set(billedIds).size).toBe(billedIds.length);
    expect(events.filter((e) => e.type === 'CrawlRefunded')).toHaveLength(10);
    expect(billedIds.length).toBe(20 + 40);
    expect(balance).toBe(0);
  });
});
