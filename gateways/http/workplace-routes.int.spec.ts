// Workplace over HTTP with the read side on the local bus: every route, its refusals (nothing appended),
// Idempotency-Key, and that a reviewer's identity is nowhere: not in events, read models, logs.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../events-schema/index.ts';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-01-01T00:00:00Z');
let fixture: HttpFixture;
let now = START;

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now, readSide: true });
});
afterAll(async () => fixture?.close());
beforeEach(() => {
  now = START;
});

const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  fixture.app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string) => fixture.app.inject({ method: 'GET', url });
const del = (url: string) => fixture.app.inject({ method: 'DELETE', url });

const uniform = (score: number) => ({ managementQuality: score, cultureEnvironment: score, fairnessEquity: score, transparency: score, growthDevelopment: score });

let counter = 0;
async function registerCompany(): Promise<string> {
  const companyId = `co-${++counter}`;
  const response = await post('/v1/companies', { companyId, name: `Company ${counter}` });
  expect(response.statusCode, response.body).toBe(201);
  return companyId;
}

/** `count` reviews by distinct submitters; answers the LSN of the last one. */
async function review(companyId: string, scores: number[]): Promise<number> {
  let lsn = 0;
  for (const [index, score] of scores.entries()) {
    const response = await post(`/v1/companies/${companyId}/submissions`, { submitterId: `${companyId}-employee-${index}`, scores: uniform(score) });
    expect(response.statusCode, response.body).toBe(202);
    lsn = response.json().lsn;
  }
  return lsn;
}

/** A company with a published score (the read model caught up with its reviews). */
async function scoredCompany(scores = [30, 35, 40, 45, 50]): Promise<string> {
  const companyId = await registerCompany();
  const lsn = await review(companyId, scores);
  const score = await get(`/v1/companies/${companyId}/score?consistentWith=${lsn}`);
  expect(score.json()).toMatchObject({ status: 'published' });
  return companyId;
}

async function expectNothingAppended(action: () => Promise<unknown>) {
  const before = await fixture.eventStore.headLsn();
  await action();
  expect(await fixture.eventStore.headLsn()).toBe(before);
}

async function expectRefused(response: Promise<{ statusCode: number; json(): { error: string } }>, status: number, error: string) {
  await expectNothingAppended(async () => {
    const answer = await response;
    expect(answer.statusCode).toBe(status);
    expect(answer.json().error).toBe(error);
  });
}

async function expect400(response: () => ReturnType<typeof post>, path: string) {
  await expectNothingAppended(async () => {
    const answer = await response();
    expect(answer.statusCode, answer.body).toBe(400);
    expect(answer.json().error).toBe('invalid_request');
    expect(answer.json().issues.map((issue: { path: string }) => issue.path)).toContain(path);
  });
}

describe('POST /v1/companies', () => {
  it('registers a company with its LSN, and refuses the same id again with 409 company_exists', async () => {
    const response = await post('/v1/companies', { companyId: 'acme', name: 'Acme' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ companyId: 'acme', streamId: 'company-acme', lsn: expect.any(Number) });
    await expectRefused(post('/v1/companies', { companyId: 'acme', name: 'Acme again' }), 409, 'company_exists');
  });

  it('answers 400 naming the failing field', async () => {
    await expect400(() => post('/v1/companies', {}), 'name');
    await expect400(() => post('/v1/companies', { name: 'x', companyId: 'no spaces' }), 'companyId');
  });

  it('answers 400 naming an unknown field itself, not the object holding it', async () => {
    await expect400(() => post('/v1/companies', { companyId: 'typo', name: 'x', nmae: 'y' }), 'nmae');
    const companyId = await registerCompany();
    await expect400(() => post(`/v1/companies/${companyId}/submissions`, { submitterId: 'x', scores: uniform(50), comment: 'hi' }), 'comment');
    await expect400(() => post(`/v1/companies/${companyId}/submissions`, { submitterId: 'x', scores: { ...uniform(50), salary: 10 } }), 'scores.salary');
    await expect400(() => post(`/v1/companies/${companyId}/engagement/response`, { decision: 'decline', level: 'gold' }), 'level');
    await expect400(() => post(`/v1/companies/${companyId}/watch-list`, { reason: 'low_score', note: 'x' }), 'note');
  });
});

