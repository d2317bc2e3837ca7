// The impact context's use cases, each configured once on the command core.
//
// Authority: zones, quests and reviews take role quest-master (or admin); a player acts as themselves — the
// player of a submission, a vote, a transfer or a redemption is the verified caller's subject, and tokens
// leave a balance only by its player's hand (or an admin's).
//
// A submission reads the quest's stream and the player's, records its claim on the evidence's stream
// (impact-evidence-<sha256>; its event id derived from the submission: a retry finds its own claim, and a
// submission id used before is refused there, submission_exists, with nothing appended), then decides on
// the player's stream with the quest, whether the hash was claimed by another submission (duplicate_evidence),
// and the player's own history as read (appended expecting that revision: a stream moved meanwhile is read
// again). Before claiming, the submission is decided once against the player's state, so a submission the
// rules refuse (quest closed, one already pending) claims no hash.
//
// A transfer is a debit on the sender's stream, then a credit on the receiver's:
//   - the debit (TokensSent) is decided against the sender's balance and appended expecting the revision it
//     was read at: two debits can never both spend the same tokens, whatever the concurrency;
//   - its event id is derived from the transfer id, and the sender's state remembers every transfer it
//     sent: a retry of the same transfer decides no second debit and goes on to the credit;
//   - the credit (TokensReceived) has its own event id derived from the transfer id, and the receiver's
//     state remembers the transfers it received: it is recorded at most once.
// Nothing is created or lost: a crash between the two leaves a debit without its credit, which the retry
// of the request completes, or `completePendingTransfers` (for a background process) finds on the sender's
// stream and credits.
import { randomUUID } from 'node:crypto';
import type { EvidenceEvent, PlayerEvent, QuestEvent, ZoneEvent } from '../../events-schema/impact/events.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { systemActor, verifiedActor } from '../actor.ts';
import { commandHandler, loadStream, type CommandContext, type LoadedStream, type UseCase } from '../command-core.ts';
import { DomainError } from '../decider.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { streamWriters } from '../stream-writer.ts';
import { requireActsForPlayer, requireQuestMaster } from './authority.ts';
import { evidenceDecider, evidenceStreamId, isDuplicateClaim, type EvidenceCommand, type EvidenceState } from './evidence.ts';
import { playerDecider, playerStreamId, type PlayerCommand, type PlayerState, type SubmitEvidence } from './player.ts';
import { questDecider, questStreamId, type QuestCommand, type QuestState } from './quest.ts';
import type { CreateQuestInput, DefineZoneInput, RedeemInput, ReviewInput, SubmitEvidenceInput, TransferInput, WitnessInput } from './schemas.ts';
import { zoneDecider, zoneStreamId, type ZoneCommand, type ZoneState } from './zone.ts';

export type ImpactCommands = ReturnType<typeof impactCommands>;

/** The event ids the domain fixes: each names its fact, so the store records it once across all streams. */
/**
 * Named by the submission alone (not its hash): a submission id already used with other evidence, by anyone,
 * is then refused at the claim, before anything is appended — a refused submission claims no hash.
 */
export const evidenceClaimedEventId = (submissionId: string) => deterministicUuid('EvidenceClaimed', submissionId);
export const evidenceSubmittedEventId = (submissionId: string) => deterministicUuid('EvidenceSubmitted', submissionId);
export const tokensSentEventId = (transferId: string) => deterministicUuid('TokensSent', transferId);
export const tokensReceivedEventId = (transferId: string) => deterministicUuid('TokensReceived', transferId);

/** The player whose stream a player command is decided on. */
export function playerOf(command: PlayerCommand): string {
  switch (command.type) {
    case 'SendTokens':
      return command.data.from;
    case 'ReceiveTokens':
      return command.data.to;
    default:
      return command.data.playerId;
  }
}

/** The transfers debited on a sender's stream, as credits to re-apply (each is recorded at most once). */
export function sentTransfers(sender: PlayerState, senderId: string): { transferId: string; from: string; to: string; amount: number }[] {
  return [...sender.sent.entries()].map(([transferId, { to, amount }]) => ({ transferId, from: senderId, to, amount }));
}

