// The same results, folded in memory from a list of events: the reference the read model is held to in
// end-to-end tests, and what an auditor computes from the log alone.
import type { ProoflineEvent } from '../../events-schema/index.ts';
import { voterClasses, type VoterClass } from '../../events-schema/governance/events.ts';

export type FoldedResults = {
  status: 'open' | 'closed';
  totals: Record<string, number>;
  weighted: Record<string, number>;
  byClass: Record<VoterClass, Record<string, number>>;
  votes: number;
};

export function foldDecisionResults(events: readonly ProoflineEvent[]): Map<string, FoldedResults> {
  const results = new Map<string, FoldedResults>();
  const pendingVotes: Array<Extract<ProoflineEvent, { type: 'VoteCast' }>> = [];
  for (const event of events) {
    switch (event.type) {
      case 'DecisionCreated': {
        const zeroes = () => Object.fromEntries(event.data.options.map((option) => [option, 0]));
        results.set(event.data.decisionId, {
          status: 'open',
          totals: zeroes(),
          weighted: zeroes(),
          byClass: Object.fromEntries(voterClasses.map((voterClass) => [voterClass, zeroes()])) as FoldedResults['byClass'],
          votes: 0,
        });
        break;
      }
      case 'DecisionClosed': {
        const decision = results.get(event.data.decisionId);
        if (decision) decision.status = 'closed';
        break;
      }
      case 'VoteCast':
        pendingVotes.push(event);
        break;
    }
  }
  // Votes count whatever their position relative to the creation, as in the read model.
  for (const { data } of pendingVotes) {
    const decision = results.get(data.decisionId);
    if (!decision) continue;
    decision.totals[data.option] = (decision.totals[data.option] ?? 0) + 1;
    decision.weighted[data.option] = (decision.weighted[data.option] ?? 0) + data.weight;
    decision.byClass[data.voterClass][data.option] = (decision.byClass[data.voterClass][data.option] ?? 0) + 1;
    decision.votes += 1;
  }
  return results;
}
