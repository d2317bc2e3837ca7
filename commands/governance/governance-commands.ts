// The governance context's use cases: each one routes a validated command to its stream through the
// command core, configured once per use case.
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../ports/event-store.ts';
import { commandHandler, loadStream, type CommandContext, type LoadedStream, type UseCase } from '../command-core.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { ballotDecider, ballotStreamId } from './ballot.ts';
import { decisionDecider, decisionStreamId, type DecisionCommand, type DecisionEvent, type DecisionState } from './decision.ts';
import type { CastVoteInput, CreateDecisionInput } from './schemas.ts';

export type GovernanceCommands = ReturnType<typeof governanceCommands>;

export function governanceCommands(eventStore: EventStore, clock: () => number = Date.now) {
  const decisionReads = new SharedReads<LoadedStream<DecisionState>>();
  const onDecision: UseCase<DecisionState, DecisionCommand, DecisionEvent> = {
    context: 'governance',
    decider: decisionDecider,
    streamId: (command) => decisionStreamId(command.data.decisionId),
  };
  // A decision is created once: a conflict means it exists, and deciding again would only say so.
  const creations = commandHandler(eventStore, { ...onDecision, conflictRetries: 0 });
  const decisions = commandHandler(eventStore, onDecision);
  // Each ballot is its own stream, almost always new: decide without reading it first.
  const ballots = commandHandler(eventStore, {
    context: 'governance',
    decider: ballotDecider,
    streamId: (command) => ballotStreamId(command.data.decisionId, command.data.voterId),
    assumeNewStream: true,
  });

  return {
    async createDecision(input: CreateDecisionInput, context: CommandContext) {
      // With an Idempotency-Key and no client id, the id must be the same on a retry.
      const decisionId =
        input.decisionId ?? (context.idempotencyKey ? deterministicUuid('decision', context.idempotencyKey) : randomUUID());
      const result = await creations.handle(
        {
          type: 'CreateDecision',
          data: { decisionId, title: input.title, options: input.options, closesAt: input.closesAt ? Date.parse(input.closesAt) : null, now: clock() },
        },
        context,
      );
      return { decisionId, streamId: result.streamId, lsn: result.lastLsn };
    },

    async castVote(decisionId: string, input: CastVoteInput, context: CommandContext) {
      // Thousands of voters a second read the same tiny decision stream: concurrent reads share one query.
      const decision = await decisionReads.run(decisionId, () => loadStream(eventStore, decisionDecider, decisionStreamId(decisionId)));
      const result = await ballots.handle({ type: 'CastVote', data: { decisionId, ...input, now: clock(), decision: decision.state } }, context);
      return { eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async closeDecision(decisionId: string, context: CommandContext) {
      const result = await decisions.handle({ type: 'CloseDecision', data: { decisionId, now: clock() } }, context);
      return { lsn: result.lastLsn };
    },
  };
}
