// Crawl billing over HTTP against a real PostgreSQL event store, with the read side on the local bus:
// each command's rule, its refusal (nothing appended), and what the queries answer after it. Each participant
// acts through an API key scoped to it (who else may act is crawl-authority.int.spec.ts's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { expectNothingAppended as nothingAppended, expectError } from '../testing/http-expectations.ts';

let fixture: HttpFixture;
const DAY = 86_400_000;
let now = Date.parse('2030-01-10T12:00:00Z');

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now, readSide: true });
});
afterAll(async () => fixture?.close());

/** A command as `as` (an Authorization header; none: anonymous). */
const send = (method: 'POST' | 'PUT', url: string, payload: unknown, as: Partial<Credential>, headers: Record<string, string> = {}) =>
  fixture.app.inject({ method, url, payload: payload as object, headers: { ...as, ...headers } });
const get = (url: string) => fixture.app.inject({ method: 'GET', url });

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

const expectNothingAppended = (action: () => Promise<unknown>) => nothingAppended(fixture, action);

/** A publisher at `price`, and a platform with `deposit` in escrow, each registered and acting with a key scoped to it. */
async function market(price = 300, deposit = 1000) {
  const publisherId = unique('pub');
  const platformId = unique('ai');
  const publisher = await fixture.keyFor({ role: 'participant', scope: publisherId });
  const platform = await fixture.keyFor({ role: 'participant', scope: platformId });
  expect((await send('POST', '/v1/participants', { participantId: publisherId, role: 'publisher', name: 'Daily News' }, publisher)).statusCode).toBe(201);
  expect((await send('POST', '/v1/participants', { participantId: platformId, role: 'platform', name: 'Crawler AI' }, platform)).statusCode).toBe(201);
  expect((await send('PUT', `/v1/publishers/${publisherId}/price`, { pricePerCrawl: price }, publisher)).statusCode).toBe(200);
  if (deposit > 0) expect((await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: deposit }, platform)).statusCode).toBe(201);
  return { publisherId, platformId, publisher: { authorization: publisher.authorization }, platform: { authorization: platform.authorization } };
}

const crawl = (platformId: string, publisherId: string, crawlId = unique('crawl')) => ({ crawlId, platformId, publisherId, url: `https://news.example/${crawlId}`, bytes: 2048 });

