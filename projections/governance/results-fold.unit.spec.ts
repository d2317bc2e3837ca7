import { describe, expect, it } from 'vitest';
import type { ProoflineEvent } from '../../events-schema/index.ts';
import { foldDecisionResults } from './results-fold.ts';

const created: ProoflineEvent = {
  type: 'DecisionCreated',
  data: { decisionId: 'd', title: 't', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: 0 },
};
const vote = (voterId: string, option: string, voterClass: 'citizen' | 'expert' | 'community', weight: number): ProoflineEvent => ({
  type: 'VoteCast',
  data: { decisionId: 'd', voterId, option, voterClass, weight, castAt: 1 },
});

describe('foldDecisionResults', () => {
  it('counts votes per option, weighted per class and by class, whatever their order relative to the creation', () => {
    const results = foldDecisionResults([vote('a', 'yes', 'expert', 3), created, vote('b', 'no', 'citizen', 1), vote('c', 'yes', 'community', 2)]);
    expect(results.get('d')).toEqual({
      status: 'open',
      totals: { yes: 2, no: 1 },
      weighted: { yes: 5, no: 1 },
      byClass: { citizen: { yes: 0, no: 1 }, expert: { yes: 1, no: 0 }, community: { yes: 1, no: 0 } },
      votes: 3,
    });
  });

  it('marks a closed decision closed', () => {
    const results = foldDecisionResults([created, { type: 'DecisionClosed', data: { decisionId: 'd', closedAt: 2, reason: 'manual' } }]);
    expect(results.get('d')?.status).toBe('closed');
  });
});
