// The workplace read model as analysts query it (schema `analytics`, see runtime/analytics-views.ts). Scores
// are stored in integer hundredths of a point; here they are `numeric(5,2)` points, rounded as the HTTP API
// rounds them (score-statistics.ts: half up, from the integer sums). Fees stay integer minor units (cents).
import { MINIMUM_SAMPLE_SIZE } from '../../events-schema/workplace/rules.ts';
import type { AnalyticsView } from '../projection.ts';

/** mean of an integer sum over n, in points with two decimals, rounded half up (as meanInHundredths). */
const meanPoints = (sum: string, scale: string) => `(round(${sum}::numeric * ${scale} / s.submissions) / 100)::numeric(5,2)`;
const published = `s.submissions >= ${MINIMUM_SAMPLE_SIZE}`;
const publishedMean = (sum: string, scale: string) => `case when ${published} then ${meanPoints(sum, scale)} end`;

const companyScores: AnalyticsView = {
  name: 'workplace_company_scores',
  comment: `One row per registered company: its published score (from ${MINIMUM_SAMPLE_SIZE} submissions on, as GET /v1/companies/:id/score shows it) and whether it is on the watch list now.`,
  columns: {
    company_id: 'The company id.',
    company_name: 'The name it was registered with.',
    registered_at: 'When it was registered.',
    sample_size: 'Scored submissions so far.',
    score_status: `published (from ${MINIMUM_SAMPLE_SIZE} submissions on) or insufficient_data.`,
    overall_score_points: 'Mean overall score in points, 0 to 100, two decimals (rounded half up); null until published.',
    management_quality_points: 'Mean management quality score in points (weight 30 %); null until published.',
    culture_environment_points: 'Mean culture and environment score in points (weight 25 %); null until published.',
    fairness_equity_points: 'Mean fairness and equity score in points (weight 20 %); null until published.',
    transparency_points: 'Mean transparency score in points (weight 15 %); null until published.',
    growth_development_points: 'Mean growth and development score in points (weight 10 %); null until published.',
    on_watch_list: 'Whether the company is on the public watch list now.',
  },
  select: `
    select c.company_id, c.name, c.registered_at, coalesce(s.submissions, 0)::bigint,
           case when coalesce(s.submissions, 0) >= ${MINIMUM_SAMPLE_SIZE} then 'published' else 'insufficient_data' end,
           ${publishedMean('s.sum_overall', '1')},
           ${publishedMean('s.sum_management_quality', '100')},
           ${publishedMean('s.sum_culture_environment', '100')},
           ${publishedMean('s.sum_fairness_equity', '100')},
           ${publishedMean('s.sum_transparency', '100')},
           ${publishedMean('s.sum_growth_development', '100')},
           exists (select 1 from watch_list w where w.company_id = c.company_id)
      from companies c left join company_scores s on s.company_id = c.company_id`,
};

const watchListHistory: AnalyticsView = {
  name: 'watch_list_history',
  comment:
    'One row per watch listing of a company, with its removal once it is delisted. A company listed again while listed has one row per listing; a removal closes all of them. Empty for listings older than the workplace read model’s last rebuild if it predates this history.',
  columns: {
    company_id: 'The company id.',
    company_name: 'The company’s registered name.',
    listing_reason: 'Why it was listed: declined, no_response (engagement deadline passed) or low_score.',
    engagement_number: 'The engagement the listing answered (declined, no_response); null for a low_score listing.',
    overall_score_at_listing_points: 'The overall score in points (two decimals) the listing rested on.',
    sample_size_at_listing: 'The number of submissions behind that score.',
    listed_at: 'When it was listed.',
    removed_at: 'When it was removed from the watch list; null while still listed.',
    removal_reason: 'Why it was removed: certified or admin; null while still listed.',
    still_listed: 'True while this listing has not been removed.',
    listed_lsn: 'Log sequence number of the listing event (orders listings; audit with GET /v1/log).',
    removed_lsn: 'Log sequence number of the removal event; null while still listed.',
  },
  select: `
    select h.company_id, c.name, h.reason, h.engagement_number, (h.overall_score_at_listing / 100.0)::numeric(5,2),
           h.sample_size_at_listing, h.listed_at, h.removed_at, h.removal_reason, h.removed_at is null, h.listed_lsn, h.removed_lsn
      from watch_list_history h left join companies c on c.company_id = h.company_id`,
};

const engagements: AnalyticsView = {
  name: 'workplace_engagements',
  comment: 'One row per engagement offered to a company (60 days to answer), with its outcome.',
  columns: {
    company_id: 'The company id.',
    engagement_number: 'Its number for the company, from 1.',
    status: 'pending, certified, declined or expired.',
    initiated_at: 'When it was offered.',
    deadline_at: 'When it expires unanswered.',
    answered_at: 'When it was certified, declined or expired; null while pending.',
    overall_score_at_initiation_points: 'The overall score in points (two decimals) when it was offered.',
    sample_size_at_initiation: 'The number of submissions behind that score.',
  },
  select: `
    select company_id, engagement_number, status, initiated_at, deadline, answered_at, (overall_score / 100.0)::numeric(5,2), sample_size
      from engagements`,
};

const certifications: AnalyticsView = {
  name: 'workplace_certifications',
  comment: 'One row per certification issued (an engagement answered by paying for a level).',
  columns: {
    company_id: 'The company id.',
    engagement_number: 'The engagement it answered.',
    level: 'bronze, silver, gold or platinum.',
    fee_minor_units: 'The fee in minor units of the currency (US cents for USD): 3500000 is 35,000.00.',
    fee_major_units: 'The fee in units of the currency (US dollars for USD), two decimals: fee_minor_units / 100.',
    currency: 'ISO 4217 code of the fee (USD).',
    issued_at: 'When it was issued.',
  },
  select: `
    select company_id, engagement_number, level, fee_minor, (fee_minor / 100.0)::numeric(20,2), currency, issued_at
      from certifications`,
};

export const workplaceAnalyticsViews: readonly AnalyticsView[] = [companyScores, watchListHistory, engagements, certifications];