describe('participants and prices', () => {
  it('registers a participant with 201, its stream and LSN, and refuses the same id again with 409', async () => {
    const owner = await fixture.keyFor({ role: 'participant', scope: 'acme-news' });
    const response = await send('POST', '/v1/participants', { participantId: 'acme-news', role: 'publisher', name: 'Acme' }, owner);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ participantId: 'acme-news', role: 'publisher', streamId: 'participant-acme-news', lsn: expect.any(Number) });
    const other = await fixture.keyFor({ role: 'participant', scope: 'acme-news' });
    await expectNothingAppended(async () => expectError(await send('POST', '/v1/participants', { participantId: 'acme-news', role: 'platform', name: 'x' }, other), 409, 'participant_exists'));
  });

  it.each([
    ['/v1/participants', 'POST', { participantId: 'a b', role: 'publisher', name: 'x' }, 'participantId'],
    ['/v1/participants', 'POST', { participantId: 'ok', role: 'miner', name: 'x' }, 'role'],
    ['/v1/participants', 'POST', { participantId: 'ok', role: 'publisher' }, 'name'],
    ['/v1/publishers/p1/price', 'PUT', { pricePerCrawl: 1.5 }, 'pricePerCrawl'],
    ['/v1/publishers/p1/price', 'PUT', { pricePerCrawl: -1 }, 'pricePerCrawl'],
    ['/v1/publishers/p1/price', 'PUT', { pricePerCrawl: 2 ** 53 }, 'pricePerCrawl'],
    ['/v1/publishers/p1/price', 'PUT', { pricePerCrawl: '100' }, 'pricePerCrawl'],
    // One past the largest long an event records (2^53 − 2): refused here, not by the encoder as a 500.
    ['/v1/publishers/p1/price', 'PUT', { pricePerCrawl: Number.MAX_SAFE_INTEGER }, 'pricePerCrawl'],
    ['/v1/platforms/p1/deposits', 'POST', { amount: Number.MAX_SAFE_INTEGER }, 'amount'],
    ['/v1/crawls', 'POST', { crawlId: 'c', platformId: 'a', publisherId: 'b', url: 'https://x.example', bytes: Number.MAX_SAFE_INTEGER }, 'bytes'],
    ['/v1/platforms/p1/deposits', 'POST', { amount: 0 }, 'amount'],
    ['/v1/platforms/p1/deposits', 'POST', { amount: 10, currency: 'usd' }, ''],
    ['/v1/crawls', 'POST', { crawlId: 'c', platformId: 'a', publisherId: 'b', url: 'not a url', bytes: 1 }, 'url'],
    ['/v1/crawls', 'POST', { crawlId: 'c', platformId: 'a', publisherId: 'b', url: 'https://x.example', bytes: -1 }, 'bytes'],
    ['/v1/crawls', 'POST', { crawlId: 'c c', platformId: 'a', publisherId: 'b', url: 'https://x.example', bytes: 1 }, 'crawlId'],
    // `.` and `..` are dot segments: clients resolve them away, so /v1/crawls/../refund could never reach the crawl.
    ['/v1/crawls', 'POST', { crawlId: '..', platformId: 'a', publisherId: 'b', url: 'https://x.example', bytes: 1 }, 'crawlId'],
    ['/v1/crawls', 'POST', { crawlId: 'c', platformId: 'a', publisherId: '.', url: 'https://x.example', bytes: 1 }, 'publisherId'],
    ['/v1/participants', 'POST', { participantId: '..', role: 'publisher', name: 'x' }, 'participantId'],
    ['/v1/crawls/c1/dispute', 'POST', { platformId: 'a' }, 'reason'],
    ['/v1/crawls/c1/refund', 'POST', { platformId: 'a' }, 'publisherId'],
  ] as const)('%s %s answers 400 naming the failing field for %j', async (url, method, payload, path) => {
    await expectNothingAppended(async () => {
      const response = await send(method, url, payload, fixture.admin);
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error).toBe('invalid_request');
      if (path) expect(body.issues.map((issue: { path: string }) => issue.path)).toContain(path);
      else expect(body.issues.length).toBeGreaterThan(0);
    });
  });

  it('refuses a price for an unknown publisher (404) or a platform (422)', async () => {
    const { platformId, platform } = await market();
    await expectNothingAppended(async () => {
      await expectError(await send('PUT', '/v1/publishers/nobody/price', { pricePerCrawl: 5 }, fixture.admin), 404, 'publisher_not_found');
      await expectError(await send('PUT', `/v1/publishers/${platformId}/price`, { pricePerCrawl: 5 }, platform), 422, 'not_a_publisher');
    });
  });
});

