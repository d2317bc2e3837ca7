// One AI platform's escrow, in a stream of its own (`escrow-<platformId>`): deposits, bills, disputes and
// refunds. The balance is the consistency boundary — "never negative" and "a refund restores it" are rules
// about it — so every event that moves money is on this stream, decided against its folded state. Bills
// reach it as fast as the platform crawls: see crawl-commands.ts for how they are batched.
//
// The state remembers billed crawls (publisher, amount, billing time, dispute status) so that the same crawl
// id is refused a second time and disputes/refunds are checked against the bill — but only the RECENT ones,
// so that its size (and the cost of loading it from a snapshot) is bounded by the dispute window, not by the
// escrow's history. A crawl is forgotten at the first event that comes more than DISPUTE_WINDOW_MS after its
// bill (the events' own times, never a clock: evolve stays pure, and a fold from a snapshot forgets exactly
// what a full fold does), unless its dispute is open: disputed crawls are kept until refunded. What that
// changes, only for crawls billed more than the window before the escrow's latest event:
//   - a second bill of the crawl id is no longer refused by this decider; CrawlBilled's event id is derived
//     from the crawl id, so the event store refuses it (crawl_already_billed, crawl-commands.ts), even on
//     another platform's escrow;
//   - a dispute could not be accepted anyway (dispute_window_closed); it is now refused as crawl_not_found,
//     with a message saying the crawl may be past its window;
//   - an undisputed crawl can no longer be refunded (crawl_not_found): a refund without an open dispute is
//     a publisher's goodwill within the window; a disputed crawl stays refundable until it is refunded.
// The state is thus a window of bills plus the open disputes. A command stamped earlier than the escrow's
// latest event (two gateways' clocks apart) may find a crawl forgotten up to that skew early.
//
// Who may move its money (authority.ts): whoever acts for the platform deposits, bills and disputes; a
// refund is the crawl's publisher's to grant (or an admin's), never the platform's that it pays back.
import { List, Map as PersistentMap } from 'immutable';
import { z } from 'zod';
import type { CrawlBilled, EscrowEvent } from '../../events-schema/crawl/events.ts';
import { DISPUTE_WINDOW_DAYS, DISPUTE_WINDOW_MS, MIN_DEPOSIT_MICROS } from '../../events-schema/crawl/rules.ts';
import { assertNever, DomainError, type Command, type Decider, type StateCodec } from '../decider.ts';
import { actsFor, notActingFor, type Caller } from './authority.ts';
import { forbidden } from '../actor.ts';
import { assertMicros, isRecordableMicros, ownerOf, type ParticipantState } from './participant.ts';

/**
 * Each command carries its caller (`by`) and the participants it names as read from their streams by the use
 * case, as the ballot reads its decision: who they are, and who owns them.
 */
export type DepositEscrow = Command<'DepositEscrow', { platformId: string; amount: number; now: number; platform: ParticipantState; by: Caller }>;
export type BillCrawl = Command<
  'BillCrawl',
  {
    crawlId: string;
    platformId: string;
    publisherId: string;
    url: string;
    bytes: number;
    now: number;
    platform: ParticipantState;
    publisher: ParticipantState;
    by: Caller;
  }
>;
export type DisputeCrawl = Command<'DisputeCrawl', { crawlId: string; platformId: string; reason: string; now: number; platform: ParticipantState; by: Caller }>;
export type RefundCrawl = Command<
  'RefundCrawl',
  { crawlId: string; platformId: string; publisherId: string; now: number; platform: ParticipantState; publisher: ParticipantState; by: Caller }
>;
export type EscrowCommand = DepositEscrow | BillCrawl | DisputeCrawl | RefundCrawl;

export type CrawlStatus = 'billed' | 'disputed' | 'refunded';
export type BilledCrawl = { publisherId: string; amount: number; billedAt: number; status: CrawlStatus };

