// The workplace read model from workplace events: companies, score tallies, engagements, certifications
// and the public watch list. Submissions of one batch are summed in memory and added in one statement.
import { workplaceEventTypes, type SubmissionScored, type WorkplaceEvent } from '../../events-schema/workplace/events.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection, type ProjectedEvent } from '../projection.ts';
import { workplaceAnalyticsViews } from './analytics.ts';
import { workplaceMigrations } from './migrations.ts';

export const WORKPLACE_PROJECTION = 'workplace';

type Tally = { submissions: number; mq: number; ce: number; fe: number; tr: number; gd: number; overall: bigint; squares: bigint };
type Data<T extends WorkplaceEvent['type']> = Extract<WorkplaceEvent, { type: T }>['data'];

export const workplaceProjection: Projection<WorkplaceEvent> = {
  name: WORKPLACE_PROJECTION,
  canHandle: workplaceEventTypes,
  migrations: workplaceMigrations,
  analyticsViews: workplaceAnalyticsViews,
  async applyBatch(events, trx) {
    const tallies = new Map<string, Tally>();
    for (const projected of events) {
      const { event } = projected;
      switch (event.type) {
        case 'SubmissionScored':
          addToTally(tallies, event.data);
          break;
        case 'CompanyRegistered':
          await trx('companies').insert({
            company_id: event.data.companyId,
            name: event.data.name,
            registered_at: new Date(event.data.registeredAt),
            registered_lsn: projected.lsn,
          });
          break;
        case 'EngagementInitiated':
          await initiateEngagement(trx, projected, event.data);
          break;
        case 'CertificationIssued':
          await certify(trx, projected, event.data);
          break;
        case 'CompanyWatchListed':
          await watchList(trx, projected, event.data);
          break;
        case 'CompanyDelisted':
          await trx('watch_list').where({ company_id: event.data.companyId }).delete();
          await trx('watch_list_history')
            .where({ company_id: event.data.companyId })
            .whereNull('removed_at')
            .update({ removed_at: new Date(event.data.delistedAt), removal_reason: event.data.reason, removed_lsn: projected.lsn });
          break;
        default:
          unhandledEvent(event);
      }
    }
    await addTallies(trx, tallies);
  },
};

function addToTally(tallies: Map<string, Tally>, data: SubmissionScored['data']) {
  const tally = tallies.get(data.companyId) ?? { submissions: 0, mq: 0, ce: 0, fe: 0, tr: 0, gd: 0, overall: 0n, squares: 0n };
  tally.submissions += 1;
  tally.mq += data.managementQuality;
  tally.ce += data.cultureEnvironment;
  tally.fe += data.fairnessEquity;
  tally.tr += data.transparency;
  tally.gd += data.growthDevelopment;
  tally.overall += BigInt(data.overallScore);
  tally.squares += BigInt(data.overallScore) ** 2n;
  tallies.set(data.companyId, tally);
}

async function addTallies(trx: SqlTransaction, tallies: Map<string, Tally>) {
  if (tallies.size === 0) return;
  // Sorted keys: two workers adding to the same rows lock them in the same order, so never deadlock.
  const ids = [...tallies.keys()].sort();
  const column = (pick: (tally: Tally) => number | bigint) => ids.map((id) => String(pick(tallies.get(id)!)));
  await trx.raw(
    `insert into company_scores (company_id, submissions, sum_management_quality, sum_culture_environment, sum_fairness_equity,
                                 sum_transparency, sum_growth_development, sum_overall, sum_overall_squares)
     select * from unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::numeric[])
     on conflict (company_id) do update set
       submissions = company_scores.submissions + excluded.submissions,
       sum_management_quality = company_scores.sum_management_quality + excluded.sum_management_quality,
       sum_culture_environment = company_scores.sum_culture_environment + excluded.sum_culture_environment,
       sum_fairness_equity = company_scores.sum_fairness_equity + excluded.sum_fairness_equity,
       sum_transparency = company_scores.sum_transparency + excluded.sum_transparency,
       sum_growth_development = company_scores.sum_growth_development + excluded.sum_growth_development,
       sum_overall = company_scores.sum_overall + excluded.sum_overall,
       sum_overall_squares = company_scores.sum_overall_squares + excluded.sum_overall_squares`,
    [
      ids,
      column((t) => t.submissions),
      column((t) => t.mq),
      column((t) => t.ce),
      column((t) => t.fe),
      column((t) => t.tr),
      column((t) => t.gd),
      column((t) => t.overall),
      column((t) => t.squares),
    ],
  );
}