describe('POST /v1/companies/:id/submissions', () => {
  it('scores a review with the weighted overall score and records only a pseudonym', async () => {
    const companyId = await registerCompany();
    const scores = { managementQuality: 80, cultureEnvironment: 60, fairnessEquity: 40, transparency: 20, growthDevelopment: 100 };
    const response = await post(`/v1/companies/${companyId}/submissions`, { submitterId: 'ana@example.com', scores });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toEqual({ submissionId: expect.any(String), overallScore: 60, lsn: expect.any(Number) });
    const [recorded] = await fixture.eventStore.readAll({ fromLsn: response.json().lsn, limit: 1 });
    expect(recorded!.streamId).toMatch(new RegExp(`^review-${companyId}:[0-9a-f]{64}$`));
    expect(decodeEvent(recorded!.data)).toEqual({
      type: 'SubmissionScored',
      data: { companyId, reviewerPseudonym: expect.stringMatching(/^[0-9a-f]{64}$/), ...scores, overallScore: 6000, submittedAt: START },
    });
  });

  it('refuses a second review by the same person within 90 days (409 review_too_soon), accepts it after', async () => {
    const companyId = await registerCompany();
    const body = { submitterId: 'bob', scores: uniform(50) };
    expect((await post(`/v1/companies/${companyId}/submissions`, body)).statusCode).toBe(202);
    now = START + 90 * DAY - 1;
    await expectRefused(post(`/v1/companies/${companyId}/submissions`, body), 409, 'review_too_soon');
    // Typed another way, the id still names the same person.
    await expectRefused(post(`/v1/companies/${companyId}/submissions`, { ...body, submitterId: ' BOB ' }), 409, 'review_too_soon');
    now = START + 90 * DAY;
    expect((await post(`/v1/companies/${companyId}/submissions`, body)).statusCode).toBe(202);
    // Another person, or the same person reviewing another company, is not held back.
    expect((await post(`/v1/companies/${companyId}/submissions`, { ...body, submitterId: 'carol' })).statusCode).toBe(202);
    const other = await registerCompany();
    expect((await post(`/v1/companies/${other}/submissions`, body)).statusCode).toBe(202);
  });

  it('answers 404 company_not_found for an unregistered company', async () => {
    await expectRefused(post('/v1/companies/nobody/submissions', { submitterId: 'x', scores: uniform(50) }), 404, 'company_not_found');
  });

  it('answers 400 naming the failing score or field', async () => {
    const companyId = await registerCompany();
    const url = `/v1/companies/${companyId}/submissions`;
    await expect400(() => post(url, { submitterId: 'x', scores: { ...uniform(50), transparency: 101 } }), 'scores.transparency');
    await expect400(() => post(url, { submitterId: 'x', scores: { ...uniform(50), fairnessEquity: 12.5 } }), 'scores.fairnessEquity');
    await expect400(() => post(url, { submitterId: 'x', scores: { ...uniform(50), growthDevelopment: undefined } }), 'scores.growthDevelopment');
    await expect400(() => post(url, { submitterId: '', scores: uniform(50) }), 'submitterId');
    await expect400(() => post(url, { scores: uniform(50) }), 'submitterId');
  });

  it('replays the first answer for a retried Idempotency-Key and appends nothing', async () => {
    const companyId = await registerCompany();
    const body = { submitterId: 'dora', scores: uniform(70) };
    const first = await post(`/v1/companies/${companyId}/submissions`, body, { 'idempotency-key': `review-${companyId}` });
    expect(first.statusCode).toBe(202);
    await expectNothingAppended(async () => {
      const again = await post(`/v1/companies/${companyId}/submissions`, body, { 'idempotency-key': `review-${companyId}` });
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
    });
  });
});

describe('GET /v1/companies/:id/score', () => {
  it('is insufficient_data below 5 submissions, then published with means and a 95 % interval, as of the LSN asked for', async () => {
    const companyId = await registerCompany();
    let lsn = await review(companyId, [50, 60, 70, 80]);
    const early = await get(`/v1/companies/${companyId}/score?consistentWith=${lsn}`);
    expect(early.json()).toEqual({ companyId, name: expect.any(String), status: 'insufficient_data', sampleSize: 4, minimumSampleSize: 5, asOfLsn: expect.any(Number) });
    expect(early.json().asOfLsn).toBeGreaterThanOrEqual(lsn);

    lsn = (await post(`/v1/companies/${companyId}/submissions`, { submitterId: 'fifth', scores: uniform(90) })).json().lsn;
    const published = await get(`/v1/companies/${companyId}/score?consistentWith=${lsn}`);
    expect(published.json()).toMatchObject({
      status: 'published',
      sampleSize: 5,
      overallScore: 70,
      components: uniform(70),
      confidenceInterval: { level: 0.95, lower: 50.37, upper: 89.63 },
    });
  });

  it('answers 404 for an unknown company and 400 for a bad consistentWith', async () => {
    expect((await get('/v1/companies/nobody/score')).json().error).toBe('company_not_found');
    const bad = await get('/v1/companies/acme/score?consistentWith=soon');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((issue: { path: string }) => issue.path)).toContain('consistentWith');
  });
});

