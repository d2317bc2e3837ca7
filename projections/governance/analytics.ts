// The governance read model as analysts query it (schema `analytics`, see runtime/analytics-views.ts): the
// same counts as GET /v1/decisions/:id/results (queries.ts decisionResults), one row per option.
import type { AnalyticsView } from '../projection.ts';

// deadlinePassed (events-schema/governance/rules.ts), in SQL: closed from closes_at on, recorded or not.
const status = `case when d.status = 'closed' or d.closes_at <= now() then 'closed' else 'open' end`;

const decisions: AnalyticsView = {
  name: 'governance_decisions',
  comment: 'One row per decision put to a vote, with its status now and how many votes count.',
  columns: {
    decision_id: 'The decision id.',
    title: 'Its title.',
    status: 'open, or closed (closed by a convener, or its closing time has passed).',
    closes_at: 'When it stops taking votes; null for no deadline.',
    created_at: 'When it was opened.',
    closed_at: 'When its close was recorded; null until then.',
    closed_reason: 'Why it was closed, as recorded; null while open.',
    option_count: 'How many options it offers.',
    votes: 'Votes counted (late votes excluded).',
    late_votes: 'Votes recorded after its close, not counted.',
    citizen_weight: 'Weight of one citizen vote in force when it opened.',
    expert_weight: 'Weight of one expert vote in force when it opened.',
    community_weight: 'Weight of one community vote in force when it opened.',
    created_lsn: 'Log sequence number of its creation (orders decisions).',
  },
  select: `
    select d.decision_id, d.title, ${status}, d.closes_at, d.created_at, d.closed_at, d.closed_reason,
           jsonb_array_length(d.options),
           coalesce((select sum(t.votes) from decision_tallies t where t.decision_id = d.decision_id), 0)::bigint,
           d.late_votes, (d.weights ->> 'citizen')::numeric, (d.weights ->> 'expert')::numeric, (d.weights ->> 'community')::numeric,
           d.created_lsn
      from decisions d`,
};

const results: AnalyticsView = {
  name: 'governance_decision_results',
  comment: 'One row per option of each decision: its votes, weighted and by voter class (late votes excluded), as the results API counts them.',
  columns: {
    decision_id: 'The decision id.',
    option_position: 'The option’s place in the decision’s list, from 1.',
    option: 'The option.',
    votes: 'Votes counted for it.',
    weighted_votes: 'Σ of those votes’ weights (citizen, expert and community weights of the decision).',
    citizen_votes: 'Votes of citizens for it.',
    expert_votes: 'Votes of experts for it.',
    community_votes: 'Votes of community representatives for it.',
    status: 'The decision’s status now: open or closed.',
  },
  select: `
    select d.decision_id, o.position, o.option,
           coalesce(sum(t.votes), 0)::bigint, coalesce(sum(t.weight_sum), 0)::bigint,
           coalesce(sum(t.votes) filter (where t.voter_class = 'citizen'), 0)::bigint,
           coalesce(sum(t.votes) filter (where t.voter_class = 'expert'), 0)::bigint,
           coalesce(sum(t.votes) filter (where t.voter_class = 'community'), 0)::bigint,
           ${status}
      from decisions d
      cross join lateral jsonb_array_elements_text(d.options) with ordinality as o(option, position)
      left join decision_tallies t on t.decision_id = d.decision_id and t.option = o.option
     group by d.decision_id, d.status, d.closes_at, o.position, o.option`,
};

export const governanceAnalyticsViews: readonly AnalyticsView[] = [decisions, results];
