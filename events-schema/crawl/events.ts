// Crawl billing events (seed 004, Monowave): AI platforms pay publishers per crawl from an escrow.
// Money is integer micro-units of the settlement stablecoin (Avro long, a safe integer in JS): no float
// ever holds an amount. Times are epoch milliseconds.
import { eventTypesOf, type Event } from '../event.ts';

export type ParticipantRole = 'publisher' | 'platform';
export const participantRoles: readonly ParticipantRole[] = ['publisher', 'platform'];

/** 1 stablecoin unit in micro-units. */
export const MICROS_PER_UNIT = 1_000_000;

/**
 * The largest integer (an amount, a balance, a byte count) a crawl event records: avsc writes an Avro long
 * from a JS number only up to 2^53 − 2, one short of Number.MAX_SAFE_INTEGER. Anything above it cannot be
 * encoded, so commands refuse it before deciding an event.
 */
export const MAX_EXACT_LONG = Number.MAX_SAFE_INTEGER - 1;

export type ParticipantRegistered = Event<
  'ParticipantRegistered',
  {
    participantId: string;
    role: ParticipantRole;
    name: string;
    registeredAt: number;
    /** The subject that registered it, who acts for it; '' when written before v2 (then an admin or a key scoped to it does). */
    owner: string;
  }
>;

export type PublisherPriceSet = Event<'PublisherPriceSet', { publisherId: string; pricePerCrawl: number; setAt: number }>;

export type EscrowDeposited = Event<'EscrowDeposited', { platformId: string; amount: number; balanceAfter: number; depositedAt: number }>;

export type CrawlBilled = Event<
  'CrawlBilled',
  { crawlId: string; platformId: string; publisherId: string; url: string; bytes: number; amount: number; balanceAfter: number; billedAt: number }
>;

export type CrawlDisputed = Event<
  'CrawlDisputed',
  { crawlId: string; platformId: string; publisherId: string; amount: number; reason: string; billedAt: number; disputedAt: number }
>;

export type CrawlRefunded = Event<
  'CrawlRefunded',
  { crawlId: string; platformId: string; publisherId: string; amount: number; balanceAfter: number; billedAt: number; refundedAt: number }
>;

export type ParticipantEvent = ParticipantRegistered | PublisherPriceSet;
export type EscrowEvent = EscrowDeposited | CrawlBilled | CrawlDisputed | CrawlRefunded;
export type CrawlEvent = ParticipantEvent | EscrowEvent;

/** Every event type of the context, the same list everywhere it is needed (held to the union by the compiler). */
export const crawlEventTypes = eventTypesOf<CrawlEvent>({ ParticipantRegistered: true, PublisherPriceSet: true, EscrowDeposited: true, CrawlBilled: true, CrawlDisputed: true, CrawlRefunded: true });
