// The workplace read model on its own, against a real PostgreSQL: what each event does to its tables, what
// is parked, and what the queries answer.
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { projectionSpec } from '../testing/projection-spec.ts';
import { InvalidCursorError } from '../cursor.ts';
import { certifications, companyScore, dueEngagements, engagements, scoreForCommands, watchList } from './queries.ts';
import { certified, delisted, initiated, registered, scored, T0, uniformScores, watchListed } from './workplace-events.fixture.ts';
import { workplaceProjection } from './workplace-projection.ts';

let testbed: ProjectionTestbed;
beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed?.close());

const spec = () => projectionSpec(workplaceProjection, testbed);
const DAY = 86_400_000;

const scoreRows = (trx: Knex.Transaction) =>
  trx('company_scores')
    .select('company_id')
    .select(
      trx.raw('submissions::int as submissions'),
      trx.raw('sum_management_quality::int as mq'),
      trx.raw('sum_growth_development::int as gd'),
      trx.raw('sum_overall::int as overall'),
      trx.raw('sum_overall_squares::text as squares'),
    )
    .orderBy('company_id');

const historyRows = (trx: Knex.Transaction) =>
  trx('watch_list_history')
    .select('company_id', 'reason', 'engagement_number', 'listed_at', 'removed_at', 'removal_reason', trx.raw('removed_lsn is not null as removed'))
    .orderBy('listed_lsn');

describe('workplace projection: tables', () => {
  it('adds submissions to the company tally, across batches, before and after the registration (other partitions)', async () => {
    await spec()
      .given(scored('acme', 'p1', uniformScores(50)), scored('acme', 'p2', { ...uniformScores(0), managementQuality: 100 }))
      .when(registered('acme'), scored('acme', 'p3', uniformScores(70)), scored('globex', 'p1', uniformScores(10)))
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await scoreRows(trx)).toEqual([
          // overall: 5000 + 3000 + 7000; squares: 25e6 + 9e6 + 49e6
          { company_id: 'acme', submissions: 3, mq: 220, gd: 120, overall: 15000, squares: '83000000' },
          { company_id: 'globex', submissions: 1, mq: 10, gd: 10, overall: 1000, squares: '1000000' },
        ]);
        expect(await trx('companies').select('company_id', 'name')).toEqual([{ company_id: 'acme', name: 'Company acme' }]);
      });
  });

  it('records an engagement, its certification, and no watch-list entry', async () => {
    await spec()
      .given(registered('acme'), initiated('acme'))
      .when(certified('acme', { level: 'platinum', feeMinor: 7_500_000 }))
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await trx('engagements').select('company_id', 'engagement_number', 'status', 'deadline', 'answered_at')).toEqual([
          { company_id: 'acme', engagement_number: 1, status: 'certified', deadline: new Date(T0 + 61 * DAY), answered_at: new Date(T0 + 2 * DAY) },
        ]);
        expect(await trx('certifications').select('level', trx.raw('fee_minor::int as fee_minor'), 'currency')).toEqual([
          { level: 'platinum', fee_minor: 7_500_000, currency: 'USD' },
        ]);
        expect(await trx('watch_list').select()).toEqual([]);
      });
  });

  it('lists a company that declined or let the deadline pass, keeps the first date when listed again, and delists it', async () => {
    await spec()
      .given(registered('acme'), initiated('acme'), watchListed('acme', { reason: 'declined', listedAt: T0 + 3 * DAY }))
      .when(
        initiated('acme', { engagementNumber: 2, initiatedAt: T0 + 10 * DAY }),
        watchListed('acme', { reason: 'no_response', engagementNumber: 2, listedAt: T0 + 70 * DAY, overallScore: 3300 }),
      )
      .then(async (trx) => {
        expect(await trx('engagements').select('engagement_number', 'status').orderBy('engagement_number')).toEqual([
          { engagement_number: 1, status: 'declined' },
          { engagement_number: 2, status: 'expired' },
        ]);
        expect(await trx('watch_list').select('company_id', 'reason', 'since', 'overall_score_at_listing')).toEqual([
          { company_id: 'acme', reason: 'no_response', since: new Date(T0 + 3 * DAY), overall_score_at_listing: 3300 },
        ]);
        // The history keeps both listings, open.
        expect(await historyRows(trx)).toEqual([
          { company_id: 'acme', reason: 'declined', engagement_number: 1, listed_at: new Date(T0 + 3 * DAY), removed_at: null, removal_reason: null, removed: false },
          { company_id: 'acme', reason: 'no_response', engagement_number: 2, listed_at: new Date(T0 + 70 * DAY), removed_at: null, removal_reason: null, removed: false },
        ]);
      });
    await spec()
      .given(registered('acme'), watchListed('acme', { reason: 'low_score', engagementNumber: null }))
      .when(delisted('acme', { delistedAt: T0 + 9 * DAY }), watchListed('acme', { reason: 'low_score', engagementNumber: null, listedAt: T0 + 20 * DAY }))
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await trx('watch_list').select('company_id', 'since')).toEqual([{ company_id: 'acme', since: new Date(T0 + 20 * DAY) }]);
        // A removal closes the listing it ends and no later one.
        expect(await historyRows(trx)).toEqual([
          { company_id: 'acme', reason: 'low_score', engagement_number: null, listed_at: expect.any(Date), removed_at: new Date(T0 + 9 * DAY), removal_reason: 'admin', removed: true },
          { company_id: 'acme', reason: 'low_score', engagement_number: null, listed_at: new Date(T0 + 20 * DAY), removed_at: null, removal_reason: null, removed: false },
        ]);
      });
  });

  it('parks company events of an unknown company, or answering an engagement that is not pending, and nothing else', async () => {
    await spec()
      .given(registered('acme'))
      .when(initiated('ghost'), scored('acme', 'p1', uniformScores(40)), certified('acme'))
      .thenParked([
        { streamId: 'company-acme', type: 'CertificationIssued', error: 'engagement 1 of acme is not pending' },
        { streamId: 'company-ghost', type: 'EngagementInitiated', error: 'unknown company ghost' },
      ]);
    await spec()
      .given(registered('acme'))
      .when(initiated('ghost'), scored('acme', 'p1', uniformScores(40)))
      .then(async (trx) => expect(await scoreRows(trx)).toMatchObject([{ company_id: 'acme', submissions: 1 }]));
  });
});

