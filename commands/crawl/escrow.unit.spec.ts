import { describe, expect, it } from 'vitest';
import type { EscrowEvent } from '../../events-schema/crawl/events.ts';
import { encodeEvent } from '../../events-schema/index.ts';
import { deciderSpec, deepFreeze, frozenFold } from '../testing/decider-spec.ts';
import { DISPUTE_WINDOW_MS } from '../../events-schema/crawl/rules.ts';
import { escrowDecider, escrowStateCodec, type BillCrawl, type EscrowCommand, type EscrowState } from './escrow.ts';
import type { Caller } from './authority.ts';
import type { ParticipantState } from './participant.ts';

const spec = deciderSpec(escrowDecider);
const now = Date.UTC(2030, 0, 10, 12);
const PLATFORM_OWNER = '0x52908400098527886E0F7030069857D2E4169EE7';
const PUBLISHER_OWNER = '0x1111111111111111111111111111111111111111';
const platformOwner: Caller = { subject: PLATFORM_OWNER, grants: [] };
const publisherOwner: Caller = { subject: PUBLISHER_OWNER, grants: [] };
const stranger: Caller = { subject: '0x000000000000000000000000000000000000dEaD', grants: [] };
const admin: Caller = { subject: 'admin', keyId: 'a0a0a0a0a0a0a0a0', grants: [{ role: 'admin' }] };
const keyScopedTo = (scope: string): Caller => ({ subject: `key:${scope}`, keyId: 'b1b1b1b1b1b1b1b1', grants: [{ role: 'participant', scope }] });
const platform: ParticipantState = { status: 'registered', participantId: 'ai', role: 'platform', name: 'AI', pricePerCrawl: null, owner: PLATFORM_OWNER };
const publisher: ParticipantState = { status: 'registered', participantId: 'news', role: 'publisher', name: 'News', pricePerCrawl: 300, owner: PUBLISHER_OWNER };

const deposited = (amount: number, balanceAfter = amount): EscrowEvent => ({
  type: 'EscrowDeposited',
  data: { platformId: 'ai', amount, balanceAfter, depositedAt: now - 5000 },
});
const billed = (crawlId: string, amount = 300, balanceAfter = 700, billedAt = now - 1000): EscrowEvent => ({
  type: 'CrawlBilled',
  data: { crawlId, platformId: 'ai', publisherId: 'news', url: 'https://news.example/a', bytes: 1024, amount, balanceAfter, billedAt },
});
const disputed = (crawlId: string, billedAt = now - 1000): EscrowEvent => ({
  type: 'CrawlDisputed',
  data: { crawlId, platformId: 'ai', publisherId: 'news', amount: 300, reason: 'robots.txt', billedAt, disputedAt: now - 500 },
});
const refunded = (crawlId: string): EscrowEvent => ({
  type: 'CrawlRefunded',
  data: { crawlId, platformId: 'ai', publisherId: 'news', amount: 300, balanceAfter: 1000, billedAt: now - 1000, refundedAt: now - 100 },
});

const bill = (crawlId: string, data: Partial<BillCrawl['data']> = {}): EscrowCommand => ({
  type: 'BillCrawl',
  data: { crawlId, platformId: 'ai', publisherId: 'news', url: 'https://news.example/a', bytes: 1024, now, platform, publisher, by: platformOwner, ...data },
});
const deposit = (amount: number, data: Partial<{ platform: ParticipantState; by: Caller }> = {}): EscrowCommand => ({
  type: 'DepositEscrow',
  data: { platformId: 'ai', amount, now, platform, by: platformOwner, ...data },
});
const dispute = (crawlId: string, at = now, by = platformOwner): EscrowCommand => ({ type: 'DisputeCrawl', data: { crawlId, platformId: 'ai', reason: 'robots.txt', now: at, platform, by } });
/** A refund as the use case hands it over: the platform and the publisher the body names, read from their streams. */
const refund = (crawlId: string, data: Partial<{ publisherId: string; publisher: ParticipantState; by: Caller }> = {}): EscrowCommand => ({
  type: 'RefundCrawl',
  data: { crawlId, platformId: 'ai', publisherId: 'news', now, platform, publisher, by: publisherOwner, ...data },
});