export type EscrowState = {
  readonly balance: number;
  readonly deposited: number;
  readonly billed: number;
  readonly refunded: number;
  /** The latest time any folded event carries (ms since epoch): the "now" crawls are forgotten by. */
  readonly latestAt: number;
  /** How many crawls have left the dispute window (forgotten, or kept only for their open dispute). */
  readonly crawlsPastWindow: number;
  /**
   * The remembered crawls, by crawl id: those billed within the dispute window of `latestAt`, and open
   * disputes. Persistent collections, so evolve returns new ones that share all but the changed entries with
   * the old (copying a week of crawls per event would make folding quadratic), and the state it was given
   * stays as it was.
   */
  readonly crawls: PersistentMap<string, BilledCrawl>;
  /** The ids of remembered crawls in the order they were billed: forgetting takes them from the front. */
  readonly billOrder: List<string>;
};

export const escrowStreamId = (platformId: string) => `escrow-${platformId}`;

export function decide(command: EscrowCommand, state: EscrowState): EscrowEvent[] {
  switch (command.type) {
    case 'DepositEscrow': {
      const { platformId, amount, now, platform, by } = command.data;
      requirePlatform(platform, platformId, by, `deposit into the escrow of ${platformId}`);
      assertMicros(amount, 'amount');
      if (amount < MIN_DEPOSIT_MICROS) {
        throw new DomainError('amount_out_of_range', `a deposit must be at least ${MIN_DEPOSIT_MICROS} in micro-units`, { field: 'amount', amount });
      }
      const balanceAfter = state.balance + amount;
      if (!isRecordableMicros(balanceAfter)) throw new DomainError('amount_out_of_range', 'the balance would exceed the largest exact amount', { field: 'amount', amount });
      return [{ type: 'EscrowDeposited', data: { platformId, amount, balanceAfter, depositedAt: now } }];
    }
    case 'BillCrawl': {
      const { crawlId, platformId, publisherId, url, bytes, now, platform, publisher, by } = command.data;
      requirePlatform(platform, platformId, by, `bill crawls to the escrow of ${platformId}`);
      if (publisher.status === 'none') throw new DomainError('publisher_not_found', `publisher ${publisherId} is not registered`, { publisherId });
      if (publisher.role !== 'publisher') throw new DomainError('not_a_publisher', `participant ${publisherId} is a ${publisher.role}, not a publisher`, { publisherId });
      if (publisher.pricePerCrawl === null) throw new DomainError('price_not_set', `publisher ${publisherId} has not set a price per crawl`, { publisherId });
      if (state.crawls.has(crawlId)) throw new DomainError('crawl_already_billed', `crawl ${crawlId} is already billed`, { crawlId });
      const amount = publisher.pricePerCrawl;
      if (amount > state.balance) {
        throw new DomainError('insufficient_escrow', `escrow of ${platformId} holds ${state.balance}, the crawl costs ${amount}`, {
          platformId,
          balance: state.balance,
          amount,
        });
      }
      return [{ type: 'CrawlBilled', data: { crawlId, platformId, publisherId, url, bytes, amount, balanceAfter: state.balance - amount, billedAt: now } }];
    }
    case 'DisputeCrawl': {
      const { crawlId, platformId, reason, now, platform, by } = command.data;
      requirePlatform(platform, platformId, by, `dispute crawls billed to ${platformId}`);
      const crawl = billedCrawl(state, crawlId, platformId);
      if (crawl.status !== 'billed') throw new DomainError(`crawl_already_${crawl.status}`, `crawl ${crawlId} is already ${crawl.status}`, { crawlId });
      if (now - crawl.billedAt > DISPUTE_WINDOW_MS) {
        throw new DomainError('dispute_window_closed', `crawl ${crawlId} was billed more than ${DISPUTE_WINDOW_DAYS} days ago`, { crawlId, billedAt: crawl.billedAt });
      }
      const { publisherId, amount, billedAt } = crawl;
      return [{ type: 'CrawlDisputed', data: { crawlId, platformId, publisherId, amount, reason, billedAt, disputedAt: now } }];
    }
    case 'RefundCrawl': {
      const { crawlId, platformId, publisherId, now, platform, publisher, by } = command.data;
      if (!actsFor(by, publisherId, ownerOf(publisher))) {
        if (actsFor(by, platformId, ownerOf(platform))) {
          throw forbidden(
            `${by.subject} acts for platform ${platformId}, which a refund of crawl ${crawlId} pays back; a refund is granted by the owner of publisher ${publisherId}, a holder of role participant for it, or an admin`,
            { crawlId, participantId: publisherId, subject: by.subject },
          );
        }
        throw notActingFor(by, publisherId, `refund crawl ${crawlId} of publisher ${publisherId}`);
      }
      const crawl = billedCrawl(state, crawlId, platformId);
      if (crawl.publisherId !== publisherId) {
        throw new DomainError('not_crawl_publisher', `crawl ${crawlId} was billed by ${crawl.publisherId}, not ${publisherId}`, { crawlId, publisherId });
      }
      if (crawl.status === 'refunded') throw new DomainError('crawl_already_refunded', `crawl ${crawlId} is already refunded`, { crawlId });
      const { amount, billedAt } = crawl;
      const balanceAfter = state.balance + amount;
      // Deposits since the bill may have filled the escrow up to the largest amount an event records.
      if (!isRecordableMicros(balanceAfter)) {
        throw new DomainError('amount_out_of_range', `refunding crawl ${crawlId} would take the balance past the largest exact amount`, { crawlId, amount });
      }
      return [{ type: 'CrawlRefunded', data: { crawlId, platformId, publisherId, amount, balanceAfter, billedAt, refundedAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: EscrowState, event: EscrowEvent): EscrowState {
  const latestAt = Math.max(state.latestAt, timeOf(event));
  switch (event.type) {
    case 'EscrowDeposited':
      return forgetPastWindow({ ...state, latestAt, balance: state.balance + event.data.amount, deposited: state.deposited + event.data.amount });
    case 'CrawlBilled':
      return forgetPastWindow({
        ...state,
        latestAt,
        balance: state.balance - event.data.amount,
        billed: state.billed + event.data.amount,
        crawls: state.crawls.set(event.data.crawlId, toBilledCrawl(event)),
        billOrder: state.billOrder.push(event.data.crawlId),
      });
    case 'CrawlDisputed':
      return forgetPastWindow({ ...state, latestAt, crawls: withStatus(state, event.data.crawlId, event.data.billedAt, 'disputed', latestAt) });
    case 'CrawlRefunded':
      return forgetPastWindow({
        ...state,
        latestAt,
        balance: state.balance + event.data.amount,
        refunded: state.refunded + event.data.amount,
        crawls: withStatus(state, event.data.crawlId, event.data.billedAt, 'refunded', latestAt),
      });
    default:
      return assertNever(event);
  }
}

export const initialState = (): EscrowState => ({
  balance: 0,
  deposited: 0,
  billed: 0,
  refunded: 0,
  latestAt: 0,
  crawlsPastWindow: 0,
  crawls: PersistentMap(),
  billOrder: List(),
});

export const escrowDecider: Decider<EscrowState, EscrowCommand, EscrowEvent> = { decide, evolve, initialState };

/**
 * The escrow state as a snapshot holds it (snapshot schema version 1): the totals, and each remembered crawl
 * as a compact tuple. Change the version with the shape, or with evolve's forgetting rule: a snapshot of
 * another version is ignored and the stream folded from the start.
 */
const escrowSnapshotSchema = z.object({
  balance: z.number().int(),
  deposited: z.number().int(),
  billed: z.number().int(),
  refunded: z.number().int(),
  latestAt: z.number(),
  crawlsPastWindow: z.number().int().min(0),
  /** [crawlId, publisherId, amount, billedAt, status] */
  crawls: z.array(z.tuple([z.string(), z.string(), z.number().int(), z.number(), z.enum(['billed', 'disputed', 'refunded'])])),
  billOrder: z.array(z.string()),
});

export const escrowStateCodec: StateCodec<EscrowState> = {
  schemaVersion: 1,
  encode(state) {
    const crawls: [string, string, number, number, CrawlStatus][] = [];
    for (const [crawlId, { publisherId, amount, billedAt, status }] of state.crawls) crawls.push([crawlId, publisherId, amount, billedAt, status]);
    const { balance, deposited, billed, refunded, latestAt, crawlsPastWindow } = state;
    return { balance, deposited, billed, refunded, latestAt, crawlsPastWindow, crawls, billOrder: state.billOrder.toArray() } satisfies z.infer<typeof escrowSnapshotSchema>;
  },
  decode(json) {
    const { crawls, billOrder, ...totals } = escrowSnapshotSchema.parse(json);
    return {
      ...totals,
      crawls: PersistentMap<string, BilledCrawl>().withMutations((map) => {
        for (const [crawlId, publisherId, amount, billedAt, status] of crawls) map.set(crawlId, { publisherId, amount, billedAt, status });
      }),
      billOrder: List(billOrder),
    };
  },
};

/** The platform exists, the caller acts for it (`doing` names what for), and it is a platform. */
function requirePlatform(platform: ParticipantState, platformId: string, by: Caller, doing: string): void {
  if (platform.status === 'none') throw new DomainError('platform_not_found', `platform ${platformId} is not registered`, { platformId });
  if (!actsFor(by, platformId, platform.owner)) throw notActingFor(by, platformId, doing);
  if (platform.role !== 'platform') throw new DomainError('not_a_platform', `participant ${platformId} is a ${platform.role}, not a platform`, { platformId });
}

function billedCrawl(state: EscrowState, crawlId: string, platformId: string): BilledCrawl {
  const crawl = state.crawls.get(crawlId);
  if (crawl) return crawl;
  // Once the escrow has forgotten crawls, an unknown id may be one of them: say so, with the same code.
  const message =
    state.crawlsPastWindow === 0
      ? `no crawl ${crawlId} is billed to platform ${platformId}`
      : `no crawl ${crawlId} is billed to platform ${platformId} within the last ${DISPUTE_WINDOW_DAYS} days (older crawls are kept only while their dispute is open)`;
  throw new DomainError('crawl_not_found', message, { crawlId, platformId });
}

function toBilledCrawl(event: CrawlBilled): BilledCrawl {
  const { publisherId, amount, billedAt } = event.data;
  return { publisherId, amount, billedAt, status: 'billed' };
}

/** The time an event happened, as its decider recorded it. */
function timeOf(event: EscrowEvent): number {
  switch (event.type) {
    case 'EscrowDeposited':
      return event.data.depositedAt;
    case 'CrawlBilled':
      return event.data.billedAt;
    case 'CrawlDisputed':
      return event.data.disputedAt;
    case 'CrawlRefunded':
      return event.data.refundedAt;
    default:
      return assertNever(event);
  }
}

/** Whether a crawl billed at `billedAt` is past its dispute window once the escrow has seen `latestAt`. */
const isPastWindow = (billedAt: number, latestAt: number) => latestAt - billedAt > DISPUTE_WINDOW_MS;

function withStatus(state: EscrowState, crawlId: string, billedAt: number, status: CrawlStatus, latestAt: number): EscrowState['crawls'] {
  const crawl = state.crawls.get(crawlId);
  if (!crawl) {
    // A stream decided before crawls were forgotten may refund an old undisputed crawl: its money is folded,
    // the crawl stays forgotten. Otherwise the bill is on this stream, folded first; a miss is a corrupted stream.
    if (isPastWindow(billedAt, state.latestAt)) return state.crawls;
    throw new Error(`${status} event for crawl ${crawlId} that this escrow never billed`);
  }
  // A refunded crawl past its window is needed no more (a dispute kept it after its bill left billOrder).
  if (status === 'refunded' && isPastWindow(crawl.billedAt, latestAt)) return state.crawls.delete(crawlId);
  return state.crawls.set(crawlId, { ...crawl, status });
}

/**
 * Forgets the crawls billed more than the dispute window before `latestAt`, oldest bill first, except open
 * disputes (they leave billOrder but stay in crawls until refunded). Stops at the first crawl still inside
 * the window: a bill recorded out of time order (clocks of two gateways) is then kept a little longer, never
 * forgotten early, so a forgotten crawl is always one whose dispute would be refused at any later time.
 */
function forgetPastWindow(state: EscrowState): EscrowState {
  let { crawls, billOrder, crawlsPastWindow } = state;
  while (billOrder.size > 0) {
    const crawlId = billOrder.first()!;
    const crawl = crawls.get(crawlId);
    if (crawl && !isPastWindow(crawl.billedAt, state.latestAt)) break;
    billOrder = billOrder.shift();
    if (!crawl) continue; // refunded after its dispute outlived the window, and deleted then
    crawlsPastWindow += 1;
    if (crawl.status !== 'disputed') crawls = crawls.delete(crawlId);
  }
  return billOrder === state.billOrder ? state : { ...state, crawls, billOrder, crawlsPastWindow };
}
