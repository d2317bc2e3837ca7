import { describe, it } from 'vitest';
import type { VoteCast } from '../../events-schema/governance/events.ts';
import { deciderSpec } from '../testing/decider-spec.ts';
import { ballotDecider, type CastVote } from './ballot.ts';
import { defaultClassWeights } from '../../events-schema/governance/rules.ts';
import type { DecisionState } from './decision.ts';

const spec = deciderSpec(ballotDecider);
const now = 1_700_000_000_000;
const open: DecisionState = { status: 'open', decisionId: 'd1', options: ['yes', 'no'], closesAt: now + 1000, weights: defaultClassWeights, createdBy: 'convener' };
const vote = (data: Partial<CastVote['data']> = {}): CastVote => ({
  type: 'CastVote',
  data: { decisionId: 'd1', voterId: 'v1', option: 'yes', voterClass: 'citizen', now, decision: open, ...data },
});
const cast = (voterClass: VoteCast['data']['voterClass'], weight: number): VoteCast => ({
  type: 'VoteCast',
  data: { decisionId: 'd1', voterId: 'v1', option: 'yes', voterClass, weight, castAt: now },
});

describe('ballot decider', () => {
  it('casts a vote weighted by the voter class (citizen 1, expert 3, community 2)', () => {
    spec.given([]).when(vote()).then([cast('citizen', 1)]);
    spec.given([]).when(vote({ voterClass: 'expert' })).then([cast('expert', 3)]);
    spec.given([]).when(vote({ voterClass: 'community' })).then([cast('community', 2)]);
  });

  it('uses the weights the decision was opened with', () => {
    const custom: DecisionState = { ...open, weights: { citizen: 2, expert: 5, community: 1 } } as DecisionState;
    spec.given([]).when(vote({ voterClass: 'expert', decision: custom })).then([cast('expert', 5)]);
  });

  it('refuses a second vote by the same voter', () => {
    spec.given([cast('citizen', 1)]).when(vote({ option: 'no' })).thenThrows('already_voted', { voterId: 'v1' });
  });

  it('refuses a vote on a decision that does not exist', () => {
    spec.given([]).when(vote({ decision: { status: 'none' } })).thenThrows('decision_not_found');
  });

  it('refuses a vote on a closed decision, and once the deadline has passed', () => {
    spec.given([]).when(vote({ decision: { ...open, status: 'closed' } as DecisionState })).thenThrows('decision_closed');
    spec.given([]).when(vote({ now: now + 1000 })).thenThrows('decision_closed');
  });

  it('takes a vote up to just before closesAt, and refuses one at closesAt or after it with decision_closed', () => {
    const closesAt = now + 1000;
    const castAt = (at: number): VoteCast => ({ type: 'VoteCast', data: { ...cast('citizen', 1).data, castAt: at } });
    spec.given([]).when(vote({ now: closesAt - 1 })).then([castAt(closesAt - 1)]);
    spec.given([]).when(vote({ now: closesAt })).thenThrows('decision_closed', { decisionId: 'd1' });
    spec.given([]).when(vote({ now: closesAt + 1 })).thenThrows('decision_closed', { decisionId: 'd1' });
  });

  it('refuses an option the decision does not offer', () => {
    spec.given([]).when(vote({ option: 'maybe' })).thenThrows('unknown_option', { option: 'maybe' });
  });
});