describe('engagement', () => {
  it('needs a published score: 409 score_not_published before 5 submissions', async () => {
    const companyId = await registerCompany();
    const lsn = await review(companyId, [50, 50, 50, 50]);
    await get(`/v1/companies/${companyId}/score?consistentWith=${lsn}`);
    await expectRefused(post(`/v1/companies/${companyId}/engagement`), 409, 'score_not_published');
    await expectRefused(post('/v1/companies/nobody/engagement'), 404, 'company_not_found');
  });

  it('initiates with a 60-day deadline; an engaging company is certified at its level’s fee', async () => {
    const companyId = await scoredCompany();
    const initiated = await post(`/v1/companies/${companyId}/engagement`);
    expect(initiated.statusCode, initiated.body).toBe(201);
    expect(initiated.json()).toEqual({ engagementNumber: 1, deadline: new Date(START + 60 * DAY).toISOString(), lsn: expect.any(Number) });
    await expectRefused(post(`/v1/companies/${companyId}/engagement`), 409, 'engagement_pending');

    const pending = await get(`/v1/companies/${companyId}/engagement?consistentWith=${initiated.json().lsn}`);
    expect(pending.json()).toMatchObject({ current: { engagementNumber: 1, status: 'pending', scoreAtInitiation: 40, sampleSize: 5 }, history: [] });

    now = START + 10 * DAY;
    const engaged = await post(`/v1/companies/${companyId}/engagement/response`, { decision: 'engage', level: 'gold' });
    expect(engaged.statusCode, engaged.body).toBe(200);
    expect(engaged.json()).toEqual({ outcome: 'certified', certification: { level: 'gold', fee: { amountMinor: 3_500_000, currency: 'USD' } }, lsn: expect.any(Number) });
    await expectRefused(post(`/v1/companies/${companyId}/engagement/response`, { decision: 'decline' }), 409, 'no_pending_engagement');

    const lsn = engaged.json().lsn;
    expect((await get(`/v1/companies/${companyId}/certifications?consistentWith=${lsn}`)).json()).toEqual({
      companyId,
      certifications: [{ engagementNumber: 1, level: 'gold', fee: { amountMinor: 3_500_000, currency: 'USD' }, issuedAt: new Date(START + 10 * DAY).toISOString() }],
      asOfLsn: expect.any(Number),
    });
    expect((await get(`/v1/companies/${companyId}/engagement?consistentWith=${lsn}`)).json()).toMatchObject({ current: { status: 'certified' } });
  });

  it('a declining company goes on the public watch list (reason declined)', async () => {
    const companyId = await scoredCompany();
    expect((await post(`/v1/companies/${companyId}/engagement`)).statusCode).toBe(201);
    now = START + DAY;
    const declined = await post(`/v1/companies/${companyId}/engagement/response`, { decision: 'decline' });
    expect(declined.json()).toEqual({ outcome: 'watch_listed', lsn: expect.any(Number) });
    const list = await get(`/v1/watch-list?consistentWith=${declined.json().lsn}`);
    expect(list.json().companies).toContainEqual({
      companyId,
      name: expect.any(String),
      reason: 'declined',
      since: new Date(START + DAY).toISOString(),
      score: 40,
      scoreAtListing: 40,
    });
  });

  it('refuses an answer once the deadline has passed (409 engagement_expired), and bad answers with 400', async () => {
    const companyId = await scoredCompany();
    await post(`/v1/companies/${companyId}/engagement`);
    const url = `/v1/companies/${companyId}/engagement/response`;
    await expect400(() => post(url, { decision: 'engage', level: 'diamond' }), 'level');
    await expect400(() => post(url, { decision: 'maybe' }), 'decision');
    now = START + 60 * DAY;
    await expectRefused(post(url, { decision: 'engage', level: 'bronze' }), 409, 'engagement_expired');
  });
});

