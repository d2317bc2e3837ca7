// The crawl context's use cases. Participants go through the generic handler; everything that moves an
// escrow's money goes through one batched single writer per escrow (batched-command-handler.ts), because
// a platform bills its crawls as fast as it crawls and all of them change one balance.
import type { EventStore } from '../../ports/event-store.ts';
import { batchedCommandHandler } from '../batched-command-handler.ts';
import { aggregateStream, handleCommand, type CommandContext, type LoadedStream } from '../command-handler.ts';
import { DomainError } from '../decider.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { escrowDecider, escrowStreamId, type EscrowCommand } from './escrow.ts';
import { participantDecider, participantStreamId, type ParticipantState } from './participant.ts';
import type { BillCrawlInput, DepositInput, DisputeCrawlInput, RefundCrawlInput, RegisterParticipantInput, SetPriceInput } from './schemas.ts';

export type CrawlCommands = ReturnType<typeof crawlCommands>;

/**
 * The event id of a crawl's bill, the same on every stream: the event store refuses to record it twice,
 * so a crawl id is billed at most once across all platforms, even after its escrow forgot the crawl.
 */
export const crawlBilledEventId = (crawlId: string) => deterministicUuid('CrawlBilled', crawlId);

export function crawlCommands(eventStore: EventStore, clock: () => number = Date.now) {
  // Bills read the platform's and the publisher's tiny streams; concurrent bills share one read of each.
  const participantReads = new SharedReads<LoadedStream<ParticipantState>>();
  const participant = async (participantId: string) =>
    (await participantReads.run(participantId, () => aggregateStream(eventStore, participantDecider, participantStreamId(participantId)))).state;

  const escrows = batchedCommandHandler(eventStore, escrowDecider, {
    eventIds: (_streamId, command: EscrowCommand) => (command.type === 'BillCrawl' ? [crawlBilledEventId(command.data.crawlId)] : undefined),
    duplicateError: (command, error) =>
      command.type === 'BillCrawl'
        ? new DomainError('crawl_already_billed', `crawl ${command.data.crawlId} is already billed (${error.existingStreamId})`, { crawlId: command.data.crawlId })
        : error,
  });

  return {
    async registerParticipant(input: RegisterParticipantInput, context: CommandContext) {
      const streamId = participantStreamId(input.participantId);
      const result = await handleCommand(
        eventStore,
        participantDecider,
        streamId,
        { type: 'RegisterParticipant', data: { ...input, now: clock() } },
        { ...context, assumeNewStream: true, maxRetries: 1 },
      );
      return { participantId: input.participantId, role: input.role, streamId, lsn: result.lastLsn };
    },

    async setPrice(publisherId: string, input: SetPriceInput, context: CommandContext) {
      const result = await handleCommand(
        eventStore,
        participantDecider,
        participantStreamId(publisherId),
        { type: 'SetPublisherPrice', data: { publisherId, pricePerCrawl: input.pricePerCrawl, now: clock() } },
        context,
      );
      return { publisherId, pricePerCrawl: input.pricePerCrawl, lsn: result.lastLsn };
    },

    async deposit(platformId: string, input: DepositInput, context: CommandContext) {
      const platform = await participant(platformId);
      const result = await escrows.handle(
        escrowStreamId(platformId),
        { type: 'DepositEscrow', data: { platformId, amount: input.amount, now: clock(), platform } },
        context,
      );
      // From the event, as for bills and refunds: a retry answered with the recorded deposit gets its balance.
      const deposited = result.events[0]!;
      if (deposited.type !== 'EscrowDeposited') throw new Error(`DepositEscrow decided ${deposited.type}`);
      return { platformId, amount: deposited.data.amount, balance: deposited.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async billCrawl(input: BillCrawlInput, context: CommandContext) {
      const [platform, publisher] = await Promise.all([participant(input.platformId), participant(input.publisherId)]);
      const result = await escrows.handle(escrowStreamId(input.platformId), { type: 'BillCrawl', data: { ...input, now: clock(), platform, publisher } }, context);
      const billed = result.events[0]!;
      if (billed.type !== 'CrawlBilled') throw new Error(`BillCrawl decided ${billed.type}`);
      return { crawlId: input.crawlId, amount: billed.data.amount, balance: billed.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async disputeCrawl(crawlId: string, input: DisputeCrawlInput, context: CommandContext) {
      const result = await escrows.handle(escrowStreamId(input.platformId), { type: 'DisputeCrawl', data: { crawlId, ...input, now: clock() } }, context);
      return { crawlId, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async refundCrawl(crawlId: string, input: RefundCrawlInput, context: CommandContext) {
      const result = await escrows.handle(escrowStreamId(input.platformId), { type: 'RefundCrawl', data: { crawlId, ...input, now: clock() } }, context);
      const refunded = result.events[0]!;
      if (refunded.type !== 'CrawlRefunded') throw new Error(`RefundCrawl decided ${refunded.type}`);
      return { crawlId, amount: refunded.data.amount, balance: refunded.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },
  };
}
