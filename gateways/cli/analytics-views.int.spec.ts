// The analyst's SQL contract, against a real PostgreSQL: the views of schema `analytics` that the projection
// workers install are all documented, give the values the HTTP API's queries give, are readable — and nothing
// else is — by the role `proofline analyst-role create` makes, and still answer (an analyst's own view on
// them too) after each projection is rebuilt.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlBilled, CrawlRefunded } from '../../events-schema/crawl/events.ts';
import { runProofline } from '../../infra/testing/process.ts';
import { escrowOf } from '../../projections/crawl/queries.ts';
import { decisionResults } from '../../projections/governance/queries.ts';
import { openDatabase } from '../../infra/db/database.ts';
import { createTestDatabase } from '../../infra/testing/postgres.ts';
import { ensureProjectionSchema, rebuildProjection } from '../../projections/runtime/index.ts';
import { decisionClosed, decisionCreated, voteCast } from '../../projections/testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../../projections/testing/projection-testbed.ts';
import { certifications, companyScore, watchList } from '../../projections/workplace/queries.ts';
import { certified, delisted, initiated, registered, scored, T0, uniformScores, watchListed } from '../../projections/workplace/workplace-events.fixture.ts';
import { workplaceProjection } from '../../projections/workplace/workplace-projection.ts';
import { projections } from '../contexts/index.ts';
import { ANALYST_ROLE } from './analyst-role.ts';

const DAY = 86_400_000;
/** Every projection that declares views (those without data still install theirs). */
const withViews = projections.filter((projection) => (projection.analyticsViews ?? []).length > 0);

// ---------------------------------------------------------------------------------------------------------
// A little of every context that has views.