describe('escrow decider: deposits', () => {
  it('credits a registered platform’s escrow and records the balance after', () => {
    spec
      .given([deposited(1000)])
      .when(deposit(500))
      .then([{ type: 'EscrowDeposited', data: { platformId: 'ai', amount: 500, balanceAfter: 1500, depositedAt: now } }]);
  });

  it('refuses a deposit for an unknown participant, a publisher, a zero or inexact amount, or an overflowing balance', () => {
    spec.given([]).when(deposit(1, { platform: { status: 'none' } })).thenThrows('platform_not_found');
    spec.given([]).when(deposit(1, { platform: publisher, by: publisherOwner })).thenThrows('not_a_platform');
    spec.given([]).when(deposit(0)).thenThrows('amount_out_of_range');
    spec.given([]).when(deposit(1.5)).thenThrows('amount_out_of_range');
    spec.given([deposited(Number.MAX_SAFE_INTEGER)]).when(deposit(1)).thenThrows('amount_out_of_range');
  });

  it('decides only balances an event can record: an Avro long stops at 2^53 − 2, one short of MAX_SAFE_INTEGER', () => {
    spec.given([]).when(deposit(Number.MAX_SAFE_INTEGER)).thenThrows('amount_out_of_range');
    spec.given([deposited(1_000)]).when(deposit(Number.MAX_SAFE_INTEGER - 1_000)).thenThrows('amount_out_of_range');
    const [largest] = escrowDecider.decide(deposit(Number.MAX_SAFE_INTEGER - 1_001), frozenFold(escrowDecider, [deposited(1_000)]));
    expect(largest).toMatchObject({ data: { balanceAfter: Number.MAX_SAFE_INTEGER - 1 } });
    expect(() => encodeEvent(largest!)).not.toThrow();
  });
});

describe('escrow decider: bills', () => {
  it('bills a crawl at the publisher’s price, from the escrow', () => {
    spec
      .given([deposited(1000)])
      .when(bill('c1'))
      .then([
        {
          type: 'CrawlBilled',
          data: { crawlId: 'c1', platformId: 'ai', publisherId: 'news', url: 'https://news.example/a', bytes: 1024, amount: 300, balanceAfter: 700, billedAt: now },
        },
      ]);
  });

  it('bills the last micro-unit, and refuses a crawl the escrow cannot cover', () => {
    spec.given([deposited(300)]).when(bill('c1')).then([expect.objectContaining({ type: 'CrawlBilled', data: expect.objectContaining({ balanceAfter: 0 }) })]);
    spec.given([deposited(299)]).when(bill('c1')).thenThrows('insufficient_escrow', { balance: 299, amount: 300 });
    spec.given([deposited(1000), billed('c1'), billed('c2', 300, 400), billed('c3', 300, 100)]).when(bill('c4')).thenThrows('insufficient_escrow', { balance: 100 });
    spec.given([]).when(bill('c1')).thenThrows('insufficient_escrow', { balance: 0 });
  });

  it('refuses a crawl id already billed, even after its refund', () => {
    spec.given([deposited(1000), billed('c1')]).when(bill('c1')).thenThrows('crawl_already_billed', { crawlId: 'c1' });
    spec.given([deposited(1000), billed('c1'), refunded('c1')]).when(bill('c1')).thenThrows('crawl_already_billed');
  });

  it('refuses unknown or wrong-role participants and a publisher without a price', () => {
    spec.given([deposited(1000)]).when(bill('c1', { platform: { status: 'none' } })).thenThrows('platform_not_found');
    spec.given([deposited(1000)]).when(bill('c1', { platform: publisher, by: publisherOwner })).thenThrows('not_a_platform');
    spec.given([deposited(1000)]).when(bill('c1', { publisher: { status: 'none' } })).thenThrows('publisher_not_found');
    spec.given([deposited(1000)]).when(bill('c1', { publisher: platform })).thenThrows('not_a_publisher');
    spec.given([deposited(1000)]).when(bill('c1', { publisher: { ...publisher, pricePerCrawl: null } })).thenThrows('price_not_set');
  });
});

