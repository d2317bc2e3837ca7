// The governance context's use cases: each one routes a validated command to its stream through the
// generic handler.
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../ports/event-store.ts';
import { aggregateStream, handleCommand, type CommandContext, type LoadedStream } from '../command-handler.ts';
import { deterministicUuid } from '../event-ids.ts';
import { ballotDecider, ballotStreamId } from './ballot.ts';
import { decisionDecider, decisionStreamId, type DecisionState } from './decision.ts';
import { SharedReads } from '../shared-reads.ts';
import type { CastVoteInput, CreateDecisionInput } from './schemas.ts';

export type GovernanceCommands = ReturnType<typeof governanceCommands>;

export function governanceCommands(eventStore: EventStore, clock: () => number = Date.now) {
  const decisionReads = new SharedReads<LoadedStream<DecisionState>>();
  return {
    async createDecision(input: CreateDecisionInput, context: CommandContext) {
      // With an Idempotency-Key and no client id, the id must be the same on a retry.
      const decisionId =
        input.decisionId ?? (context.idempotencyKey ? deterministicUuid('decision', context.idempotencyKey) : randomUUID());
      const streamId = decisionStreamId(decisionId);
      const result = await handleCommand(
        eventStore,
        decisionDecider,
        streamId,
        {
          type: 'CreateDecision',
          data: {
            decisionId,
            title: input.title,
            options: input.options,
            closesAt: input.closesAt ? Date.parse(input.closesAt) : null,
            now: clock(),
          },
        },
        { ...context, maxRetries: 0 },
      );
      return { decisionId, streamId, lsn: result.lastLsn };
    },

    async castVote(decisionId: string, input: CastVoteInput, context: CommandContext) {
      // Thousands of voters a second read the same tiny decision stream: concurrent reads share one query.
      const decision = await decisionReads.run(decisionId, () => aggregateStream(eventStore, decisionDecider, decisionStreamId(decisionId)));
      const result = await handleCommand(
        eventStore,
        ballotDecider,
        ballotStreamId(decisionId, input.voterId),
        { type: 'CastVote', data: { decisionId, ...input, now: clock(), decision: decision.state } },
        { ...context, assumeNewStream: true },
      );
      return { eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async closeDecision(decisionId: string, context: CommandContext) {
      const result = await handleCommand(
        eventStore,
        decisionDecider,
        decisionStreamId(decisionId),
        { type: 'CloseDecision', data: { decisionId, now: clock() } },
        context,
      );
      return { lsn: result.lastLsn };
    },
  };
}
