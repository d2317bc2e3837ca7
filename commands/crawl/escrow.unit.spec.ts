import { describe, expect, it } from 'vitest';
import type { EscrowEvent } from '../../events-schema/crawl/events.ts';
import { encodeEvent } from '../../events-schema/index.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { DISPUTE_WINDOW_MS } from '../../events-schema/crawl/rules.ts';
import { escrowDecider, type BillCrawl, type EscrowCommand } from './escrow.ts';
import type { ParticipantState } from './participant.ts';

const spec = deciderSpec(escrowDecider);
const now = Date.UTC(2030, 0, 10, 12);
const platform: ParticipantState = { status: 'registered', participantId: 'ai', role: 'platform', name: 'AI', pricePerCrawl: null };
const publisher: ParticipantState = { status: 'registered', participantId: 'news', role: 'publisher', name: 'News', pricePerCrawl: 300 };

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
  data: { crawlId, platformId: 'ai', publisherId: 'news', url: 'https://news.example/a', bytes: 1024, now, platform, publisher, ...data },
});
const dispute = (crawlId: string, at = now): EscrowCommand => ({ type: 'DisputeCrawl', data: { crawlId, platformId: 'ai', reason: 'robots.txt', now: at } });
const refund = (crawlId: string, publisherId = 'news'): EscrowCommand => ({ type: 'RefundCrawl', data: { crawlId, platformId: 'ai', publisherId, now } });

describe('escrow decider: deposits', () => {
  it('credits a registered platform’s escrow and records the balance after', () => {
    spec
      .given([deposited(1000)])
      .when({ type: 'DepositEscrow', data: { platformId: 'ai', amount: 500, now, platform } })
      .then([{ type: 'EscrowDeposited', data: { platformId: 'ai', amount: 500, balanceAfter: 1500, depositedAt: now } }]);
  });

  it('refuses a deposit for an unknown participant, a publisher, a zero or inexact amount, or an overflowing balance', () => {
    const deposit = (amount: number, who: ParticipantState = platform): EscrowCommand => ({ type: 'DepositEscrow', data: { platformId: 'ai', amount, now, platform: who } });
    spec.given([]).when(deposit(1, { status: 'none' })).thenThrows('platform_not_found');
    spec.given([]).when(deposit(1, publisher)).thenThrows('not_a_platform');
    spec.given([]).when(deposit(0)).thenThrows('amount_out_of_range');
    spec.given([]).when(deposit(1.5)).thenThrows('amount_out_of_range');
    spec.given([deposited(Number.MAX_SAFE_INTEGER)]).when(deposit(1)).thenThrows('amount_out_of_range');
  });

  it('decides only balances an event can record: an Avro long stops at 2^53 − 2, one short of MAX_SAFE_INTEGER', () => {
    const deposit = (amount: number): EscrowCommand => ({ type: 'DepositEscrow', data: { platformId: 'ai', amount, now, platform } });
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
    spec.given([deposited(1000)]).when(bill('c1', { platform: publisher })).thenThrows('not_a_platform');
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
    spec.given([deposited(1000), billed('c1')]).when(refund('c1', 'other-publisher')).thenThrows('not_crawl_publisher');
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