describe('escrow decider: disputes and refunds', () => {
  it('lets the platform dispute a billed crawl within 7 days', () => {
    spec
      .given([deposited(1000), billed('c1', 300, 700, now - DISPUTE_WINDOW_MS)])
      .when(dispute('c1'))
      .then([
        {
          type: 'CrawlDisputed',
          data: { crawlId: 'c1', platformId: 'ai', publisherId: 'news', amount: 300, reason: 'robots.txt', billedAt: now - DISPUTE_WINDOW_MS, disputedAt: now },
        },
      ]);
  });

  it('refuses a dispute after 7 days, twice, after a refund, or of an unknown crawl', () => {
    spec.given([deposited(1000), billed('c1', 300, 700, now - DISPUTE_WINDOW_MS - 1)]).when(dispute('c1')).thenThrows('dispute_window_closed');
    spec.given([deposited(1000), billed('c1'), disputed('c1')]).when(dispute('c1')).thenThrows('crawl_already_disputed');
    spec.given([deposited(1000), billed('c1'), refunded('c1')]).when(dispute('c1')).thenThrows('crawl_already_refunded');
    spec.given([deposited(1000)]).when(dispute('ghost')).thenThrows('crawl_not_found', { crawlId: 'ghost' });
  });

  it('refunds a disputed (or undisputed) crawl into the escrow, once, by its own publisher only', () => {
    const refundedEvent = { type: 'CrawlRefunded', data: { crawlId: 'c1', platformId: 'ai', publisherId: 'news', amount: 300, balanceAfter: 1000, billedAt: now - 1000, refundedAt: now } };
    spec.given([deposited(1000), billed('c1'), disputed('c1')]).when(refund('c1')).then([refundedEvent as EscrowEvent]);
    spec.given([deposited(1000), billed('c1')]).when(refund('c1')).then([refundedEvent as EscrowEvent]);
    spec.given([deposited(1000), billed('c1'), refunded('c1')]).when(refund('c1')).thenThrows('crawl_already_refunded');
    // The caller acts for the publisher it names, but that publisher did not bill this crawl.
    const other: ParticipantState = { ...publisher, participantId: 'other-publisher', owner: 'other-owner' };
    spec
      .given([deposited(1000), billed('c1')])
      .when(refund('c1', { publisherId: 'other-publisher', publisher: other, by: { subject: 'other-owner', grants: [] } }))
      .thenThrows('not_crawl_publisher');
    spec.given([deposited(1000)]).when(refund('ghost')).thenThrows('crawl_not_found');
  });

  it('refuses a refund that would take the balance past the largest amount an event records', () => {
    const top = Number.MAX_SAFE_INTEGER - 1;
    spec.given([deposited(top), billed('c1', 300, top - 300), deposited(300, top)]).when(refund('c1')).thenThrows('amount_out_of_range');
  });

  it('folds balance = deposits − bills + refunds, with totals', () => {
    const state = frozenFold(escrowDecider, [deposited(1000), billed('c1'), billed('c2', 300, 400), disputed('c1'), refunded('c1'), deposited(50, 750)]);
    expect(state).toMatchObject({ balance: 750, deposited: 1050, billed: 600, refunded: 300 });
    expect(state.crawls.get('c1')).toMatchObject({ status: 'refunded', amount: 300 });
    expect(state.crawls.get('c2')).toMatchObject({ status: 'billed' });
  });

  it('leaves the state it was given as it was: a state kept from before a bill, a dispute or a refund still reads as before', () => {
    const before = frozenFold(escrowDecider, [deposited(1000), billed('c1')]);
    const after = [billed('c2', 300, 400), disputed('c1'), refunded('c1')].reduce(escrowDecider.evolve, before);
    expect(after.crawls.get('c1')).toMatchObject({ status: 'refunded' });
    expect(after.crawls.has('c2')).toBe(true);
    expect(before).toMatchObject({ balance: 700, billed: 300, refunded: 0 });
    expect(before.crawls.get('c1')).toMatchObject({ status: 'billed' });
    expect(before.crawls.has('c2')).toBe(false);
  });
});

