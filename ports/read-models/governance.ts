// What the governance read model answers (computed by projections/governance/queries.ts).
import type { VoterClass } from '../../events-schema/governance/events.ts';

export type DecisionStatus = 'open' | 'closed';

export type DecisionResults = {
  decisionId: string;
  title: string;
  status: DecisionStatus;
  closesAt: string | null;
  totals: Record<string, number>;
  weighted: Record<string, number>;
  byClass: Record<VoterClass, Record<string, number>>;
  votes: number;
  /** Votes recorded after the decision's close (a race with the close): in the log, never counted. */
  lateVotes: number;
};

export type DecisionSummary = { decisionId: string; title: string; status: DecisionStatus; closesAt: string | null; createdAt: string; votes: number };

export type GovernanceQueries = {
  /** One decision's results; null when the decision is not in the read model (yet). */
  decisionResults(decisionId: string): Promise<DecisionResults | null>;
  /** Newest first, keyset-paged (the cursor is opaque to clients; one not handed out is an InvalidCursorError). */
  listDecisions(options: { status?: DecisionStatus; limit: number; cursor?: string }): Promise<{ decisions: DecisionSummary[]; nextCursor: string | null }>;
};