describe('watch list by hand', () => {
  it('lists a company scoring below 40 (low_score) and delists it; refuses the rest', async () => {
    const low = await scoredCompany([20, 25, 30, 35, 40]);
    const fair = await scoredCompany([40, 40, 40, 40, 40]);
    await expectRefused(post(`/v1/companies/${fair}/watch-list`, { reason: 'low_score' }), 422, 'score_not_low');
    await expect400(() => post(`/v1/companies/${low}/watch-list`, { reason: 'declined' }), 'reason');

    const listed = await post(`/v1/companies/${low}/watch-list`, { reason: 'low_score' });
    expect(listed.statusCode, listed.body).toBe(201);
    await expectRefused(post(`/v1/companies/${low}/watch-list`, { reason: 'low_score' }), 409, 'already_watch_listed');
    await expectRefused(post(`/v1/companies/${low}/engagement/response`, { decision: 'decline' }), 409, 'no_pending_engagement');
    const list = await get(`/v1/watch-list?consistentWith=${listed.json().lsn}`);
    expect(list.json().companies).toContainEqual(expect.objectContaining({ companyId: low, reason: 'low_score', score: 30, scoreAtListing: 30 }));

    const removed = await del(`/v1/companies/${low}/watch-list`);
    expect(removed.statusCode).toBe(200);
    await expectRefused(del(`/v1/companies/${low}/watch-list`), 409, 'not_watch_listed');
    const after = await get(`/v1/watch-list?consistentWith=${removed.json().lsn}`);
    expect(after.json().companies.map((c: { companyId: string }) => c.companyId)).not.toContain(low);
    await expect400(() => get('/v1/watch-list?cursor=bm90LWEtY3Vyc29y'), 'cursor');
  });

  it('decides "below 40" on the score it publishes: a mean of exactly 39.995 is published as 40 and not listable', async () => {
    // Nine reviews at 40.00 and one at 39.95: mean 3999.5 hundredths. The commands round it to 4000; the
    // published score used to come out 39.99 (float drift), so an admin was refused a company shown below 40.
    const companyId = await registerCompany();
    await review(companyId, Array.from({ length: 9 }, () => 40));
    const odd = { managementQuality: 40, cultureEnvironment: 39, fairnessEquity: 41, transparency: 40, growthDevelopment: 40 };
    const last = await post(`/v1/companies/${companyId}/submissions`, { submitterId: `${companyId}-odd`, scores: odd });
    expect(last.json().overallScore).toBe(39.95);
    const score = await get(`/v1/companies/${companyId}/score?consistentWith=${last.json().lsn}`);
    expect(score.json()).toMatchObject({ status: 'published', sampleSize: 10, overallScore: 40 });
    await expectRefused(post(`/v1/companies/${companyId}/watch-list`, { reason: 'low_score' }), 422, 'score_not_low');
  });

  it('answers 404 for the queries of an unknown company', async () => {
    expect((await get('/v1/companies/nobody/certifications')).statusCode).toBe(404);
    expect((await get('/v1/companies/nobody/engagement')).statusCode).toBe(404);
  });
});

describe('anonymity', () => {
  it('keeps the submitter id out of every event, every table and every log line, even when sent as x-actor', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logged = await createHttpFixture({ clock: () => now, readSide: true, logger: pino({ level: 'trace' }, sink) });
    try {
      const secret = 'whistleblower-7f3a@example.com';
      expect((await logged.app.inject({ method: 'POST', url: '/v1/companies', payload: { companyId: 'anon', name: 'Anon' } })).statusCode).toBe(201);
      const submitted = await logged.app.inject({
        method: 'POST',
        url: '/v1/companies/anon/submissions',
        payload: { submitterId: secret, scores: uniform(10) },
        headers: { 'x-actor': secret, 'idempotency-key': 'anon-review' },
      });
      expect(submitted.statusCode, submitted.body).toBe(202);
      const refused = await logged.app.inject({ method: 'POST', url: '/v1/companies/anon/submissions', payload: { submitterId: secret, scores: uniform(90) } });
      expect(refused.json().error).toBe('review_too_soon');
      expect(refused.body).not.toContain(secret);
      await logged.app.inject({ method: 'GET', url: `/v1/companies/anon/score?consistentWith=${submitted.json().lsn}` });

      const hex = Buffer.from(secret).toString('hex');
      const { rows: tables } = await logged.db.pool.query<{ schema: string; name: string }>(
        `select table_schema as schema, table_name as name from information_schema.tables
          where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
      );
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['event_log', 'company_scores']));
      for (const table of tables) {
        const { rows } = await logged.db.pool.query<{ row: string }>(`select t::text as row from "${table.schema}"."${table.name}" t`);
        for (const { row } of rows) {
          expect(row, `${table.schema}.${table.name}`).not.toContain(secret);
          expect(row, `${table.schema}.${table.name}`).not.toContain(hex);
        }
      }
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(secret);
      // Nor a hash of the raw request that a guess of the submitter could be tested against.
      const rawRequestHash = createHash('sha256')
        .update(`POST /v1/companies/anon/submissions\n${JSON.stringify({ submitterId: secret, scores: uniform(10) })}`)
        .digest('hex');
      const { rows: claims } = await logged.db.pool.query<{ request_hash: string }>(`select request_hash from idempotency_keys where key = 'anon-review'`);
      expect(claims).toHaveLength(1);
      expect(claims[0]!.request_hash).not.toBe(rawRequestHash);
      const retried = await logged.app.inject({
        method: 'POST',
        url: '/v1/companies/anon/submissions',
        payload: { submitterId: secret, scores: uniform(10) },
        headers: { 'idempotency-key': 'anon-review' },
      });
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(retried.json()).toEqual(submitted.json());
    } finally {
      await logged.close();
    }
  });
});
