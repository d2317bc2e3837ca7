// The crawl context's use cases, each configured once on the command core. Participants take one command
// at a time; everything that moves an escrow's money goes through one writer per escrow (stream-writer.ts),
// because a platform bills its crawls as fast as it crawls and all of them change one balance.
// Every command has a verified caller; the deciders check what it may do (authority.ts) against the
// participants read here.
import type { EventStore } from '../../ports/event-store.ts';
import type { SnapshotStore } from '../../ports/snapshot-store.ts';
import type { StreamRouter } from '../../ports/stream-routing.ts';
import { verifiedActor } from '../actor.ts';
import { commandHandler, loadStream, type CommandContext, type CommandResult, type LoadedStream, type SnapshotLogger, type UseCase } from '../command-core.ts';
import { streamWriters } from '../stream-writer.ts';
import { DomainError } from '../decider.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { escrowDecider, escrowStateCodec, escrowStreamId, type EscrowCommand, type EscrowState } from './escrow.ts';
import { participantDecider, participantStreamId, type ParticipantCommand, type ParticipantState } from './participant.ts';
import type { EscrowEvent, ParticipantEvent } from '../../events-schema/crawl/events.ts';
import type { BillCrawlInput, DepositInput, DisputeCrawlInput, RefundCrawlInput, RegisterParticipantInput, SetPriceInput } from './schemas.ts';

export type CrawlCommands = ReturnType<typeof crawlCommands>;

/**
 * The event id of a crawl's bill, the same on every stream: the event store refuses to record it twice,
 * so a crawl id is billed at most once across all platforms, even after its escrow forgot the crawl.
 */
export const crawlBilledEventId = (crawlId: string) => deterministicUuid('CrawlBilled', crawlId);

export type CrawlCommandOptions = {
  /**
   * Where escrows' snapshots are kept: an escrow is then loaded from its latest snapshot and the bills after
   * it (the escrow state is bounded by the dispute window, so that costs O(recent), not O(history)), and
   * snapshotted every `everyEvents` (default 1000) events. Without it, escrows are folded from the start.
   */
  snapshots?: { store: SnapshotStore; logger: SnapshotLogger; everyEvents?: number };
  /**
   * With several gateways, an escrow's commands run in the process that owns the escrow: this one checks the
   * request and reads the participants, the owner decides and appends with its single writer.
   */
  router?: StreamRouter;
};

type EscrowOutcome = Omit<CommandResult<EscrowState, EscrowEvent>, 'state'>;

/** What an escrow's owner is sent by the process that took the command (the router's `kind`). */
const ESCROW_COMMAND = 'crawl.escrow';