// The company-stream events below follow their registration in the same stream, so it was applied first:
// a missing company is an inconsistency, and the event is refused (its stream parks).
async function requireCompany(trx: SqlTransaction, projected: ProjectedEvent<WorkplaceEvent>, companyId: string) {
  const company = await trx('companies').where({ company_id: companyId }).first('company_id');
  if (!company) throw new Error(`${projected.event.type} at LSN ${projected.lsn} for unknown company ${companyId}`);
}

async function initiateEngagement(trx: SqlTransaction, projected: ProjectedEvent<WorkplaceEvent>, data: Data<'EngagementInitiated'>) {
  await requireCompany(trx, projected, data.companyId);
  await trx('engagements').insert({
    company_id: data.companyId,
    engagement_number: data.engagementNumber,
    status: 'pending',
    initiated_at: new Date(data.initiatedAt),
    deadline: new Date(data.deadline),
    overall_score: data.overallScore,
    sample_size: data.sampleSize,
  });
}

async function answerEngagement(trx: SqlTransaction, projected: ProjectedEvent<WorkplaceEvent>, companyId: string, engagementNumber: number, status: string, at: number) {
  const updated = await trx('engagements')
    .where({ company_id: companyId, engagement_number: engagementNumber, status: 'pending' })
    .update({ status, answered_at: new Date(at) });
  if (updated === 0) throw new Error(`${projected.event.type} at LSN ${projected.lsn}: engagement ${engagementNumber} of ${companyId} is not pending`);
}

async function certify(trx: SqlTransaction, projected: ProjectedEvent<WorkplaceEvent>, data: Data<'CertificationIssued'>) {
  await answerEngagement(trx, projected, data.companyId, data.engagementNumber, 'certified', data.issuedAt);
  await trx('certifications').insert({
    company_id: data.companyId,
    engagement_number: data.engagementNumber,
    level: data.level,
    fee_minor: data.feeMinor,
    currency: data.currency,
    issued_at: new Date(data.issuedAt),
  });
}

async function watchList(trx: SqlTransaction, projected: ProjectedEvent<WorkplaceEvent>, data: Data<'CompanyWatchListed'>) {
  if (data.engagementNumber === null) await requireCompany(trx, projected, data.companyId);
  else await answerEngagement(trx, projected, data.companyId, data.engagementNumber, data.reason === 'declined' ? 'declined' : 'expired', data.listedAt);
  // Listed again while listed (an engagement answered on a listed company): the reason is the latest,
  // the date the first, as the company decider keeps it.
  await trx.raw(
    `insert into watch_list (company_id, reason, since, overall_score_at_listing, sample_size_at_listing, listed_lsn)
     values (?, ?, ?, ?, ?, ?)
     on conflict (company_id) do update set reason = excluded.reason, overall_score_at_listing = excluded.overall_score_at_listing,
       sample_size_at_listing = excluded.sample_size_at_listing, listed_lsn = excluded.listed_lsn`,
    [data.companyId, data.reason, new Date(data.listedAt), data.overallScore, data.sampleSize, projected.lsn],
  );
  await trx('watch_list_history').insert({
    listed_lsn: projected.lsn,
    company_id: data.companyId,
    reason: data.reason,
    engagement_number: data.engagementNumber,
    overall_score_at_listing: data.overallScore,
    sample_size_at_listing: data.sampleSize,
    listed_at: new Date(data.listedAt),
  });
}