export function impactCommands(eventStore: EventStore, clock: () => number = Date.now) {
  const zones = commandHandler<ZoneState, ZoneCommand, ZoneEvent>(eventStore, {
    context: 'impact',
    decider: zoneDecider,
    streamId: (command) => zoneStreamId(command.data.zoneId),
    assumeNewStream: true,
    conflictRetries: 1,
  });
  const quests = commandHandler<QuestState, QuestCommand, QuestEvent>(eventStore, {
    context: 'impact',
    decider: questDecider,
    streamId: (command) => questStreamId(command.data.questId),
  });
  const claims = commandHandler<EvidenceState, EvidenceCommand, EvidenceEvent>(eventStore, {
    context: 'impact',
    decider: evidenceDecider,
    streamId: (command) => evidenceStreamId(command.data.sha256),
    eventId: (command, index) => (index === 0 ? evidenceClaimedEventId(command.data.submissionId) : undefined),
    duplicateError: (command) => new DomainError('submission_exists', `submission ${command.data.submissionId} already exists`, { submissionId: command.data.submissionId }),
    // Almost every hash is new: append expecting no stream; a conflict reloads and finds the hash held (by
    // this submission, or another: then this one's claim is recorded after it, a duplicate).
    assumeNewStream: true,
    conflictRetries: 5,
  });
  const onPlayer: UseCase<PlayerState, PlayerCommand, PlayerEvent> = {
    context: 'impact',
    decider: playerDecider,
    streamId: (command) => playerStreamId(playerOf(command)),
    eventId: (command, index) => {
      if (index !== 0) return undefined;
      if (command.type === 'SubmitEvidence') return evidenceSubmittedEventId(command.data.submissionId);
      if (command.type === 'SendTokens') return tokensSentEventId(command.data.transferId);
      if (command.type === 'ReceiveTokens') return tokensReceivedEventId(command.data.transferId);
      return undefined;
    },
    duplicateError: (command, error) => {
      if (command.type === 'SubmitEvidence') return new DomainError('submission_exists', `submission ${command.data.submissionId} already exists`, { submissionId: command.data.submissionId });
      if (command.type === 'SendTokens') return new DomainError('transfer_exists', `transfer ${command.data.transferId} was already sent by another player`, { transferId: command.data.transferId });
      return error;
    },
    // A popular submitter's stream takes votes from many witnesses at once.
    conflictRetries: 8,
  };
  // One writer per player stream in this process: simultaneous commands on one player (a burst of transfers
  // out of one balance, credits to one receiver, many witnesses' votes) are decided in order and appended
  // together, instead of racing for one revision until their conflict retries run out.
  const players = streamWriters(eventStore, onPlayer);

  const loadPlayer = (playerId: string) => loadStream(eventStore, playerDecider, playerStreamId(playerId));
  const questReads = new SharedReads<LoadedStream<QuestState>>();

  /** Credits a debited transfer on the receiver's stream; nothing when it is credited already. */
  async function credit(transfer: { transferId: string; from: string; to: string; amount: number }, context: CommandContext) {
    return players.handle({ type: 'ReceiveTokens', data: { ...transfer, now: clock() } }, context);
  }

  return {
    async defineZone(input: DefineZoneInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'defining a zone');
      requireQuestMaster(by, 'define zones');
      const result = await zones.handle({ type: 'DefineZone', data: { ...input, definedBy: by.subject, now: clock() } }, context);
      return { zoneId: input.zoneId, streamId: result.streamId, lsn: result.lastLsn };
    },

    async createQuest(input: CreateQuestInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'creating a quest');
      requireQuestMaster(by, 'create quests');
      const zone = (await loadStream(eventStore, zoneDecider, zoneStreamId(input.zoneId))).state;
      const result = await quests.handle({ type: 'CreateQuest', data: { ...input, zone, createdBy: by.subject, now: clock() } }, context);
      return { questId: input.questId, streamId: result.streamId, lsn: result.lastLsn };
    },

    async closeQuest(questId: string, context: CommandContext) {
      const by = verifiedActor(context.actor, 'closing a quest');
      requireQuestMaster(by, 'close quests');
      const result = await quests.handle({ type: 'CloseQuest', data: { questId, closedBy: by.subject, now: clock() } }, context);
      return { questId, lsn: result.lastLsn };
    },

    async submitEvidence(questId: string, input: SubmitEvidenceInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'submitting evidence');
      const playerId = by.subject;
      const now = clock();
      // The quest and the player, read side by side; many players submit to the same small quest stream at
      // once, so concurrent reads of a quest share one query (as votes share their decision's).
      const [{ state: quest }, player] = await Promise.all([
        questReads.run(questId, () => loadStream(eventStore, questDecider, questStreamId(questId))),
        loadPlayer(playerId),
      ]);
      const command = (duplicateEvidence: boolean): SubmitEvidence => ({ type: 'SubmitEvidence', data: { ...input, questId, playerId, quest, duplicateEvidence, now } });
      // Refusals first, so a refused submission claims no hash (a recorded one is a retry: the handler answers it).
      if (!player.state.submissions.has(input.submissionId)) playerDecider.decide(command(false), player.state);
      const claim = await claims.handle({ type: 'ClaimEvidence', data: { sha256: input.sha256, submissionId: input.submissionId, playerId, now } }, context);
      // The player's writer decides it on its own copy of the stream (read on from where it last was).
      const result = await players.handle(command(isDuplicateClaim(claim.state, input.submissionId)), context);
      const submitted = result.state.submissions.get(input.submissionId);
      if (!submitted) throw new Error(`SubmitEvidence recorded no submission ${input.submissionId}`);
      return {
        submissionId: input.submissionId,
        questId,
        playerId,
        status: submitted.status,
        flags: submitted.facts.flags,
        eventIds: result.eventIds,
        lsn: result.lastLsn,
      };
    },

    async witness(submissionId: string, input: WitnessInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'witnessing a submission');
      const result = await players.handle(
        { type: 'WitnessSubmission', data: { submissionId, playerId: input.submitterId, witnessId: by.subject, approve: input.approve, now: clock() } },
        context,
      );
      return { submissionId, status: result.state.submissions.get(submissionId)?.status, eventIds: result.eventIds, lsn: result.lastLsn };
    },

    async review(submissionId: string, input: ReviewInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'reviewing a submission');
      requireQuestMaster(by, 'review submissions');
      const result = await players.handle(
        { type: 'ReviewSubmission', data: { submissionId, playerId: input.submitterId, reviewerId: by.subject, decision: input.decision, now: clock() } },
        context,
      );
      return { submissionId, status: result.state.submissions.get(submissionId)?.status, eventIds: result.eventIds, lsn: result.lastLsn };
    },

    /** Debit on the sender's stream, then credit on the receiver's; a retry of the same transfer completes it. */
    async transfer(playerId: string, input: TransferInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a transfer');
      requireActsForPlayer(by, playerId, 'transfer tokens out of the balance');
      const transferId = input.transferId ?? (context.idempotencyKey ? deterministicUuid('transfer', playerId, context.idempotencyKey) : randomUUID());
      const transfer = { transferId, from: playerId, to: input.to, amount: input.amount };
      // The credit is decided first against the receiver as it is now: a credit its rules would refuse (a
      // balance past the largest exact amount) refuses the transfer before anything leaves the sender.
      const receiver = await loadPlayer(input.to);
      if (!receiver.state.received.has(transferId)) playerDecider.decide({ type: 'ReceiveTokens', data: { ...transfer, now: clock() } }, receiver.state);
      const debit = await players.handle({ type: 'SendTokens', data: { ...transfer, now: clock() } }, context);
      const credited = await credit(transfer, context);
      return {
        transferId,
        from: playerId,
        to: input.to,
        amount: input.amount,
        balance: debit.state.balance,
        eventIds: [...debit.eventIds, ...credited.eventIds],
        lsn: credited.lastLsn ?? debit.lastLsn,
      };
    },

    async redeem(playerId: string, input: RedeemInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a redemption');
      requireActsForPlayer(by, playerId, 'redeem tokens out of the balance');
      const result = await players.handle({ type: 'RedeemTokens', data: { playerId, amount: input.amount, item: input.item, now: clock() } }, context);
      return { playerId, amount: input.amount, item: input.item, balance: result.state.balance, eventIds: result.eventIds, lsn: result.lastLsn };
    },

    /**
     * Credits every transfer debited on `senderId`'s stream whose credit is missing (a request cut off
     * between debit and credit). Each credit is recorded at most once, so running it again, or alongside
     * the original request's retry, is harmless. With `only`, just those of its transfers (the ones a read
     * model shows pending), still as the sender's stream records them. Returns the transfer ids it credited now.
     */
    async completePendingTransfers(senderId: string, context: CommandContext = { metadata: {}, actor: systemActor('impact-transfers') }, only?: readonly string[]) {
      const sender = await loadPlayer(senderId);
      const wanted = only && new Set(only);
      const completed: string[] = [];
      for (const transfer of sentTransfers(sender.state, senderId)) {
        if (wanted && !wanted.has(transfer.transferId)) continue;
        const result = await credit(transfer, context);
        if (result.events.length > 0) completed.push(transfer.transferId);
      }
      return completed;
    },
  };
}