/** The caller of a crawl command; refused (403) without a verified one. */
export function crawlCommands(eventStore: EventStore, clock: () => number = Date.now, options: CrawlCommandOptions = {}) {
  const { router } = options;
  // Bills read the platform's and the publisher's tiny streams; concurrent bills share one read of each.
  const participantReads = new SharedReads<LoadedStream<ParticipantState>>();
  const participant = async (participantId: string) =>
    (await participantReads.run(participantId, () => loadStream(eventStore, participantDecider, participantStreamId(participantId)))).state;

  const onParticipant: UseCase<ParticipantState, ParticipantCommand, ParticipantEvent> = {
    context: 'crawl',
    decider: participantDecider,
    streamId: (command) => participantStreamId(command.type === 'RegisterParticipant' ? command.data.participantId : command.data.publisherId),
  };
  // A participant is registered once, on a new stream: one retry lets a conflict answer as a replay or a refusal.
  const registrations = commandHandler(eventStore, { ...onParticipant, assumeNewStream: true, conflictRetries: 1 });
  const participants = commandHandler(eventStore, onParticipant);
  const onEscrow: UseCase<EscrowState, EscrowCommand, EscrowEvent> = {
    context: 'crawl',
    decider: escrowDecider,
    streamId: (command) => escrowStreamId(command.data.platformId),
    eventId: (command, index) => (command.type === 'BillCrawl' && index === 0 ? crawlBilledEventId(command.data.crawlId) : undefined),
    // One writer per escrow across gateways is the rule, but while their views of the membership differ (a
    // gateway joining, leaving, or back after the database was down: up to a beat or two) two may write it.
    // Their batches then conflict; enough retries (the backoff caps at 200 ms) to outlast such a window
    // rather than answer the clients 409.
    conflictRetries: 30,
    duplicateError: (command, error) =>
      command.type === 'BillCrawl'
        ? new DomainError('crawl_already_billed', `crawl ${command.data.crawlId} is already billed (${error.existingStreamId})`, { crawlId: command.data.crawlId })
        : error,
  };
  const escrows = streamWriters(eventStore, onEscrow, options.snapshots ? { snapshots: { ...options.snapshots, codec: escrowStateCodec } } : {});

  // The escrow's state stays with its writer (a map of every crawl billed): callers need its events and LSN only.
  const escrowCommand = (command: EscrowCommand, context: CommandContext): Promise<EscrowOutcome> =>
    router
      ? router.run(escrowStreamId(command.data.platformId), ESCROW_COMMAND, { command, context }, () => escrows.handle(command, context), context.ranBy)
      : escrows.handle(command, context);
  // The actor in the context was verified by the process that took the request: a member of the same installation.
  router?.serve(ESCROW_COMMAND, async (payload) => {
    const { command, context } = payload as { command: EscrowCommand; context: CommandContext };
    const { state: _, ...outcome } = await escrows.handle(command, context);
    return outcome satisfies EscrowOutcome;
  });

  return {
    async registerParticipant(input: RegisterParticipantInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'registering a participant');
      const result = await registrations.handle({ type: 'RegisterParticipant', data: { ...input, now: clock(), by } }, context);
      return { participantId: input.participantId, role: input.role, streamId: result.streamId, lsn: result.lastLsn };
    },

    async setPrice(publisherId: string, input: SetPriceInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'setting a price');
      const result = await participants.handle({ type: 'SetPublisherPrice', data: { publisherId, pricePerCrawl: input.pricePerCrawl, now: clock(), by } }, context);
      return { publisherId, pricePerCrawl: input.pricePerCrawl, lsn: result.lastLsn };
    },

    async deposit(platformId: string, input: DepositInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a deposit');
      const platform = await participant(platformId);
      const result = await escrowCommand({ type: 'DepositEscrow', data: { platformId, amount: input.amount, now: clock(), platform, by } }, context);
      // From the event, as for bills and refunds: a retry answered with the recorded deposit gets its balance.
      const deposited = result.events[0]!;
      if (deposited.type !== 'EscrowDeposited') throw new Error(`DepositEscrow decided ${deposited.type}`);
      return { platformId, amount: deposited.data.amount, balance: deposited.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async billCrawl(input: BillCrawlInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'billing a crawl');
      const [platform, publisher] = await Promise.all([participant(input.platformId), participant(input.publisherId)]);
      const result = await escrowCommand({ type: 'BillCrawl', data: { ...input, now: clock(), platform, publisher, by } }, context);
      const billed = result.events[0]!;
      if (billed.type !== 'CrawlBilled') throw new Error(`BillCrawl decided ${billed.type}`);
      return { crawlId: input.crawlId, amount: billed.data.amount, balance: billed.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async disputeCrawl(crawlId: string, input: DisputeCrawlInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a dispute');
      const platform = await participant(input.platformId);
      const result = await escrowCommand({ type: 'DisputeCrawl', data: { crawlId, ...input, now: clock(), platform, by } }, context);
      return { crawlId, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async refundCrawl(crawlId: string, input: RefundCrawlInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a refund');
      // The platform too: its owner is told why a refund is not the platform's to grant.
      const [platform, publisher] = await Promise.all([participant(input.platformId), participant(input.publisherId)]);
      const result = await escrowCommand({ type: 'RefundCrawl', data: { crawlId, ...input, now: clock(), platform, publisher, by } }, context);
      const refunded = result.events[0]!;
      if (refunded.type !== 'CrawlRefunded') throw new Error(`RefundCrawl decided ${refunded.type}`);
      return { crawlId, amount: refunded.data.amount, balance: refunded.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },
  };
}