const workplaceEvents: StreamEvent[] = [
  registered('acme'),
  ...['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((who, i) => scored('acme', who, { ...uniformScores(30 + i), growthDevelopment: 33 + 2 * i })),
  registered('globex'),
  scored('globex', 'p1', uniformScores(80)),
  registered('initech'),
  ...['p1', 'p2', 'p3', 'p4', 'p5'].map((who) => scored('initech', who, uniformScores(70))),
  initiated('initech', { overallScore: 7000 }),
  certified('initech', { level: 'gold', feeMinor: 3_500_000 }),
  // acme: listed for a low score, delisted by an admin, listed again after declining an engagement.
  watchListed('acme', { reason: 'low_score', engagementNumber: null, overallScore: 3250, sampleSize: 6, listedAt: T0 + 3 * DAY }),
  delisted('acme', { reason: 'admin', delistedAt: T0 + 5 * DAY }),
  initiated('acme', { engagementNumber: 1, initiatedAt: T0 + 6 * DAY, overallScore: 3250, sampleSize: 6 }),
  watchListed('acme', { reason: 'declined', engagementNumber: 1, overallScore: 3250, sampleSize: 6, listedAt: T0 + 7 * DAY }),
];

const governanceEvents: StreamEvent[] = [
  { streamId: 'decision-park', event: decisionCreated('park', { options: ['yes', 'no', 'later'] }) },
  { streamId: 'decision-park', event: voteCast('park', 'v1') },
  { streamId: 'decision-park', event: voteCast('park', 'v2', { voterClass: 'expert', weight: 3 }) },
  { streamId: 'decision-park', event: voteCast('park', 'v3', { option: 'no', voterClass: 'community', weight: 2 }) },
  { streamId: 'decision-park', event: decisionClosed('park') },
  { streamId: 'decision-park', event: voteCast('park', 'v4', { option: 'later' }) }, // late: not counted
  { streamId: 'decision-road', event: decisionCreated('road') },
];

const crawlAt = T0 + 3000;
const bill = (crawlId: string, amount: number): StreamEvent => {
  const data: CrawlBilled['data'] = { crawlId, platformId: 'bot', publisherId: 'news', url: `https://news.example/${crawlId}`, bytes: 2048, amount, balanceAfter: 0, billedAt: crawlAt };
  return { streamId: 'escrow-bot', event: { type: 'CrawlBilled', data } };
};
const refund = (crawlId: string, amount: number): StreamEvent => {
  const data: CrawlRefunded['data'] = { crawlId, platformId: 'bot', publisherId: 'news', amount, balanceAfter: 0, billedAt: crawlAt, refundedAt: T0 + 2 * DAY };
  return { streamId: 'escrow-bot', event: { type: 'CrawlRefunded', data } };
};
const crawlEvents: StreamEvent[] = [
  { streamId: 'participant-news', event: { type: 'ParticipantRegistered', data: { participantId: 'news', role: 'publisher', name: 'News', registeredAt: T0, owner: 'o1' } } },
  { streamId: 'participant-news', event: { type: 'PublisherPriceSet', data: { publisherId: 'news', pricePerCrawl: 1_500, setAt: T0 + 1 } } },
  { streamId: 'participant-bot', event: { type: 'ParticipantRegistered', data: { participantId: 'bot', role: 'platform', name: 'Bot', registeredAt: T0, owner: 'o2' } } },
  { streamId: 'escrow-bot', event: { type: 'EscrowDeposited', data: { platformId: 'bot', amount: 5_000_000, balanceAfter: 5_000_000, depositedAt: T0 + 2 } } },
  bill('c1', 1_500),
  bill('c2', 1_500),
  { streamId: 'escrow-bot', event: { type: 'CrawlDisputed', data: { crawlId: 'c2', platformId: 'bot', publisherId: 'news', amount: 1_500, reason: 'robots.txt', billedAt: crawlAt, disputedAt: T0 + DAY } } },
  refund('c2', 1_500),
];

// ---------------------------------------------------------------------------------------------------------

let testbed: ProjectionTestbed;
let dataDir: string;
let env: Record<string, string | undefined>;
const loginRole = `analyst_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  await testbed.append([...workplaceEvents, ...governanceEvents, ...crawlEvents]);
  // The workers install the views as they set up their schemas.
  for (const projection of withViews) await testbed.runToHead(projection, 5);
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-analytics-'));
  env = { DATABASE_URL: testbed.db.url, PROOFLINE_DATA_DIR: dataDir, NODE_ENV: undefined, EVENTSTORE_URL: undefined, LOG_LEVEL: 'warn' };
}, 120_000);
afterAll(async () => {
  // Roles belong to the server, not to the test database: the login role made here goes with it.
  await testbed?.db.knex.raw(`drop role if exists ${loginRole}`);
  await testbed?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const knex = () => testbed.db.knex;

type Row = Record<string, unknown>;
const rowsOf = async (sql: string, bindings: readonly unknown[] = []): Promise<Row[]> => (await knex().raw<{ rows: Row[] }>(sql, bindings as never)).rows;
const viewRows = (view: string, orderBy: string) => rowsOf(`select * from analytics.${view} order by ${orderBy}`);

async function analyticsViewNames(): Promise<string[]> {
  const rows = await rowsOf(`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'analytics' order by 1`);
  return rows.map((row) => row.relname as string);
}

/** Runs `sql` as the analyst role, in a transaction of its own; its rows, or the error's SQLSTATE. */
async function asAnalyst(sql: string): Promise<{ rows: Row[] } | { refused: string }> {
  try {
    return await knex().transaction(async (trx) => {
      await trx.raw(`set local role ${ANALYST_ROLE}`);
      return { rows: (await trx.raw<{ rows: Row[] }>(sql)).rows };
    });
  } catch (error) {
    return { refused: (error as { code?: string }).code ?? String(error) };
  }
}
const PERMISSION_DENIED = { refused: '42501' };

describe('the analytics views', () => {
  it('are views only, exactly those the projections declare, each with a COMMENT on it and on every column', async () => {
    const declared = projections.flatMap((projection) => (projection.analyticsViews ?? []).map((view) => view.name)).sort();
    expect(declared.length).toBeGreaterThanOrEqual(10);
    expect(await analyticsViewNames()).toEqual(declared);
    const relations = await rowsOf(
      `select c.relname, c.relkind, obj_description(c.oid, 'pg_class') as comment
         from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'analytics'`,
    );
    for (const relation of relations) {
      expect(relation.relkind, `${relation.relname}`).toBe('v');
      expect(String(relation.comment ?? '').length, `COMMENT ON VIEW analytics.${relation.relname}`).toBeGreaterThan(10);
    }
    // Every column of every relation in the schema: a column added without a comment fails here.
    const columns = await rowsOf(
      `select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as type, col_description(c.oid, a.attnum) as comment
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'analytics' and a.attnum > 0 and not a.attisdropped`,
    );
    expect(columns.length).toBeGreaterThan(50);
    for (const column of columns) {
      const name = `analytics.${column.relname}.${column.attname}`;
      expect(String(column.comment ?? '').length, `COMMENT ON COLUMN ${name}`).toBeGreaterThan(5);
      // Units in the names: timestamps end in _at, and no amount goes without its unit.
      if (column.type === 'timestamp with time zone') expect(column.attname, name).toMatch(/_at$/);
      if (/deposit|billed|refund|balance|amount|fee|price|token|volume|proceeds|royalties|rewards|staked/.test(column.attname as string)) {
        expect(column.attname, name).toMatch(/_(micro_usdc|micro_units|micro_tokens|minor_units|major_units|at|on|lsn)$/);
      }
      if (/score/.test(column.attname as string) && column.type !== 'text') expect(column.attname, name).toMatch(/_points$/);
    }
  });

  it('read only the projections’ own tables, never the runtime’s bookkeeping', async () => {
    const used = await rowsOf(`select distinct table_schema, table_name from information_schema.view_table_usage where view_schema = 'analytics'`);
    expect(used.length).toBeGreaterThan(5);
    for (const { table_schema: schema, table_name: table } of used) {
      expect(withViews.map((projection) => `projection_${projection.name}`)).toContain(schema);
      expect(['checkpoints', 'parked_events', 'rebuilds']).not.toContain(table);
      expect(table).not.toMatch(/^proofline_migrations/);
    }
  });

  it('give the published score and watch list the workplace API gives, in points', async () => {
    const scores = await viewRows('workplace_company_scores', 'company_id');
    expect(scores.map((row) => [row.company_id, row.score_status, row.sample_size])).toEqual([
      ['acme', 'published', 6],
      ['globex', 'insufficient_data', 1],
      ['initech', 'published', 5],
    ]);
    for (const row of scores) {
      const api = await companyScore(knex(), row.company_id as string);
      if (api?.status !== 'published') {
        expect(row.overall_score_points).toBeNull();
        continue;
      }
      expect(Number(row.overall_score_points)).toBe(api.overallScore);
      expect(Number(row.management_quality_points)).toBe(api.components.managementQuality);
      expect(Number(row.growth_development_points)).toBe(api.components.growthDevelopment);
      expect(Number(row.transparency_points)).toBe(api.components.transparency);
    }
    // Two decimals, as a number an analyst can compare with: 3493 hundredths is 34.93 points.
    expect(scores[0]!.overall_score_points).toMatch(/^\d+\.\d\d$/);

    const listed = (await watchList(knex(), { limit: 10 })).companies;
    const now = (await viewRows('workplace_company_scores', 'company_id')).filter((row) => row.on_watch_list).map((row) => row.company_id);
    expect(now).toEqual(listed.map((entry) => entry.companyId));
  });

  it('keep every watch listing and its removal', async () => {
    const history = await viewRows('watch_list_history', 'listed_lsn');
    expect(history.map(({ listed_lsn: _, removed_lsn: __, ...row }) => row)).toEqual([
      {
        company_id: 'acme',
        company_name: 'Company acme',
        listing_reason: 'low_score',
        engagement_number: null,
        overall_score_at_listing_points: '32.50',
        sample_size_at_listing: 6,
        listed_at: new Date(T0 + 3 * DAY),
        removed_at: new Date(T0 + 5 * DAY),
        removal_reason: 'admin',
        still_listed: false,
      },
      {
        company_id: 'acme',
        company_name: 'Company acme',
        listing_reason: 'declined',
        engagement_number: 1,
        overall_score_at_listing_points: '32.50',
        sample_size_at_listing: 6,
        listed_at: new Date(T0 + 7 * DAY),
        removed_at: null,
        removal_reason: null,
        still_listed: true,
      },
    ]);
    expect(Number(history[0]!.removed_lsn)).toBeGreaterThan(Number(history[0]!.listed_lsn));
    // The API's watch list shows the open listing only.
    expect((await watchList(knex(), { limit: 10 })).companies).toMatchObject([{ companyId: 'acme', reason: 'declined', since: new Date(T0 + 7 * DAY).toISOString(), scoreAtListing: 32.5 }]);
  });

  it('give fees in minor units and in currency units, as the certifications API', async () => {
    const [api] = await certifications(knex(), 'initech');
    expect(await viewRows('workplace_certifications', 'company_id')).toEqual([
      { company_id: 'initech', engagement_number: 1, level: 'gold', fee_minor_units: api!.fee.amountMinor, fee_major_units: '35000.00', currency: 'USD', issued_at: new Date(api!.issuedAt) },
    ]);
  });

  it('give the escrow balance the crawl API gives, in micro-USDC', async () => {
    const api = await escrowOf(knex(), 'bot');
    const [row] = await viewRows('crawl_escrows', 'platform_id');
    expect(row).toEqual({
      platform_id: 'bot',
      platform_name: 'Bot',
      deposited_micro_usdc: api!.deposited,
      billed_micro_usdc: api!.billed,
      refunded_micro_usdc: api!.refunded,
      balance_micro_usdc: api!.balance,
      crawls: api!.crawls,
    });
    expect(api!.balance).toBe(5_000_000 - 3_000 + 1_500);
    expect(await rowsOf('select publisher_id, crawls, billed_micro_usdc, refunded_micro_usdc, net_micro_usdc from analytics.crawl_publisher_days')).toEqual([
      { publisher_id: 'news', crawls: 2, billed_micro_usdc: 3000, refunded_micro_usdc: 1500, net_micro_usdc: 1500 },
    ]);
    expect((await viewRows('crawl_ledger', 'billed_lsn')).map((row) => [row.crawl_id, row.status, row.amount_micro_usdc])).toEqual([
      ['c1', 'billed', 1500],
      ['c2', 'refunded', 1500],
    ]);
  });

  it('give the decision results the governance API gives, one row per option', async () => {
    for (const decisionId of ['park', 'road']) {
      const api = (await decisionResults(knex(), decisionId))!;
      const rows = await rowsOf('select * from analytics.governance_decision_results where decision_id = ? order by option_position', [decisionId]);
      expect(rows.map((row) => row.option)).toEqual(Object.keys(api.totals));
      for (const row of rows) {
        const option = row.option as string;
        expect([row.votes, row.weighted_votes, row.citizen_votes, row.expert_votes, row.community_votes, row.status].map(String)).toEqual(
          [api.totals[option], api.weighted[option], api.byClass.citizen[option], api.byClass.expert[option], api.byClass.community[option], api.status].map(String),
        );
      }
      const [decision] = await rowsOf('select votes, late_votes, status from analytics.governance_decisions where decision_id = ?', [decisionId]);
      expect(decision).toEqual({ votes: api.votes, late_votes: api.lateVotes, status: api.status });
    }
    expect(await rowsOf(`select option, weighted_votes from analytics.governance_decision_results where decision_id = 'park' order by option_position`)).toEqual([
      { option: 'yes', weighted_votes: 4 },
      { option: 'no', weighted_votes: 2 },
      { option: 'later', weighted_votes: 0 },
    ]);
  });
});

describe('proofline analyst-role create', () => {
  it('makes proofline_analyst, again without change, and a login member with a password printed once', { timeout: 90_000 }, async () => {
    for (let run = 0; run < 2; run++) {
      const created = await runProofline(['analyst-role', 'create'], env);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toBe('');
      expect(created.stderr).toContain(`role ${ANALYST_ROLE} may read the views of schema analytics and nothing else`);
    }
    expect(await rowsOf('select rolcanlogin, rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = ?', [ANALYST_ROLE])).toEqual([
      { rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false },
    ]);

    const login = await runProofline(['analyst-role', 'create', '--login', loginRole], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect(login.stderr).toContain(`login role ${loginRole} created, member of ${ANALYST_ROLE}`);
    const [stored] = await rowsOf('select rolpassword from pg_authid where rolname = ?', [loginRole]);
    expect(stored!.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    const again = await runProofline(['analyst-role', 'create', '--login', loginRole], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(`role ${loginRole} exists already; left unchanged`);

    // The login reads the views through its membership (this server trusts local connections: the password
    // itself is checked by the SCRAM unit test).
    const url = new URL(testbed.db.url);
    url.username = loginRole;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      expect((await client.query('select count(*)::int as n from analytics.crawl_escrows')).rows).toEqual([{ n: 1 }]);
      await expect(client.query('select * from projection_crawl.escrows')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }
  });

  it('lets the role read every view, and nothing else: no write, no table, no event, no new object', async () => {
    await runProofline(['analyst-role', 'create'], env).then((result) => expect(result.code, result.stderr).toBe(0));
    for (const view of await analyticsViewNames()) {
      expect(await asAnalyst(`select * from analytics.${view}`), view).toHaveProperty('rows');
    }
    // (The views an analyst could write through, were they allowed: PostgreSQL's simple, auto-updatable ones.)
    for (const write of [
      `insert into analytics.crawl_participants (participant_id, role, name, registered_at) values ('x', 'publisher', 'x', now())`,
      `update analytics.crawl_ledger set status = 'refunded'`,
      `delete from analytics.workplace_engagements`,
      `delete from analytics.crawl_publisher_days`,
      'create view analytics.mine as select 1 as one',
      'create table analytics.mine (one int)',
      'create table public.mine (one int)',
      'select * from projection_workplace.companies',
      'select * from projection_crawl.checkpoints',
      'select * from projection_governance.decision_tallies',
      'select * from event_log',
      'select * from event_streams',
      `update projection_crawl.escrows set deposited = 0`,
    ]) {
      expect(await asAnalyst(write), write).toEqual(PERMISSION_DENIED);
    }
  });
});

describe('a rebuild', () => {
  it('leaves the analytics views, and an analyst’s view on them, answering with the same rows, bound to the rebuilt tables', { timeout: 120_000 }, async () => {
    await knex().raw('create schema if not exists analyst_scratch');
    await knex().raw(
      `create or replace view analyst_scratch.my_view as
         select s.company_id, s.overall_score_points, count(h.*) as listings
           from analytics.workplace_company_scores s left join analytics.watch_list_history h using (company_id) group by 1, 2`,
    );
    const views = await analyticsViewNames();
    const oids = await rowsOf(`select c.relname, c.oid::int from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'analytics' order by 1`);
    const snapshot = async () => {
      const all: Record<string, Row[]> = {};
      for (const view of views) all[view] = await rowsOf(`select * from analytics.${view} v order by v::text`);
      all.my_view = await rowsOf('select * from analyst_scratch.my_view order by 1');
      return all;
    };
    const before = await snapshot();
    expect(before.my_view).toHaveLength(3);

    for (const projection of withViews) await rebuildProjection({ db: testbed.db, projection, eventStore: testbed.eventStore, pageSize: 4 });

    expect(await snapshot()).toEqual(before);
    expect(await rowsOf(`select c.relname, c.oid::int from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'analytics' order by 1`)).toEqual(oids);
    expect(await rowsOf(`select nspname from pg_namespace where nspname like 'projection\\_%\\_old\\_%' or nspname like 'projection\\_%\\_rebuild\\_%'`)).toEqual([]);
    // Still the analyst's to read, and bound to the live (rebuilt) tables: what is projected next shows.
    expect(await asAnalyst('select count(*)::int as n from analytics.watch_list_history')).toEqual({ rows: [{ n: 2 }] });
    await testbed.append([delisted('acme', { reason: 'certified', delistedAt: T0 + 9 * DAY })]);
    await testbed.runToHead(workplaceProjection, 5);
    expect(await rowsOf('select listings::int, company_id from analyst_scratch.my_view where company_id = ?', ['acme'])).toEqual([{ listings: 2, company_id: 'acme' }]);
    expect(await rowsOf('select count(*)::int as open from analytics.watch_list_history where still_listed')).toEqual([{ open: 0 }]);
  });
});

describe('a rebuild while an analyst’s query holds a view', () => {
  it('fails after the view lock timeout, leaving the live read model and views as they were, and succeeds once the query ends', { timeout: 60_000 }, async () => {
    const crawl = withViews.find((projection) => projection.name === 'crawl')!;
    const before = await viewRows('crawl_escrows', 'platform_id');
    const analyst = new pg.Client({ connectionString: testbed.db.url });
    await analyst.connect();
    try {
      // A query still running: its transaction holds the view (ACCESS SHARE) until it ends.
      await analyst.query('begin');
      await analyst.query('select * from analytics.crawl_escrows');
      const started = Date.now();
      await expect(rebuildProjection({ db: testbed.db, projection: crawl, eventStore: testbed.eventStore, viewLockTimeoutMs: 300 })).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(30_000);
      await analyst.query('commit');
    } finally {
      await analyst.end();
    }
    expect(await viewRows('crawl_escrows', 'platform_id')).toEqual(before);
    expect(await rowsOf(`select nspname from pg_namespace where nspname like 'projection\\_crawl\\_%'`)).toEqual([]);
    await rebuildProjection({ db: testbed.db, projection: crawl, eventStore: testbed.eventStore, viewLockTimeoutMs: 300 });
    expect(await viewRows('crawl_escrows', 'platform_id')).toEqual(before);
  });
});

describe('workers setting up together', () => {
  it('create schema analytics once and every projection’s views, however many start at the same moment', { timeout: 60_000 }, async () => {
    const fresh = await createTestDatabase('proofline_analytics_setup');
    const db = openDatabase(fresh.url, { poolSize: 4 });
    try {
      // Two workers of every projection, all at once (db.knex's pool holds 5 connections: they queue there too).
      await Promise.all([...projections, ...projections].map((projection) => ensureProjectionSchema(db, projection)));
      const { rows } = await db.knex.raw<{ rows: Array<{ views: number }> }>(
        `select count(*)::int as views from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'analytics' and c.relkind = 'v'`,
      );
      expect(rows).toEqual([{ views: projections.flatMap((projection) => projection.analyticsViews ?? []).length }]);

      // A worker restarting while an analyst's query reads a view: nothing changed, so nothing waits for it.
      const crawl = withViews.find((projection) => projection.name === 'crawl')!;
      const oid = async () => (await db.knex.raw<{ rows: Array<{ oid: number }> }>(`select 'analytics.crawl_participants'::regclass::oid::int as oid`)).rows[0]!.oid;
      const before = await oid();
      const analyst = new pg.Client({ connectionString: fresh.url });
      await analyst.connect();
      try {
        await analyst.query('begin');
        await analyst.query('select * from analytics.crawl_participants');
        await withinDeadline(ensureProjectionSchema(db, crawl), 10_000, 'a worker setup waited for an analyst’s query');
        await analyst.query('commit');
      } finally {
        await analyst.end();
      }

      // A release that appends a column: the view is replaced in place, the new column commented.
      const participants = crawl.analyticsViews!.find((view) => view.name === 'crawl_participants')!;
      const appended = {
        ...participants,
        comment: 'Changed comment.',
        columns: { ...participants.columns, name_length: 'Characters in the name.' },
        select: participants.select.replace(' from participants', ', length(name) from participants'),
      };
      await ensureProjectionSchema(db, { ...crawl, analyticsViews: crawl.analyticsViews!.map((view) => (view === participants ? appended : view)) });
      expect(await oid()).toBe(before);
      const { rows: described } = await db.knex.raw<{ rows: Array<{ view: string; column: string | null }> }>(
        `select obj_description('analytics.crawl_participants'::regclass, 'pg_class') as view,
                col_description('analytics.crawl_participants'::regclass, 6) as column`,
      );
      expect(described).toEqual([{ view: 'Changed comment.', column: 'Characters in the name.' }]);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

/** `work`, or a failure saying `what` once `ms` have passed without it settling. */
async function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