describe('escrow and bills', () => {
  it('bills a crawl at the publisher’s price and answers with the balance left; the queries agree', async () => {
    const { publisherId, platformId, platform } = await market(300, 1000);
    const response = await send('POST', '/v1/crawls', crawl(platformId, publisherId, unique('first')), platform);
    expect(response.statusCode).toBe(201);
    const billed = response.json();
    expect(billed).toMatchObject({ amount: 300, balance: 700, eventId: expect.any(String), lsn: expect.any(Number) });
    const [event] = await fixture.eventStore.readAll({ fromLsn: billed.lsn, limit: 1 });
    expect(event).toMatchObject({ type: 'CrawlBilled', streamId: `escrow-${platformId}`, eventId: billed.eventId });

    const escrow = await get(`/v1/platforms/${platformId}/escrow?consistentWith=${billed.lsn}`);
    expect(escrow.json()).toMatchObject({ platformId, deposited: 1000, billed: 300, refunded: 0, balance: 700, crawls: 1 });
    expect(escrow.json().asOfLsn).toBeGreaterThanOrEqual(billed.lsn);
    const revenue = (await get(`/v1/publishers/${publisherId}/revenue?consistentWith=${billed.lsn}`)).json();
    expect(revenue).toMatchObject({ publisherId, days: [{ day: '2030-01-10', crawls: 1, billed: 300, refunded: 0, net: 300 }], total: { net: 300 } });
    const spend = (await get(`/v1/platforms/${platformId}/spend?consistentWith=${billed.lsn}`)).json();
    expect(spend).toMatchObject({ platformId, days: [{ day: '2030-01-10', billed: 300 }], total: { crawls: 1, billed: 300 } });
  });

  it('refuses a crawl the escrow cannot cover with 409 insufficient_escrow, appending nothing', async () => {
    const { publisherId, platformId, platform } = await market(400, 1000);
    expect((await send('POST', '/v1/crawls', crawl(platformId, publisherId), platform)).statusCode).toBe(201);
    expect((await send('POST', '/v1/crawls', crawl(platformId, publisherId), platform)).statusCode).toBe(201);
    await expectNothingAppended(async () => expectError(await send('POST', '/v1/crawls', crawl(platformId, publisherId), platform), 409, 'insufficient_escrow'));
    const topUp = await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 200 }, platform);
    expect(topUp.json()).toMatchObject({ amount: 200, balance: 400 });
    expect((await send('POST', '/v1/crawls', crawl(platformId, publisherId), platform)).json()).toMatchObject({ balance: 0 });
  });

  it('refuses the same crawl id a second time, also from another platform', async () => {
    const { publisherId, platformId, platform } = await market();
    const other = await market();
    const body = crawl(platformId, publisherId);
    expect((await send('POST', '/v1/crawls', body, platform)).statusCode).toBe(201);
    await expectNothingAppended(async () => {
      await expectError(await send('POST', '/v1/crawls', body, platform), 409, 'crawl_already_billed');
      await expectError(await send('POST', '/v1/crawls', { ...body, platformId: other.platformId, publisherId: other.publisherId }, other.platform), 409, 'crawl_already_billed');
    });
  });

  it('refuses unknown participants, wrong roles and a publisher without price', async () => {
    const { publisherId, platformId, publisher, platform } = await market();
    const unpriced = unique('pub');
    const unpricedKey = await fixture.keyFor({ role: 'participant', scope: unpriced });
    expect((await send('POST', '/v1/participants', { participantId: unpriced, role: 'publisher', name: 'New' }, unpricedKey)).statusCode).toBe(201);
    await expectNothingAppended(async () => {
      await expectError(await send('POST', '/v1/crawls', crawl('ghost', publisherId), platform), 404, 'platform_not_found');
      await expectError(await send('POST', '/v1/crawls', crawl(platformId, 'ghost'), platform), 404, 'publisher_not_found');
      // Billed "to" the publisher by its own owner: it is not a platform.
      await expectError(await send('POST', '/v1/crawls', crawl(publisherId, publisherId), publisher), 422, 'not_a_platform');
      await expectError(await send('POST', '/v1/crawls', crawl(platformId, platformId), platform), 422, 'not_a_publisher');
      await expectError(await send('POST', '/v1/crawls', crawl(platformId, unpriced), platform), 409, 'price_not_set');
      await expectError(await send('POST', `/v1/platforms/${publisherId}/deposits`, { amount: 5 }, publisher), 422, 'not_a_platform');
      await expectError(await send('POST', '/v1/platforms/ghost/deposits', { amount: 5 }, platform), 404, 'platform_not_found');
      await expectError(await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: Number.MAX_SAFE_INTEGER - 1 }, platform), 422, 'amount_out_of_range');
    });
    expect((await get('/v1/platforms/ghost/escrow')).statusCode).toBe(404);
  });

  it('replays a deposit sent again with the same Idempotency-Key, appending nothing', async () => {
    const { platformId, platform } = await market(100, 0);
    const headers = { 'idempotency-key': unique('deposit-key') };
    const first = await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 500 }, platform, headers);
    expect(first.statusCode).toBe(201);
    await expectNothingAppended(async () => {
      const again = await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 500 }, platform, headers);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
    });
  });

  it('answers a deposit sent again after its answer was lost (its key released, as after a 5xx) with the first answer, appending nothing', async () => {
    const { platformId, platform } = await market(100, 300);
    const key = unique('lost-deposit');
    const first = await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 500 }, platform, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ amount: 500, balance: 800 });
    expect((await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 50 }, platform)).statusCode).toBe(201);
    await fixture.db.pool.query('update idempotency_keys set status_code = null, response_body = null, claimed_at = null where key = $1', [key]);
    await expectNothingAppended(async () => {
      const again = await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 500 }, platform, { 'idempotency-key': key });
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
    });
  });
});

