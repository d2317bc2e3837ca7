// What analysts ask of the governance read model: one decision's results, and the list of decisions.
import { voterClasses, type VoterClass } from '../../events-schema/governance/events.ts';
import type { DecisionResults, DecisionStatus, DecisionSummary } from '../../ports/read-models/governance.ts';
import type { Sql } from '../../ports/sql.ts';
import { deadlinePassed } from '../../events-schema/governance/rules.ts';
import { keysetCursor } from '../cursor.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { GOVERNANCE_PROJECTION } from './governance-projection.ts';

const schema = projectionSchema(GOVERNANCE_PROJECTION);

type DecisionRow = {
  decision_id: string;
  title: string;
  options: string[];
  status: string;
  closes_at: Date | null;
  created_lsn: number;
  late_votes: number;
};

/** A decision whose deadline has passed takes no more votes, whether or not its close was recorded yet. */
function statusAt(row: DecisionRow, now: number): DecisionStatus {
  return row.status === 'closed' || deadlinePassed(row.closes_at?.getTime() ?? null, now) ? 'closed' : 'open';
}

export async function decisionResults(knex: Sql, decisionId: string, now = Date.now()): Promise<DecisionResults | null> {
  const row = await knex.withSchema(schema).table<DecisionRow>('decisions').where({ decision_id: decisionId }).first();
  if (!row) return null;
  const tallies = await knex
    .withSchema(schema)
    .table('decision_tallies')
    .where({ decision_id: decisionId })
    .select<Array<{ option: string; voter_class: VoterClass; votes: number; weight_sum: number }>>('option', 'voter_class', 'votes', 'weight_sum');

  const zeroes = () => Object.fromEntries(row.options.map((option: string) => [option, 0])) as Record<string, number>;
  const results: DecisionResults = {
    decisionId,
    title: row.title,
    status: statusAt(row, now),
    closesAt: row.closes_at?.toISOString() ?? null,
    totals: zeroes(),
    weighted: zeroes(),
    byClass: Object.fromEntries(voterClasses.map((voterClass) => [voterClass, zeroes()])) as DecisionResults['byClass'],
    votes: 0,
    lateVotes: row.late_votes,
  };
  for (const tally of tallies) {
    results.totals[tally.option] = (results.totals[tally.option] ?? 0) + tally.votes;
    results.weighted[tally.option] = (results.weighted[tally.option] ?? 0) + tally.weight_sum;
    results.byClass[tally.voter_class][tally.option] = (results.byClass[tally.voter_class][tally.option] ?? 0) + tally.votes;
    results.votes += tally.votes;
  }
  return results;
}

/** Newest first, keyset-paged by the LSN of each decision's creation (the cursor is opaque to clients). */
export async function listDecisions(
  knex: Sql,
  options: { status?: DecisionStatus; limit: number; cursor?: string },
  now = Date.now(),
): Promise<{ decisions: DecisionSummary[]; nextCursor: string | null }> {
  const query = knex
    .withSchema(schema)
    .from('decisions as d')
    .select('d.decision_id', 'd.title', 'd.options', 'd.status', 'd.closes_at', 'd.created_at', 'd.created_lsn')
    .select(knex.raw(`coalesce((select sum(t.votes) from ??.decision_tallies t where t.decision_id = d.decision_id), 0)::bigint as votes`, [schema]))
    .orderBy('d.created_lsn', 'desc')
    .limit(options.limit + 1);
  if (options.cursor) query.where('d.created_lsn', '<', decisionCursor.decode(options.cursor));
  // deadlinePassed, in SQL: closed from closes_at on.
  if (options.status === 'closed') {
    query.where((q) => q.where('d.status', 'closed').orWhere('d.closes_at', '<=', new Date(now)));
  } else if (options.status === 'open') {
    query.where('d.status', 'open').andWhere((q) => q.whereNull('d.closes_at').orWhere('d.closes_at', '>', new Date(now)));
  }
  const rows = (await query) as Array<DecisionRow & { created_at: Date; votes: number }>;
  const page = rows.slice(0, options.limit);
  return {
    decisions: page.map((row) => ({
      decisionId: row.decision_id,
      title: row.title,
      status: statusAt(row, now),
      closesAt: row.closes_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(),
      votes: Number(row.votes),
    })),
    nextCursor: rows.length > options.limit ? decisionCursor.encode(page[page.length - 1]!.created_lsn) : null,
  };
}

const decisionCursor = keysetCursor('lsn');