describe('escrow decider: who moves the money', () => {
  it('the platform’s owner, a key scoped to it or an admin deposits, bills and disputes', () => {
    for (const by of [platformOwner, keyScopedTo('ai'), admin]) {
      spec.given([]).when(deposit(500, { by })).then([expect.objectContaining({ type: 'EscrowDeposited' })]);
      spec.given([deposited(1000)]).when(bill('c1', { by })).then([expect.objectContaining({ type: 'CrawlBilled' })]);
      spec.given([deposited(1000), billed('c1')]).when(dispute('c1', now, by)).then([expect.objectContaining({ type: 'CrawlDisputed' })]);
    }
  });

  it('nobody else: not a stranger, not the publisher, not a key scoped to another participant (403 naming the platform)', () => {
    for (const by of [stranger, publisherOwner, keyScopedTo('news'), keyScopedTo('ai-2')]) {
      spec.given([]).when(deposit(500, { by })).thenThrows('forbidden', { participantId: 'ai', subject: by.subject });
      spec.given([deposited(1000)]).when(bill('c1', { by })).thenThrows('forbidden', { participantId: 'ai', subject: by.subject });
      spec.given([deposited(1000), billed('c1')]).when(dispute('c1', now, by)).thenThrows('forbidden', { participantId: 'ai', subject: by.subject });
    }
  });

  it('refuses a stranger before anything about the escrow: its balance, its crawls, the dispute window', () => {
    spec.given([]).when(bill('c1', { by: stranger })).thenThrows('forbidden');
    spec.given([deposited(1000)]).when(dispute('ghost', now, stranger)).thenThrows('forbidden');
    spec.given([deposited(1000), billed('c1', 300, 700, now - DISPUTE_WINDOW_MS - 1)]).when(dispute('c1', now, stranger)).thenThrows('forbidden');
  });

  it('a refund is granted by the crawl’s publisher: its owner, a key scoped to it, or an admin', () => {
    for (const by of [publisherOwner, keyScopedTo('news'), admin]) {
      spec.given([deposited(1000), billed('c1')]).when(refund('c1', { by })).then([expect.objectContaining({ type: 'CrawlRefunded' })]);
    }
  });

  it('never by the platform it pays back, its owner or its key: 403 saying why', () => {
    for (const by of [platformOwner, keyScopedTo('ai')]) {
      spec.given([deposited(1000), billed('c1'), disputed('c1')]).when(refund('c1', { by })).thenThrows('forbidden', { crawlId: 'c1', participantId: 'news', subject: by.subject });
    }
    let refusal: unknown;
    try {
      escrowDecider.decide(refund('c1', { by: platformOwner }), frozenFold(escrowDecider, [deposited(1000), billed('c1')]));
    } catch (error) {
      refusal = error;
    }
    expect((refusal as Error).message).toMatch(/acts for platform ai, which a refund of crawl c1 pays back; a refund is granted by the owner of publisher news/);
  });

  it('nor by a stranger or another participant’s key, whatever the crawl’s state', () => {
    for (const by of [stranger, keyScopedTo('other-publisher')]) {
      spec.given([deposited(1000), billed('c1')]).when(refund('c1', { by })).thenThrows('forbidden', { participantId: 'news', subject: by.subject });
      spec.given([deposited(1000)]).when(refund('ghost', { by })).thenThrows('forbidden');
    }
  });

  it('an owner who owns both the platform and the publisher acts as the publisher, and may refund', () => {
    const both: Caller = { subject: 'both', grants: [] };
    spec
      .given([deposited(1000), billed('c1')])
      .when(refund('c1', { by: both, publisher: { ...publisher, owner: 'both' } }))
      .then([expect.objectContaining({ type: 'CrawlRefunded' })]);
  });
});

