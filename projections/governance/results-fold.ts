// The same results, folded in memory from the log: the reference the read model is held to in end-to-end
// tests, and what an auditor computes from the log alone.
import type { ProoflineEvent } from '../../events-schema/index.ts';
import { voterClasses, type VoterClass } from '../../events-schema/governance/events.ts';

/** An event of the log with its LSN. */
export type LoggedEvent = { lsn: number; event: ProoflineEvent };

export type FoldedResults = {
  status: 'open' | 'closed';
  totals: Record<string, number>;
  weighted: Record<string, number>;
  byClass: Record<VoterClass, Record<string, number>>;
  votes: number;
  /** Votes recorded after the decision's close: not counted. */
  lateVotes: number;
};

/**
 * Results per decision. A vote counts only if its LSN is below its decision's close (the first, should there
 * be two); the order of `log` does not matter, as in the read model.
 */
export function foldDecisionResults(log: readonly LoggedEvent[]): Map<string, FoldedResults> {
  const results = new Map<string, FoldedResults>();
  const closedAt = new Map<string, number>();
  for (const { lsn, event } of log) {
    if (event.type === 'DecisionCreated') {
      const zeroes = () => Object.fromEntries(event.data.options.map((option) => [option, 0]));
      results.set(event.data.decisionId, {
        status: 'open',
        totals: zeroes(),
        weighted: zeroes(),
        byClass: Object.fromEntries(voterClasses.map((voterClass) => [voterClass, zeroes()])) as FoldedResults['byClass'],
        votes: 0,
        lateVotes: 0,
      });
    } else if (event.type === 'DecisionClosed') {
      closedAt.set(event.data.decisionId, Math.min(lsn, closedAt.get(event.data.decisionId) ?? Infinity));
    }
  }
  for (const [decisionId, decision] of results) if (closedAt.has(decisionId)) decision.status = 'closed';
  for (const { lsn, event } of log) {
    if (event.type !== 'VoteCast') continue;
    const { data } = event;
    const decision = results.get(data.decisionId);
    if (!decision) continue;
    if (lsn > (closedAt.get(data.decisionId) ?? Infinity)) {
      decision.lateVotes += 1;
      continue;
    }
    decision.totals[data.option] = (decision.totals[data.option] ?? 0) + 1;
    decision.weighted[data.option] = (decision.weighted[data.option] ?? 0) + data.weight;
    decision.byClass[data.voterClass][data.option] = (decision.byClass[data.voterClass][data.option] ?? 0) + 1;
    decision.votes += 1;
  }
  return results;
}