describe('a bill whose answer was lost', () => {
  it('answers the retry with the first answer, not crawl_already_billed, appending nothing', async () => {
    const { publisherId, platformId, platform } = await market(100, 1000);
    const key = unique('lost-bill');
    const body = crawl(platformId, publisherId);
    const first = await send('POST', '/v1/crawls', body, platform, { 'idempotency-key': key });
    expect(first.statusCode, first.body).toBe(201);
    // The gateway crashed after the append and before it stored the answer: the claim is left unanswered.
    await fixture.db.pool.query('update idempotency_keys set status_code = null, response_body = null, claimed_at = null where key = $1', [key]);
    await expectNothingAppended(async () => {
      const again = await send('POST', '/v1/crawls', body, platform, { 'idempotency-key': key });
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json()).toEqual(first.json());
    });
    // Without its key, the same crawl is a duplicate, as before.
    await expectError(await send('POST', '/v1/crawls', body, platform), 409, 'crawl_already_billed');
  });
});

describe('disputes and refunds', () => {
  it('disputes within 7 days, refunds into the escrow once, and shows it in the ledger and revenue', async () => {
    const { publisherId, platformId, publisher, platform } = await market(300, 1000);
    const someoneElse = await market();
    const body = crawl(platformId, publisherId);
    await send('POST', '/v1/crawls', body, platform);
    now += 7 * DAY;
    const dispute = await send('POST', `/v1/crawls/${body.crawlId}/dispute`, { platformId, reason: 'disallowed by robots.txt' }, platform);
    expect(dispute.statusCode).toBe(200);
    await expectNothingAppended(async () => {
      await expectError(await send('POST', `/v1/crawls/${body.crawlId}/dispute`, { platformId, reason: 'again' }, platform), 409, 'crawl_already_disputed');
      // Another publisher, refunding as itself a crawl it did not bill.
      const notItsCrawl = { platformId, publisherId: someoneElse.publisherId };
      await expectError(await send('POST', `/v1/crawls/${body.crawlId}/refund`, notItsCrawl, someoneElse.publisher), 422, 'not_crawl_publisher');
      await expectError(await send('POST', '/v1/crawls/ghost/dispute', { platformId, reason: 'x' }, platform), 404, 'crawl_not_found');
    });
    const refund = await send('POST', `/v1/crawls/${body.crawlId}/refund`, { platformId, publisherId }, publisher);
    expect(refund.statusCode).toBe(200);
    expect(refund.json()).toMatchObject({ amount: 300, balance: 1000 });
    await expectError(await send('POST', `/v1/crawls/${body.crawlId}/refund`, { platformId, publisherId }, publisher), 409, 'crawl_already_refunded');

    const lsn = refund.json().lsn;
    const ledger = (await get(`/v1/crawls?platformId=${platformId}&consistentWith=${lsn}`)).json();
    expect(ledger.crawls).toEqual([
      expect.objectContaining({ crawlId: body.crawlId, status: 'refunded', amount: 300, disputeReason: 'disallowed by robots.txt', refundedAt: expect.any(String) }),
    ]);
    expect((await get(`/v1/platforms/${platformId}/escrow?consistentWith=${lsn}`)).json()).toMatchObject({ balance: 1000, billed: 300, refunded: 300 });
    // The refund is taken off the day the crawl was billed.
    expect((await get(`/v1/publishers/${publisherId}/revenue?consistentWith=${lsn}`)).json().days).toEqual([
      { day: '2030-01-10', crawls: 1, billed: 300, refunded: 300, net: 0 },
    ]);
    now = Date.parse('2030-01-10T12:00:00Z');
  });

  it('refuses a dispute more than 7 days after the bill with 409 dispute_window_closed', async () => {
    const { publisherId, platformId, platform } = await market();
    const body = crawl(platformId, publisherId);
    await send('POST', '/v1/crawls', body, platform);
    now += 7 * DAY + 1;
    try {
      await expectNothingAppended(async () => expectError(await send('POST', `/v1/crawls/${body.crawlId}/dispute`, { platformId, reason: 'late' }, platform), 409, 'dispute_window_closed'));
    } finally {
      now = Date.parse('2030-01-10T12:00:00Z');
    }
  });
});

