// The impact read model as analysts query it (schema `analytics`, see runtime/analytics-views.ts). Tokens are
// integer micro-tokens (events-schema/impact/events.ts: 1 token = 1 000 000), XP whole points. The streak is
// the one GET /v1/players/:id gives (queries.ts streakDays).
import type { AnalyticsView } from '../projection.ts';

const players: AnalyticsView = {
  name: 'impact_players',
  comment: 'One row per player with a verified completion: XP, level, tier, token balance and current streak, as the player API gives them.',
  columns: {
    player_id: 'The player id.',
    xp: 'Experience points earned.',
    level: 'The level those points reach.',
    tier: 'The tier of that level.',
    token_balance_micro_tokens: 'Tokens held, in micro-tokens (1 token = 1000000).',
    quests_completed: 'Quests completed.',
    streak_days: 'Consecutive UTC days with a completion, ending at the latest such day.',
  },
  // Gaps and islands, as streakDays: along the days in descending order, day + position is constant in a run.
  select: `
    select p.player_id, p.xp, p.level, p.tier, p.tokens, p.quests_completed,
           coalesce((select count(*) from (select d.day + (row_number() over (order by d.day desc))::int as run
                                              from player_days d where d.player_id = p.player_id) runs
                      where runs.run = (select max(d.day) + 1 from player_days d where d.player_id = p.player_id)), 0)::int
      from players p`,
};

const quests: AnalyticsView = {
  name: 'impact_quests',
  comment: 'One row per quest, with its rewards and how many players completed it.',
  columns: {
    quest_id: 'The quest id.',
    title: 'Its title.',
    category: 'Its category.',
    zone_id: 'The zone it is set in.',
    region: 'The region of that zone.',
    difficulty: 'Its difficulty.',
    base_xp: 'XP it awards before multipliers.',
    token_reward_micro_tokens: 'Tokens it awards before the difficulty multiplier, in micro-tokens (1 token = 1000000).',
    opens_at: 'When it opens; null for at once.',
    closes_at: 'When it closes; null for no deadline.',
    witnesses_required: 'Witness approvals a submission needs.',
    status: 'open or closed.',
    created_at: 'When it was created.',
    closed_at: 'When it was closed; null while open.',
    completions: 'Verified completions.',
  },
  select: `
    select q.quest_id, q.title, q.category, q.zone_id, q.region, q.difficulty, q.base_xp, q.token_reward, q.opens_at, q.closes_at,
           q.witnesses_required, q.status, q.created_at, q.closed_at, coalesce(c.completions, 0)::bigint
      from quests q left join quest_completions c on c.quest_id = q.quest_id`,
};

const dailyMetrics: AnalyticsView = {
  name: 'impact_daily_metrics',
  comment: 'One row per region, quest category and UTC day: completions, XP and tokens awarded, distinct players (within that region).',
  columns: {
    region: 'The region.',
    category: 'The quest category.',
    completed_on: 'The UTC day.',
    completions: 'Verified completions.',
    xp: 'XP awarded.',
    tokens_micro_tokens: 'Tokens minted, in micro-tokens (1 token = 1000000).',
    distinct_players: 'Players who completed a quest (count them across regions from the players themselves, not by summing this).',
  },
  select: 'select region, category, day, completions, xp, tokens, distinct_players from daily_metrics',
};

export const impactAnalyticsViews: readonly AnalyticsView[] = [players, quests, dailyMetrics];
