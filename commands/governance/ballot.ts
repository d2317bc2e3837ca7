// One voter's ballot on one decision, in a stream of its own: `ballot-<decisionId>:<voterId>`.
//
// Why not append votes to the decision's stream? 10,000 voters a second on one decision would all queue
// on that stream's optimistic lock. A stream per ballot makes "one vote per voter" a plain
// `no_stream` append that never contends with other voters; the decision's state (open, options,
// weights) is read, not written, and handed to this decider with the command.
import type { VoteCast, VoterClass } from '../../events-schema/governance/events.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
import { isOpenAt, type DecisionState } from './decision.ts';

export type CastVote = Command<
  'CastVote',
  { decisionId: string; voterId: string; option: string; voterClass: VoterClass; now: number; decision: DecisionState }
>;
export type BallotCommand = CastVote;
export type BallotEvent = VoteCast;
export type BallotState = { voted: false } | { voted: true; option: string };

export const ballotStreamId = (decisionId: string, voterId: string) => `ballot-${decisionId}:${voterId}`;

export function decide(command: BallotCommand, state: BallotState): BallotEvent[] {
  switch (command.type) {
    case 'CastVote': {
      const { decisionId, voterId, option, voterClass, now, decision } = command.data;
      if (decision.status === 'none') throw new DomainError('decision_not_found', `decision ${decisionId} does not exist`, { decisionId });
      if (state.voted) throw new DomainError('already_voted', `voter ${voterId} already voted on decision ${decisionId}`, { decisionId, voterId });
      if (!isOpenAt(decision, now)) throw new DomainError('decision_closed', `decision ${decisionId} is closed`, { decisionId });
      if (!decision.options.includes(option)) {
        throw new DomainError('unknown_option', `"${option}" is not an option of decision ${decisionId}`, { option, options: decision.options });
      }
      return [{ type: 'VoteCast', data: { decisionId, voterId, option, voterClass, weight: decision.weights[voterClass], castAt: now } }];
    }
    default:
      return assertNever(command.type);
  }
}

export function evolve(_state: BallotState, event: BallotEvent): BallotState {
  return { voted: true, option: event.data.option };
}

export const initialState = (): BallotState => ({ voted: false });

export const ballotDecider: Decider<BallotState, BallotCommand, BallotEvent> = { decide, evolve, initialState };