describe('queries', () => {
  it('pages the crawl ledger newest first by keyset, filtered by platform or publisher', async () => {
    const { publisherId, platformId, platform } = await market(10, 1000);
    const other = await market(10, 1000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = crawl(platformId, i % 2 === 0 ? publisherId : other.publisherId);
      ids.push(body.crawlId);
      await send('POST', '/v1/crawls', body, platform);
    }
    const last = await send('POST', '/v1/crawls', crawl(other.platformId, publisherId), other.platform);
    const lsn = last.json().lsn;

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/crawls?platformId=${platformId}&limit=2&consistentWith=${lsn}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(query)).json();
      expect(page.crawls.length).toBeLessThanOrEqual(2);
      seen.push(...page.crawls.map((c: { crawlId: string }) => c.crawlId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const byPublisher = (await get(`/v1/crawls?publisherId=${publisherId}&consistentWith=${lsn}`)).json();
    expect(byPublisher.crawls.map((c: { crawlId: string }) => c.crawlId)).toEqual([last.json().crawlId, ids[4], ids[2], ids[0]]);
    await expectError(await get('/v1/crawls?cursor=bogus'), 400, 'invalid_request');
    await expectError(await get('/v1/crawls?limit=0'), 400, 'invalid_request');
  });

  it('answers a day’s settlement batch with a Merkle root, and each publisher’s payout proof', async () => {
    const day = '2030-02-02';
    now = Date.parse(`${day}T08:00:00Z`);
    try {
      const a = await market(250, 10_000);
      const b = await market(700, 10_000);
      for (let i = 0; i < 3; i++) await send('POST', '/v1/crawls', crawl(a.platformId, a.publisherId), a.platform);
      const lastBill = await send('POST', '/v1/crawls', crawl(b.platformId, b.publisherId), b.platform);
      const lsn = lastBill.json().lsn;
      const batch = (await get(`/v1/settlements/${day}?consistentWith=${lsn}`)).json();
      expect(batch).toMatchObject({ day, root: expect.stringMatching(/^0x[0-9a-f]{64}$/), total: 3 * 250 + 700 });
      expect(Object.fromEntries(batch.payouts.map((p: { publisherId: string; amount: number }) => [p.publisherId, p.amount]))).toEqual({
        [a.publisherId]: 750,
        [b.publisherId]: 700,
      });
      const proof = (await get(`/v1/publishers/${a.publisherId}/payouts/${day}/proof?consistentWith=${lsn}`)).json();
      expect(proof).toMatchObject({ publisherId: a.publisherId, day, amount: 750, root: batch.root, proof: expect.any(Array) });
      expect(proof.proof).toHaveLength(1);
      await expectError(await get(`/v1/publishers/nobody/payouts/${day}/proof`), 404, 'payout_not_found');
      await expectError(await get('/v1/settlements/2030-13-01'), 400, 'invalid_request');
      expect((await get('/v1/settlements/1999-01-01')).json()).toMatchObject({ root: null, total: 0, payouts: [] });
    } finally {
      now = Date.parse('2030-01-10T12:00:00Z');
    }
  });
});
