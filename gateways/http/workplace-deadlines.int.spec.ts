// The engagement deadline process against the real store and read model: stopped before the deadline and
// restarted after it, the company is watch-listed (no_response) exactly once; two processes at once, fed
// the same due engagement over and over, still list it once. Clocks are injected; waits poll with a deadline.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngagementDeadlines, DEADLINE_ACTOR, type PassOutcome } from '../../commands/workplace/engagement-deadlines.ts';
import type { DueEngagements } from '../../commands/workplace/ports.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import { runCountingPasses } from '../testing/background-process.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { dueEngagements } from '../../projections/workplace/queries.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-01-01T00:00:00Z');
const DEADLINE = START + 60 * DAY;
const WAIT_MS = 20_000;

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => START, readSide: true });
});
afterAll(async () => fixture?.close());

const post = (url: string, payload: unknown, credential: Credential) => fixture.app.inject({ method: 'POST', url, payload: payload as object, headers: credential });
/** The company's own credential, which answers its engagements. */
const companyKey = (companyId: string) => fixture.keyFor({ role: 'company', scope: companyId });
const answer = async (companyId: string, response: object) => post(`/v1/companies/${companyId}/engagement/response`, response, await companyKey(companyId));
const get = (url: string) => fixture.app.inject({ method: 'GET', url });
const fromReadModel: DueEngagements = (now, limit, after) => dueEngagements(fixture.db.knex, now, limit, after);

/** A registered company with a published score and an engagement due at DEADLINE. */
async function engagedCompany(companyId: string): Promise<void> {
  expect((await post('/v1/companies', { companyId, name: companyId }, fixture.admin)).statusCode).toBe(201);
  let lsn = 0;
  for (let i = 0; i < 5; i++) {
    const scores = { managementQuality: 30, cultureEnvironment: 30, fairnessEquity: 30, transparency: 30, growthDevelopment: 30 };
    const reviewer = await fixture.keyFor({ role: 'auditor', subject: `${companyId}-${i}` });
    lsn = (await post(`/v1/companies/${companyId}/submissions`, { scores }, reviewer)).json().lsn;
  }
  expect((await get(`/v1/companies/${companyId}/score?consistentWith=${lsn}`)).json().status).toBe('published');
  const initiated = await post(`/v1/companies/${companyId}/engagement`, undefined, fixture.admin);
  expect(initiated.json()).toMatchObject({ engagementNumber: 1, deadline: new Date(DEADLINE).toISOString() });
}

/** A deadline process running in the background, with its passes counted. */
function startProcess(now: number, due: DueEngagements = fromReadModel, batchSize?: number) {
  const background = runCountingPasses<PassOutcome>(
    (onPass) =>
      createEngagementDeadlines({
        eventStore: fixture.eventStore,
        dueEngagements: due,
        clock: () => now,
        pollIntervalMs: 5,
        ...(batchSize ? { batchSize } : {}),
        logger: pino({ level: 'silent' }),
        onPass,
      }),
    WAIT_MS,
  );
  return { ...background, expired: () => background.passes.reduce((sum, pass) => sum + pass.expired.length, 0) };
}

async function listings(companyId: string) {
  const { events } = await fixture.eventStore.readStream(`company-${companyId}`);
  return events.map((recorded) => decodeEvent(recorded.data)).filter((event) => event.type === 'CompanyWatchListed');
}

