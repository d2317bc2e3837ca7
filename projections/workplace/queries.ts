// What analysts, the public and the workplace commands ask of the workplace read model.
import type { Knex } from 'knex';
import type { CertificationLevel, WatchListReason } from '../../events-schema/workplace/events.ts';
import { keysetCursor } from '../cursor.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { meanOverallHundredths, summarizeScore, type ScoreSummary, type ScoreTally } from './score-statistics.ts';
import { WORKPLACE_PROJECTION } from './workplace-projection.ts';

const schema = projectionSchema(WORKPLACE_PROJECTION);

type ScoreRow = {
  submissions: string;
  sum_management_quality: string;
  sum_culture_environment: string;
  sum_fairness_equity: string;
  sum_transparency: string;
  sum_growth_development: string;
  sum_overall: string;
  sum_overall_squares: string;
};

const emptyTally: ScoreTally = {
  sampleSize: 0,
  componentSums: { managementQuality: 0, cultureEnvironment: 0, fairnessEquity: 0, transparency: 0, growthDevelopment: 0 },
  overallSum: 0n,
  overallSumOfSquares: 0n,
};

function tallyOf(row: ScoreRow | undefined): ScoreTally {
  if (!row) return emptyTally;
  return {
    sampleSize: Number(row.submissions),
    componentSums: {
      managementQuality: Number(row.sum_management_quality),
      cultureEnvironment: Number(row.sum_culture_environment),
      fairnessEquity: Number(row.sum_fairness_equity),
      transparency: Number(row.sum_transparency),
      growthDevelopment: Number(row.sum_growth_development),
    },
    overallSum: BigInt(row.sum_overall),
    overallSumOfSquares: BigInt(row.sum_overall_squares),
  };
}

const scoreColumns = [
  'submissions',
  'sum_management_quality',
  'sum_culture_environment',
  'sum_fairness_equity',
  'sum_transparency',
  'sum_growth_development',
  'sum_overall',
  'sum_overall_squares',
] as const;

async function scoreTally(knex: Knex, companyId: string): Promise<ScoreTally> {
  // As text: bigint and numeric sums must not pass through a float on their way to BigInt.
  const row = await knex
    .withSchema(schema)
    .table('company_scores')
    .where({ company_id: companyId })
    .first(scoreColumns.map((column) => knex.raw('??::text as ??', [column, column])));
  return tallyOf(row as ScoreRow | undefined);
}

export async function companyExists(knex: Knex, companyId: string): Promise<boolean> {
  return Boolean(await knex.withSchema(schema).table('companies').where({ company_id: companyId }).first('company_id'));
}

export type CompanyScore = { companyId: string; name: string } & ScoreSummary;

/** Null when the company's registration is not in the read model (yet). */
export async function companyScore(knex: Knex, companyId: string): Promise<CompanyScore | null> {
  const company = await knex.withSchema(schema).table('companies').where({ company_id: companyId }).first('name');
  if (!company) return null;
  return { companyId, name: company.name as string, ...summarizeScore(await scoreTally(knex, companyId)) };
}

/** The mean overall score (integer hundredths) and sample size, as an engagement command records it; null without submissions. */
export async function scoreForCommands(knex: Knex, companyId: string): Promise<{ sampleSize: number; overallScore: number } | null> {
  const tally = await scoreTally(knex, companyId);
  return tally.sampleSize === 0 ? null : { sampleSize: tally.sampleSize, overallScore: meanOverallHundredths(tally) };
}

export type WatchListEntry = {
  companyId: string;
  name: string | null;
  reason: WatchListReason;
  since: string;
  /** The current published overall score; null while fewer than the minimum sample size are in the read model. */
  score: number | null;
  /** The score the listing rested on. */
  scoreAtListing: number;
};

/** The public watch list, most recently listed first, with each company's current score (one query). */
const watchListCursor = keysetCursor('listed');

