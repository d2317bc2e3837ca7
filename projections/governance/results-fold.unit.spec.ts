import { describe, expect, it } from 'vitest';
import type { ProoflineEvent } from '../../events-schema/index.ts';
import { foldDecisionResults, type LoggedEvent } from './results-fold.ts';

const created: ProoflineEvent = {
  type: 'DecisionCreated',
  data: { decisionId: 'd', title: 't', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: 0, createdBy: 'convener' },
};
const closed: ProoflineEvent = { type: 'DecisionClosed', data: { decisionId: 'd', closedAt: 2, reason: 'manual' } };
const vote = (voterId: string, option: string, voterClass: 'citizen' | 'expert' | 'community', weight: number): ProoflineEvent => ({
  type: 'VoteCast',
  data: { decisionId: 'd', voterId, option, voterClass, weight, castAt: 1 },
});
/** The events at LSN 1, 2, 3, ... in the order given. */
const logged = (...events: ProoflineEvent[]): LoggedEvent[] => events.map((event, i) => ({ lsn: i + 1, event }));

describe('foldDecisionResults', () => {
  it('counts votes per option, weighted per class and by class, whatever their order relative to the creation', () => {
    const results = foldDecisionResults(logged(vote('a', 'yes', 'expert', 3), created, vote('b', 'no', 'citizen', 1), vote('c', 'yes', 'community', 2)));
    expect(results.get('d')).toEqual({
      status: 'open',
      totals: { yes: 2, no: 1 },
      weighted: { yes: 5, no: 1 },
      byClass: { citizen: { yes: 0, no: 1 }, expert: { yes: 1, no: 0 }, community: { yes: 1, no: 0 } },
      votes: 3,
      lateVotes: 0,
    });
  });

  it('marks a closed decision closed', () => {
    expect(foldDecisionResults(logged(created, closed)).get('d')?.status).toBe('closed');
  });

  it('does not count a vote whose LSN is after its decision’s close, only as a late vote', () => {
    const log = logged(created, vote('a', 'yes', 'expert', 3), closed, vote('b', 'no', 'citizen', 1), vote('c', 'yes', 'expert', 3));
    const expected = {
      status: 'closed',
      totals: { yes: 1, no: 0 },
      weighted: { yes: 3, no: 0 },
      byClass: { citizen: { yes: 0, no: 0 }, expert: { yes: 1, no: 0 }, community: { yes: 0, no: 0 } },
      votes: 1,
      lateVotes: 2,
    };
    expect(foldDecisionResults(log).get('d')).toEqual(expected);
    // The LSNs decide, not the order the events are handed over in.
    expect(foldDecisionResults([...log].reverse()).get('d')).toEqual(expected);
  });

  it('measures from the first close, should a stream hold two', () => {
    const results = foldDecisionResults(logged(created, closed, vote('a', 'yes', 'citizen', 1), closed));
    expect(results.get('d')).toMatchObject({ status: 'closed', votes: 0, lateVotes: 1 });
  });
});