describe('engagement deadline process', () => {
  it('does nothing before the deadline, and after a restart past it watch-lists the company exactly once', async () => {
    await engagedCompany('late');

    const before = startProcess(DEADLINE - 1);
    await before.passesMore(3);
    await before.stop();
    expect(before.expired()).toBe(0);
    expect(await listings('late')).toEqual([]);

    const after = startProcess(DEADLINE + DAY);
    await waitFor(async () => (await listings('late')).length > 0, WAIT_MS, () => 'no listing after the deadline');
    const head = await fixture.eventStore.headLsn();
    const engagement = await get(`/v1/companies/late/engagement?consistentWith=${head}`);
    expect(engagement.json().current).toMatchObject({ status: 'expired', answeredAt: new Date(DEADLINE).toISOString() });
    await after.passesMore(3);
    await after.stop();

    // And a third run, long after: the read model no longer shows it due; nothing more is appended.
    const later = startProcess(DEADLINE + 30 * DAY);
    await later.passesMore(3);
    await later.stop();

    expect(after.expired() + later.expired()).toBe(1);
    expect(await listings('late')).toEqual([
      {
        type: 'CompanyWatchListed',
        data: { companyId: 'late', reason: 'no_response', engagementNumber: 1, overallScore: 3000, sampleSize: 5, scoreAsOfLsn: expect.any(Number), listedAt: DEADLINE },
      },
    ]);
    // The listing names the process as its actor.
    const { events } = await fixture.eventStore.readStream('company-late');
    expect(events.at(-1)!.metadata.actor).toBe(DEADLINE_ACTOR);
    const list = await get(`/v1/watch-list?consistentWith=${head}`);
    expect(list.json().companies).toContainEqual({ companyId: 'late', name: 'late', reason: 'no_response', since: new Date(DEADLINE).toISOString(), score: 30, scoreAtListing: 30 });
    // The company can no longer answer the expired engagement.
    expect((await answer('late', { decision: 'decline' })).json().error).toBe('no_pending_engagement');
  });

  it('two processes at once, both told the engagement is due on every pass (a lagging read model): listed once', async () => {
    await engagedCompany('raced');
    const alwaysDue: DueEngagements = async () => [{ companyId: 'raced', engagementNumber: 1, deadline: DEADLINE }];
    const a = startProcess(DEADLINE + 1, alwaysDue);
    const b = startProcess(DEADLINE + 2, alwaysDue);
    await Promise.all([a.passesMore(10), b.passesMore(10)]);
    await Promise.all([a.stop(), b.stop()]);

    expect(a.expired() + b.expired()).toBe(1);
    expect(await listings('raced')).toHaveLength(1);
  });

  it('pages past engagements that stay due but can no longer expire: the one behind them is listed in the same pass', async () => {
    await engagedCompany('stuck-a');
    await engagedCompany('stuck-b');
    await engagedCompany('then-due');
    for (const companyId of ['stuck-a', 'stuck-b']) {
      expect((await answer(companyId, { decision: 'engage', level: 'bronze' })).statusCode).toBe(200);
    }
    // A read model that still shows both answered engagements pending, ahead of the due one, pages of 2.
    const shown = ['stuck-a', 'stuck-b', 'then-due'].map((companyId) => ({ companyId, engagementNumber: 1, deadline: DEADLINE }));
    const lagging: DueEngagements = async (_now, limit, after) => shown.filter((row) => !after || row.companyId > after.companyId).slice(0, limit);
    const process = startProcess(DEADLINE + 1, lagging, 2);
    await process.passesMore(1);
    await process.stop();

    expect(process.passes[0]).toMatchObject({ due: 3, unchanged: 2, expired: [{ companyId: 'then-due' }] });
    expect(await listings('then-due')).toHaveLength(1);
    expect(await listings('stuck-a')).toEqual([]);
  });

  it('refuses a source that ignores the page it was asked for, instead of looping on the same page', async () => {
    const sameEveryTime: DueEngagements = async () => [{ companyId: 'nobody', engagementNumber: 1, deadline: DEADLINE }];
    const process = createEngagementDeadlines({ eventStore: fixture.eventStore, dueEngagements: sameEveryTime, clock: () => DEADLINE + 1, batchSize: 1, logger: pino({ level: 'silent' }) });
    await expect(process.expireDue()).rejects.toThrow('ignored `after`');
  });

  it('an engagement answered in time is never listed, even if the process is told it is due', async () => {
    await engagedCompany('answered');
    expect((await answer('answered', { decision: 'engage', level: 'silver' })).statusCode).toBe(200);
    const process = startProcess(DEADLINE + 1, async () => [{ companyId: 'answered', engagementNumber: 1, deadline: DEADLINE }]);
    await process.passesMore(3);
    await process.stop();
    expect(process.expired()).toBe(0);
    expect(await listings('answered')).toEqual([]);
  });
});