/** The public watch list, most recently listed first, keyset-paged by the LSN of each listing. */
export async function watchList(knex: Knex, options: { limit: number; cursor?: string }): Promise<{ companies: WatchListEntry[]; nextCursor: string | null }> {
  const query = knex
    .withSchema(schema)
    .from('watch_list as w')
    .leftJoin('companies as c', 'c.company_id', 'w.company_id')
    .leftJoin('company_scores as s', 's.company_id', 'w.company_id')
    .select('w.company_id', 'c.name', 'w.reason', 'w.since', 'w.overall_score_at_listing', 'w.listed_lsn')
    .select(scoreColumns.map((column) => knex.raw('s.??::text as ??', [column, column])))
    .orderBy('w.listed_lsn', 'desc')
    .limit(options.limit + 1);
  if (options.cursor) query.where('w.listed_lsn', '<', watchListCursor.decode(options.cursor));
  const rows = (await query) as Array<
    Partial<ScoreRow> & { company_id: string; name: string | null; reason: WatchListReason; since: Date; overall_score_at_listing: number; listed_lsn: string }
  >;
  const page = rows.slice(0, options.limit);
  const companies = page.map((row) => {
    const summary = summarizeScore(row.submissions === null || row.submissions === undefined ? emptyTally : tallyOf(row as ScoreRow));
    return {
      companyId: row.company_id,
      name: row.name,
      reason: row.reason,
      since: row.since.toISOString(),
      score: summary.status === 'published' ? summary.overallScore : null,
      scoreAtListing: row.overall_score_at_listing / 100,
    };
  });
  return { companies, nextCursor: rows.length > options.limit ? watchListCursor.encode(Number(page.at(-1)!.listed_lsn)) : null };
}

export type Certification = {
  engagementNumber: number;
  level: CertificationLevel;
  fee: { amountMinor: number; currency: string };
  issuedAt: string;
};

export async function certifications(knex: Knex, companyId: string): Promise<Certification[]> {
  const rows = (await knex
    .withSchema(schema)
    .table('certifications')
    .where({ company_id: companyId })
    .orderBy('engagement_number')
    .select('engagement_number', 'level', knex.raw('fee_minor::text as fee_minor'), 'currency', 'issued_at')) as Array<{
    engagement_number: number;
    level: CertificationLevel;
    fee_minor: string;
    currency: string;
    issued_at: Date;
  }>;
  return rows.map((row) => ({
    engagementNumber: row.engagement_number,
    level: row.level,
    fee: { amountMinor: Number(row.fee_minor), currency: row.currency },
    issuedAt: row.issued_at.toISOString(),
  }));
}

export type EngagementStatus = 'pending' | 'certified' | 'declined' | 'expired';
export type Engagement = {
  engagementNumber: number;
  status: EngagementStatus;
  initiatedAt: string;
  deadline: string;
  answeredAt: string | null;
  scoreAtInitiation: number;
  sampleSize: number;
};

export async function engagements(knex: Knex, companyId: string): Promise<Engagement[]> {
  const rows = (await knex.withSchema(schema).table('engagements').where({ company_id: companyId }).orderBy('engagement_number').select()) as Array<{
    engagement_number: number;
    status: EngagementStatus;
    initiated_at: Date;
    deadline: Date;
    answered_at: Date | null;
    overall_score: number;
    sample_size: number;
  }>;
  return rows.map((row) => ({
    engagementNumber: row.engagement_number,
    status: row.status,
    initiatedAt: row.initiated_at.toISOString(),
    deadline: row.deadline.toISOString(),
    answeredAt: row.answered_at?.toISOString() ?? null,
    scoreAtInitiation: row.overall_score / 100,
    sampleSize: row.sample_size,
  }));
}

/** Pending engagements whose deadline is at or before `now`, earliest first (the deadline process's port). */
export async function dueEngagements(
  knex: Knex,
  now: number,
  limit: number,
  after?: { companyId: string; engagementNumber: number; deadline: number },
): Promise<Array<{ companyId: string; engagementNumber: number; deadline: number }>> {
  const query = knex
    .withSchema(schema)
    .table('engagements')
    .where('status', 'pending')
    .andWhere('deadline', '<=', new Date(now));
  if (after) {
    query.andWhereRaw('(deadline, company_id, engagement_number) > (?, ?, ?)', [new Date(after.deadline), after.companyId, after.engagementNumber]);
  }
  const rows = (await query
    .orderBy([{ column: 'deadline' }, { column: 'company_id' }, { column: 'engagement_number' }])
    .limit(limit)
    .select('company_id', 'engagement_number', 'deadline')) as Array<{ company_id: string; engagement_number: number; deadline: Date }>;
  return rows.map((row) => ({ companyId: row.company_id, engagementNumber: row.engagement_number, deadline: row.deadline.getTime() }));
}