// The queries read the live schema `projection_workplace`, so these tests apply batches under the real name.
describe('workplace queries', () => {
  beforeEach(async () => {
    await testbed.dropProjection(workplaceProjection);
  });
  afterAll(async () => {
    await testbed.dropProjection(workplaceProjection);
  });

  const apply = async (...events: StreamEvent[]) => {
    const recorded = await testbed.append(events);
    const outcome = await testbed.applyBatch(workplaceProjection, recorded);
    expect(outcome.parked).toEqual([]);
    return recorded;
  };
  const knex = () => testbed.db.knex;

  it('companyScore: insufficient_data below 5 submissions, then published means and interval; null for an unknown company', async () => {
    await apply(registered('q1', { name: 'Quill' }), ...[50, 60, 70, 80].map((s, i) => scored('q1', `p${i}`, uniformScores(s))));
    expect(await companyScore(knex(), 'q1')).toEqual({ companyId: 'q1', name: 'Quill', status: 'insufficient_data', sampleSize: 4, minimumSampleSize: 5 });
    expect(await scoreForCommands(knex(), 'q1')).toEqual({ sampleSize: 4, overallScore: 6500 });

    await apply(scored('q1', 'p4', uniformScores(90)));
    expect(await companyScore(knex(), 'q1')).toEqual({
      companyId: 'q1',
      name: 'Quill',
      status: 'published',
      sampleSize: 5,
      overallScore: 70,
      components: { managementQuality: 70, cultureEnvironment: 70, fairnessEquity: 70, transparency: 70, growthDevelopment: 70 },
      confidenceInterval: { level: 0.95, lower: 50.37, upper: 89.63, marginOfError: 19.63 },
    });
    expect(await companyScore(knex(), 'nope')).toBeNull();
    expect(await scoreForCommands(knex(), 'nope')).toBeNull();
  });

  it('watchList: most recent first, with the current score (null until published) and the score at listing', async () => {
    await apply(
      registered('w1'),
      registered('w2'),
      ...[10, 20, 30, 40, 50].map((s, i) => scored('w1', `p${i}`, uniformScores(s))),
      watchListed('w1', { reason: 'low_score', engagementNumber: null, overallScore: 2900, listedAt: T0 + 5 * DAY }),
      initiated('w2'),
      watchListed('w2', { reason: 'no_response', listedAt: T0 + 61 * DAY }),
    );
    const everyone = [
      { companyId: 'w2', name: 'Company w2', reason: 'no_response', since: new Date(T0 + 61 * DAY).toISOString(), score: null, scoreAtListing: 35 },
      { companyId: 'w1', name: 'Company w1', reason: 'low_score', since: new Date(T0 + 5 * DAY).toISOString(), score: 30, scoreAtListing: 29 },
    ];
    expect(await watchList(knex(), { limit: 10 })).toEqual({ companies: everyone, nextCursor: null });
    const first = await watchList(knex(), { limit: 1 });
    expect(first.companies).toEqual([everyone[0]]);
    const second = await watchList(knex(), { limit: 1, cursor: first.nextCursor! });
    expect(second).toEqual({ companies: [everyone[1]], nextCursor: null });
    await expect(watchList(knex(), { limit: 1, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('certifications and engagements of a company, oldest first', async () => {
    await apply(
      registered('c1'),
      initiated('c1'),
      watchListed('c1', { reason: 'declined' }),
      initiated('c1', { engagementNumber: 2, initiatedAt: T0 + 10 * DAY }),
      certified('c1', { engagementNumber: 2, level: 'bronze', feeMinor: 500_000, issuedAt: T0 + 11 * DAY }),
    );
    expect(await certifications(knex(), 'c1')).toEqual([
      { engagementNumber: 2, level: 'bronze', fee: { amountMinor: 500_000, currency: 'USD' }, issuedAt: new Date(T0 + 11 * DAY).toISOString() },
    ]);
    expect((await engagements(knex(), 'c1')).map((e) => [e.engagementNumber, e.status, e.answeredAt])).toEqual([
      [1, 'declined', new Date(T0 + 3 * DAY).toISOString()],
      [2, 'certified', new Date(T0 + 11 * DAY).toISOString()],
    ]);
    expect(await certifications(knex(), 'none')).toEqual([]);
  });

  it('dueEngagements: pending ones whose deadline has come, earliest first, up to the limit', async () => {
    await apply(
      registered('d1'),
      registered('d2'),
      registered('d3'),
      registered('d4'),
      initiated('d1', { initiatedAt: T0 + 2 * DAY }),
      initiated('d2', { initiatedAt: T0 + 1 * DAY }),
      initiated('d3', { initiatedAt: T0 + 1 * DAY }),
      certified('d3'),
      initiated('d4', { initiatedAt: T0 + 30 * DAY }),
    );
    const deadline = (start: number) => T0 + start * DAY + 60 * DAY;
    expect(await dueEngagements(knex(), deadline(1) - 1, 10)).toEqual([]);
    expect(await dueEngagements(knex(), deadline(2), 10)).toEqual([
      { companyId: 'd2', engagementNumber: 1, deadline: deadline(1) },
      { companyId: 'd1', engagementNumber: 1, deadline: deadline(2) },
    ]);
    expect(await dueEngagements(knex(), deadline(30), 1)).toEqual([{ companyId: 'd2', engagementNumber: 1, deadline: deadline(1) }]);
    expect(await dueEngagements(knex(), deadline(30), 10)).toHaveLength(3);
    // The next page starts after the last one seen.
    const first = { companyId: 'd2', engagementNumber: 1, deadline: deadline(1) };
    expect(await dueEngagements(knex(), deadline(30), 1, first)).toEqual([{ companyId: 'd1', engagementNumber: 1, deadline: deadline(2) }]);
    expect(await dueEngagements(knex(), deadline(30), 10, { companyId: 'd4', engagementNumber: 1, deadline: deadline(30) })).toEqual([]);
  });
});