describe('escrow decider: a state bounded by the dispute window', () => {
  const W = DISPUTE_WINDOW_MS;
  const t0 = now - 30 * W; // a bill long before the commands below
  const depositAt = (at: number, amount = 1): EscrowEvent => ({ type: 'EscrowDeposited', data: { platformId: 'ai', amount, balanceAfter: 0, depositedAt: at } });
  const disputeAt = (crawlId: string, billedAt: number, at: number): EscrowEvent => ({
    type: 'CrawlDisputed',
    data: { crawlId, platformId: 'ai', publisherId: 'news', amount: 300, reason: 'robots.txt', billedAt, disputedAt: at },
  });
  const refundAt = (crawlId: string, billedAt: number, at: number): EscrowEvent => ({
    type: 'CrawlRefunded',
    data: { crawlId, platformId: 'ai', publisherId: 'news', amount: 300, balanceAfter: 1000, billedAt, refundedAt: at },
  });

  // Events in time order, as a stream records them: the escrow is funded before the bills.
  const fund = depositAt(t0 - 1000, 1000);

  it('remembers a crawl until the first event more than 7 days after its bill, then forgets it', () => {
    const kept = frozenFold(escrowDecider, [fund, billed('c1', 300, 700, t0), depositAt(t0 + W)]);
    expect(kept.crawls.has('c1')).toBe(true);
    const forgotten = frozenFold(escrowDecider, [fund, billed('c1', 300, 700, t0), depositAt(t0 + W + 1)]);
    expect(forgotten.crawls.has('c1')).toBe(false);
    expect(forgotten).toMatchObject({ balance: 701, billed: 300, crawlsPastWindow: 1 });
    expect(forgotten.billOrder.size).toBe(0);
  });

  it('holds a week of crawls whatever the history: a bill an hour for a year keeps 7 × 24 of them', () => {
    const hour = 60 * 60 * 1000;
    const year = Array.from({ length: 365 * 24 }, (_, index) => billed(`c${index}`, 1, 0, t0 + index * hour));
    const state = year.reduce(escrowDecider.evolve, escrowDecider.initialState());
    expect(state.crawls.size).toBe(7 * 24 + 1); // the last bill, and the 168 hours before it (the window's end included)
    expect(state.crawlsPastWindow).toBe(365 * 24 - state.crawls.size);
    expect(state.billed).toBe(365 * 24);
  });

  it('a crawl id billed again after it was forgotten: the decider no longer knows it (the event store refuses its bill’s id)', () => {
    const history = [deposited(1000), billed('c1', 300, 700, now - W - 1), depositAt(now)];
    spec.given(history).when(bill('c1')).then([expect.objectContaining({ type: 'CrawlBilled', data: expect.objectContaining({ crawlId: 'c1' }) })]);
    // Inside the window the decider still refuses it itself.
    spec.given([deposited(1000), billed('c1', 300, 700, now - W), depositAt(now)]).when(bill('c1')).thenThrows('crawl_already_billed', { crawlId: 'c1' });
  });

  it('a dispute of a forgotten crawl is refused as crawl_not_found, saying it may be past its window', () => {
    // Not yet forgotten (no event since the bill): the window's own refusal, as before.
    spec.given([deposited(1000), billed('c1', 300, 700, now - W - 1)]).when(dispute('c1')).thenThrows('dispute_window_closed');
    spec.given([deposited(1000), billed('c1', 300, 700, now - W - 1), depositAt(now)]).when(dispute('c1')).thenThrows('crawl_not_found', { crawlId: 'c1', platformId: 'ai' });
    expect(() => escrowDecider.decide(dispute('c1'), frozenFold(escrowDecider, [deposited(1000), billed('c1', 300, 700, now - W - 1), depositAt(now)]))).toThrow(/within the last 7 days/);
    // So is a refund of a forgotten undisputed crawl.
    spec.given([deposited(1000), billed('c1', 300, 700, now - W - 1), depositAt(now)]).when(refund('c1')).thenThrows('crawl_not_found');
  });

  it('keeps an open dispute past the window until it is refunded, then forgets it', () => {
    const open = [fund, billed('c1', 300, 700, t0), disputeAt('c1', t0, t0 + 1), depositAt(t0 + W + 1)];
    expect(frozenFold(escrowDecider, open).crawls.get('c1')).toMatchObject({ status: 'disputed' });
    spec.given(open).when(refund('c1')).then([expect.objectContaining({ type: 'CrawlRefunded', data: expect.objectContaining({ crawlId: 'c1', amount: 300, billedAt: t0 }) })]);
    const closed = frozenFold(escrowDecider, [...open, refundAt('c1', t0, now - 100)]);
    expect(closed.crawls.has('c1')).toBe(false);
    expect(closed.refunded).toBe(300);
    spec.given([...open, refundAt('c1', t0, now - 100)]).when(refund('c1')).thenThrows('crawl_not_found');
  });

  it('folds streams decided before crawls were forgotten: a refund of an old undisputed crawl still moves the money', () => {
    const state = frozenFold(escrowDecider, [fund, billed('c1', 300, 700, t0), depositAt(t0 + W + 1), refundAt('c1', t0, t0 + W + 2)]);
    expect(state).toMatchObject({ balance: 1001, refunded: 300 });
    expect(state.crawls.size).toBe(0);
    // A refund of a crawl inside the window that this stream never billed is still a corrupted stream.
    expect(() => frozenFold(escrowDecider, [deposited(1000), refundAt('ghost', now - 1000, now)])).toThrow(/never billed/);
  });
});

