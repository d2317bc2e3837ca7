// The governance context's use cases: each one routes a validated command to its stream through the
// command core, configured once per use case.
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../ports/event-store.ts';
import { isAdmin, verifiedActor, type Grant } from '../actor.ts';
import { commandHandler, loadStream, type CommandContext, type LoadedStream, type UseCase } from '../command-core.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { ballotDecider, ballotStreamId } from './ballot.ts';
import { decisionDecider, decisionStreamId, type DecisionCommand, type DecisionEvent, type DecisionState } from './decision.ts';
import type { CastVoteInput, CreateDecisionInput } from './schemas.ts';
import { voterClassOf, voterOf } from './voter.ts';

export type GovernanceCommands = ReturnType<typeof governanceCommands>;

export type GovernanceDependencies = {
  clock?: () => number;
  /** A subject's current grants: the class of a voter named by a ballot box comes from them. */
  grantsOf: (subject: string) => Promise<readonly Grant[]>;
};

/** Every governance command has an author: refused (403) without a verified actor. */
export function governanceCommands(eventStore: EventStore, { clock = Date.now, grantsOf }: GovernanceDependencies) {
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
    /** Who may create is the route's policy (convener or admin); the creator recorded is the actor. */
    async createDecision(input: CreateDecisionInput, context: CommandContext) {
      const actor = verifiedActor(context.actor, 'creating a decision');
      // With an Idempotency-Key and no client id, the id must be the same on a retry.
      const decisionId =
        input.decisionId ?? (context.idempotencyKey ? deterministicUuid('decision', context.idempotencyKey) : randomUUID());
      const result = await creations.handle(
        {
          type: 'CreateDecision',
          data: { decisionId, title: input.title, options: input.options, closesAt: input.closesAt ? Date.parse(input.closesAt) : null, now: clock(), createdBy: actor.subject },
        },
        context,
      );
      return { decisionId, streamId: result.streamId, lsn: result.lastLsn };
    },

    /**
     * The voter is the actor, or the voter a ballot box names. The class comes from the voter's grants (the
     * RoleGranted events of the access log, so every weight traces back to one), never from the caller's key.
     */
    async castVote(decisionId: string, input: CastVoteInput, context: CommandContext) {
      const actor = verifiedActor(context.actor, 'voting');
      const voterId = voterOf(actor, decisionId, input.voterId);
      // A signed-in voter's grants came with its verified identity; a key's are the key's own, not its subject's.
      const voterGrants = voterId === actor.subject && actor.keyId === undefined ? actor.grants : grantsOf(voterId);
      // Thousands of voters a second read the same tiny decision stream: concurrent reads share one query.
      const [grants, decision] = await Promise.all([
        voterGrants,
        decisionReads.run(decisionId, () => loadStream(eventStore, decisionDecider, decisionStreamId(decisionId))),
      ]);
      const voterClass = voterClassOf(grants, decisionId);
      const result = await ballots.handle({ type: 'CastVote', data: { decisionId, voterId, option: input.option, voterClass, now: clock(), decision: decision.state } }, context);
      return { eventId: result.eventIds[0]!, lsn: result.lastLsn };
    },

    async closeDecision(decisionId: string, context: CommandContext) {
      const actor = verifiedActor(context.actor, 'closing a decision');
      const by = { subject: actor.subject, admin: isAdmin(actor) };
      const result = await decisions.handle({ type: 'CloseDecision', data: { decisionId, now: clock(), by } }, context);
      return { lsn: result.lastLsn };
    },
  };
}
