// Verification of one phase: its escrow stream read back from the store against what the clients were told.
// Each failed check adds a line to `problems`; main.ts exits with code 1 when any check has one.
import { crawlBilledEventId } from '../../commands/crawl/crawl-commands.ts';
import { escrowStreamId } from '../../commands/crawl/escrow.ts';
import { decodeEvent, type EscrowEvent } from '../../events-schema/index.ts';
import type { Database } from '../../infra/db/database.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { PhaseOutcome, PhaseSpec } from './load-generator.ts';
import { priceOf, type Market } from './market.ts';

export type EscrowCheck = {
  label: string;
  events: number;
  deposits: number;
  bills: number;
  billedAmount: number;
  finalBalance: number;
  /** CrawlBilled rows and distinct PostgreSQL transactions (xmin) holding them. */
  storeTransactions: number;
  problems: string[];
};

export async function verifyEscrow(
  label: string,
  store: EventStore,
  db: Database,
  market: Market,
  outcome: PhaseOutcome,
  phase: PhaseSpec,
  expectedAnswers: readonly string[],
  options: { derivedEventIds: boolean; handlerBillAppends: number },
): Promise<EscrowCheck> {
  const problems: string[] = [];
  const streamId = escrowStreamId(market.platformId);
  const { events: recorded } = await store.readStream(streamId);
  let balance = 0;
  let deposits = 0;
  let billedAmount = 0;
  let negativeAt: number | undefined;
  let balanceAfterMismatches = 0;
  let wrongEventIds = 0;
  const billedIds = new Set<string>();
  const twice: string[] = [];
  for (const event of recorded) {
    const escrow = decodeEvent(event.data) as EscrowEvent;
    switch (escrow.type) {
      case 'EscrowDeposited':
        balance += escrow.data.amount;
        deposits += escrow.data.amount;
        break;
      case 'CrawlBilled':
        balance -= escrow.data.amount;
        billedAmount += escrow.data.amount;
        if (billedIds.has(escrow.data.crawlId)) twice.push(escrow.data.crawlId);
        billedIds.add(escrow.data.crawlId);
        if (options.derivedEventIds && event.eventId !== crawlBilledEventId(escrow.data.crawlId)) wrongEventIds += 1;
        break;
      case 'CrawlRefunded':
        balance += escrow.data.amount;
        break;
      case 'CrawlDisputed':
        break;
    }
    if (balance < 0 && negativeAt === undefined) negativeAt = event.revision;
    if ('balanceAfter' in escrow.data && escrow.data.balanceAfter !== balance) balanceAfterMismatches += 1;
  }
  const bills = recorded.filter((event) => event.type === 'CrawlBilled').length;

  if (negativeAt !== undefined) problems.push(`the balance went negative at revision ${negativeAt}`);
  if (balanceAfterMismatches > 0) problems.push(`${balanceAfterMismatches} event(s) whose balanceAfter differs from the folded balance`);
  if (deposits !== market.deposit) problems.push(`deposits ${deposits} ≠ the ${market.deposit} deposited`);
  if (billedAmount !== deposits - balance) problems.push(`billed ${billedAmount} ≠ deposits ${deposits} − final balance ${balance}`);
  if (twice.length > 0) problems.push(`${twice.length} crawl id(s) billed more than once, e.g. ${twice[0]}`);
  const answered201 = outcome.answers['201'] ?? 0;
  if (answered201 !== bills) problems.push(`${answered201} answers 201 ≠ ${bills} CrawlBilled events`);
  const acceptedIds = new Set(outcome.billed.map((index) => `${phase.prefix}-${index}`));
  const notRecorded = [...acceptedIds].filter((id) => !billedIds.has(id));
  const notAnswered = [...billedIds].filter((id) => !acceptedIds.has(id));
  if (notRecorded.length > 0) problems.push(`${notRecorded.length} crawl(s) answered 201 but not billed, e.g. ${notRecorded[0]}`);
  if (notAnswered.length > 0) problems.push(`${notAnswered.length} crawl(s) billed but not answered 201, e.g. ${notAnswered[0]}`);
  const unexpected = Object.entries(outcome.answers).filter(([answer]) => answer !== '201' && !expectedAnswers.includes(answer));
  for (const [answer, count] of unexpected) problems.push(`${count} unexpected answer(s) ${answer}${outcome.samples[0] ? ` (e.g. ${outcome.samples[0]})` : ''}`);
  // The balance only goes down here (no refunds), so a crawl refused for want of escrow could not have been
  // paid from any later balance either: the final balance must be below its price.
  let cheapestRefused = Number.POSITIVE_INFINITY;
  for (const index of outcome.refusedForEscrow) cheapestRefused = Math.min(cheapestRefused, priceOf(index % phase.publisherIds.length));
  if (balance >= cheapestRefused) {
    problems.push(`a crawl costing ${cheapestRefused} was refused for want of escrow, yet ${balance} is left`);
  }
  if (wrongEventIds > 0) problems.push(`${wrongEventIds} CrawlBilled event(s) not under the event id derived from their crawl id`);

  const { rows } = await db.pool.query<{ transactions: number }>(
    `select count(distinct xmin::text)::int as transactions from event_log where stream_id = $1 and type = 'CrawlBilled'`,
    [streamId],
  );
  const storeTransactions = rows[0]?.transactions ?? 0;
  if (storeTransactions !== options.handlerBillAppends) {
    problems.push(`the handler made ${options.handlerBillAppends} appends with bills, the store holds them in ${storeTransactions} transactions`);
  }
  return { label, events: recorded.length, deposits, bills, billedAmount, finalBalance: balance, storeTransactions, problems };
}