describe('escrow state codec (snapshots)', () => {
  const W = DISPUTE_WINDOW_MS;
  const history: EscrowEvent[] = [
    { type: 'EscrowDeposited', data: { platformId: 'ai', amount: 10_000, balanceAfter: 10_000, depositedAt: now - 3 * W } },
    billed('old', 300, 9_700, now - 2 * W),
    billed('old-disputed', 300, 9_400, now - 2 * W + 1),
    { type: 'CrawlDisputed', data: { crawlId: 'old-disputed', platformId: 'ai', publisherId: 'news', amount: 300, reason: 'robots.txt', billedAt: now - 2 * W + 1, disputedAt: now - 2 * W + 2 } },
    billed('c1', 300, 9_100, now - 3000),
    billed('c2', 300, 8_800, now - 2000),
    disputed('c1', now - 3000),
  ];
  const roundTrip = (state: EscrowState) => escrowStateCodec.decode(JSON.parse(JSON.stringify(escrowStateCodec.encode(state))));
  // The crawls in id order: a persistent map's iteration order depends on how it was built.
  const comparable = (state: EscrowState) => ({ ...state, crawls: state.crawls.sortBy((_, crawlId) => crawlId).toArray(), billOrder: state.billOrder.toArray() });
  const expectSameState = (actual: EscrowState, expected: EscrowState) => expect(comparable(actual)).toEqual(comparable(expected));

  it('reads back the state it wrote, which folds and decides as the original', () => {
    const original = frozenFold(escrowDecider, history);
    expect(original.crawls.has('old')).toBe(false);
    expect(original.crawls.get('old-disputed')).toMatchObject({ status: 'disputed' });
    const restored = deepFreeze(roundTrip(original));
    expectSameState(restored, original);
    const more = [billed('c3', 300, 8_500, now - 1000), refunded('c1')];
    expectSameState(more.reduce(escrowDecider.evolve, restored), more.reduce(escrowDecider.evolve, original));
    for (const command of [bill('c2'), bill('c4'), dispute('c2'), dispute('c1'), refund('old-disputed'), refund('old')]) {
      const outcome = (state: EscrowState) => {
        try {
          return escrowDecider.decide(command, state);
        } catch (error) {
          return (error as { code?: string }).code;
        }
      };
      expect(outcome(restored)).toEqual(outcome(original));
    }
  });

  it('refuses JSON that is not a state of its version', () => {
    expect(() => escrowStateCodec.decode({ balance: 1 })).toThrow();
    expect(() => escrowStateCodec.decode({ ...(escrowStateCodec.encode(escrowDecider.initialState()) as object), crawls: [['c1', 'news', 300, now, 'lost']] })).toThrow();
  });
});
