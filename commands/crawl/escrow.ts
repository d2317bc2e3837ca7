// One AI platform's escrow, in a stream of its own (`escrow-<platformId>`): deposits, bills, disputes and
// refunds. The balance is the consistency boundary — "never negative" and "a refund restores it" are rules
// about it — so every event that moves money is on this stream, decided against its folded state. Bills
// reach it as fast as the platform crawls: see crawl-commands.ts for how they are batched.
//
// The state remembers each billed crawl (publisher, amount, billing time, dispute status) so that the same
// crawl id is refused a second time and disputes/refunds are checked against the bill. That memory grows
// with the crawls (about 100 bytes each). Two things bound what depends on it: CrawlBilled's event id is
// derived from the crawl id, so the event store refuses a crawl id billed twice even by another platform
// (crawl-commands.ts), and only crawls inside the dispute window (plus open disputes) are needed for
// disputes. A production escrow would drop older undisputed crawls from memory at a snapshot.
//
// Who may move its money (authority.ts): whoever acts for the platform deposits, bills and disputes; a
// refund is the crawl's publisher's to grant (or an admin's), never the platform's that it pays back.
import { Map as PersistentMap } from 'immutable';
import type { CrawlBilled, EscrowEvent } from '../../events-schema/crawl/events.ts';
import { DISPUTE_WINDOW_DAYS, DISPUTE_WINDOW_MS, MIN_DEPOSIT_MICROS } from '../../events-schema/crawl/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
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
  /**
   * Every crawl billed on this escrow, by crawl id: a persistent map, so evolve returns a new one that
   * shares all but the changed entry with the old (copying a week of crawls per event would make folding
   * quadratic), and the state it was given stays as it was.
   */
  readonly crawls: PersistentMap<string, BilledCrawl>;
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
  switch (event.type) {
    case 'EscrowDeposited':
      return { ...state, balance: state.balance + event.data.amount, deposited: state.deposited + event.data.amount };
    case 'CrawlBilled':
      return {
        ...state,
        balance: state.balance - event.data.amount,
        billed: state.billed + event.data.amount,
        crawls: state.crawls.set(event.data.crawlId, toBilledCrawl(event)),
      };
    case 'CrawlDisputed':
      return { ...state, crawls: withStatus(state, event.data.crawlId, 'disputed') };
    case 'CrawlRefunded':
      return {
        ...state,
        balance: state.balance + event.data.amount,
        refunded: state.refunded + event.data.amount,
        crawls: withStatus(state, event.data.crawlId, 'refunded'),
      };
    default:
      return assertNever(event);
  }
}

export const initialState = (): EscrowState => ({ balance: 0, deposited: 0, billed: 0, refunded: 0, crawls: PersistentMap() });

export const escrowDecider: Decider<EscrowState, EscrowCommand, EscrowEvent> = { decide, evolve, initialState };

/** The platform exists, the caller acts for it (`doing` names what for), and it is a platform. */
function requirePlatform(platform: ParticipantState, platformId: string, by: Caller, doing: string): void {
  if (platform.status === 'none') throw new DomainError('platform_not_found', `platform ${platformId} is not registered`, { platformId });
  if (!actsFor(by, platformId, platform.owner)) throw notActingFor(by, platformId, doing);
  if (platform.role !== 'platform') throw new DomainError('not_a_platform', `participant ${platformId} is a ${platform.role}, not a platform`, { platformId });
}

function billedCrawl(state: EscrowState, crawlId: string, platformId: string): BilledCrawl {
  const crawl = state.crawls.get(crawlId);
  if (!crawl) throw new DomainError('crawl_not_found', `no crawl ${crawlId} is billed to platform ${platformId}`, { crawlId, platformId });
  return crawl;
}

function toBilledCrawl(event: CrawlBilled): BilledCrawl {
  const { publisherId, amount, billedAt } = event.data;
  return { publisherId, amount, billedAt, status: 'billed' };
}

function withStatus(state: EscrowState, crawlId: string, status: CrawlStatus): EscrowState['crawls'] {
  const crawl = state.crawls.get(crawlId);
  // Same stream as the bill, so the bill was folded first; a miss would be a corrupted stream.
  if (!crawl) throw new Error(`${status} event for crawl ${crawlId} that this escrow never billed`);
  return state.crawls.set(crawlId, { ...crawl, status });
}
