// The workplace read side end to end on real servers: HTTP commands → PostgreSQL event store → relay →
// Kafka (3 partitions: company and review streams land on different ones) → workplace projection worker →
// `projection_workplace` → HTTP queries, held to the fold of the log. The deadline process reads the
// same Kafka-fed read model. The relay writes the Confluent wire format here (registry ids, resolved by the
// worker through the test schema registry); the other read sides' e2e specs cover single-object values.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngagementDeadlines } from '../../commands/workplace/engagement-deadlines.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import { listParked, waitForWatermark } from '../runtime/index.ts';
import { startKafkaReadSide, type KafkaReadSide } from '../testing/kafka-read-side.ts';
import { dueEngagements } from './queries.ts';
import { summarizeScore, type ScoreTally } from './score-statistics.ts';
import { WORKPLACE_PROJECTION, workplaceProjection } from './workplace-projection.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-01-01T00:00:00Z');
let now = START;
let fixture: HttpFixture;
let app: FastifyInstance;
let readSide: KafkaReadSide | undefined;

beforeAll(async () => {
  // A gateway whose read side is fed by Kafka, not the local bus.
  fixture = await createHttpFixture({ clock: () => now, readSide: 'fed-elsewhere' });
  app = fixture.app;
  readSide = startKafkaReadSide({ eventStore: fixture.eventStore, db: fixture.db, projection: workplaceProjection, name: 'workplace', valueFormat: 'confluent' });
  await readSide.ready;
});
afterAll(async () => {
  try {
    await readSide?.stop();
  } finally {
    await fixture?.close();
  }
});

const send = async (method: 'POST' | 'DELETE', url: string, credential: Credential, payload?: object, expected = [200, 201, 202]) => {
  const response = await app.inject({ method, url, headers: credential, ...(payload ? { payload } : {}) });
  expect(expected, `${method} ${url}: ${response.body}`).toContain(response.statusCode);
  return response.json();
};
const query = async (url: string) => {
  const head = await fixture.eventStore.headLsn();
  const response = await app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}consistentWith=${head}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

/** Deterministic, varied scores: review i of a company centred on `level`. */
const scoresFor = (level: number, i: number) => {
  const at = (offset: number) => Math.max(0, Math.min(100, level + ((i * 37 + offset * 11) % 21) - 10));
  return { managementQuality: at(1), cultureEnvironment: at(2), fairnessEquity: at(3), transparency: at(4), growthDevelopment: at(5) };
};

async function companyWithReviews(companyId: string, level: number, reviews: number) {
  await send('POST', '/v1/companies', fixture.admin, { companyId, name: `Company ${companyId}` });
  // Each review by a subject of its own, all at once.
  const reviewers = await Promise.all(Array.from({ length: reviews }, (_, i) => fixture.keyFor({ role: 'auditor', subject: `${companyId}/${i}` })));
  await Promise.all(reviewers.map((reviewer, i) => send('POST', `/v1/companies/${companyId}/submissions`, reviewer, { scores: scoresFor(level, i) })));
}

/** The score of every company, folded straight from the log: what the read model must show. */
async function foldedScores() {
  const tallies = new Map<string, ScoreTally>();
  for (const recorded of await fixture.eventStore.readAll({ fromLsn: 1 })) {
    const event = decodeEvent(recorded.data);
    if (event.type !== 'SubmissionScored') continue;
    const tally = tallies.get(event.data.companyId) ?? {
      sampleSize: 0,
      componentSums: { managementQuality: 0, cultureEnvironment: 0, fairnessEquity: 0, transparency: 0, growthDevelopment: 0 },
      overallSum: 0n,
      overallSumOfSquares: 0n,
    };
    tally.sampleSize += 1;
    for (const name of Object.keys(tally.componentSums) as Array<keyof ScoreTally['componentSums']>) tally.componentSums[name] += event.data[name];
    tally.overallSum += BigInt(event.data.overallScore);
    tally.overallSumOfSquares += BigInt(event.data.overallScore) ** 2n;
    tallies.set(event.data.companyId, tally);
  }
  return new Map([...tallies].map(([companyId, tally]) => [companyId, summarizeScore(tally)]));
}

describe('workplace read side over Kafka', () => {
  it('projects reviews into company scores equal to the fold of the log, insufficient_data below 5', async () => {
    await companyWithReviews('good', 70, 40);
    await companyWithReviews('poor', 25, 12);
    await companyWithReviews('quiet', 80, 3);
    await companyWithReviews('silent', 20, 9);
    await companyWithReviews('ghosted', 45, 6);

    const folded = await foldedScores();
    for (const companyId of ['good', 'poor', 'quiet', 'silent', 'ghosted']) {
      const { asOfLsn, name, companyId: id, ...score } = await query(`/v1/companies/${companyId}/score`);
      expect({ id, name }).toEqual({ id: companyId, name: `Company ${companyId}` });
      expect(score, companyId).toEqual(folded.get(companyId));
    }
    expect((await query('/v1/companies/quiet/score')).status).toBe('insufficient_data');
    expect((await query('/v1/companies/good/score')).sampleSize).toBe(40);
  });

  it('engagement outcomes reach the certifications, engagement and watch-list queries', async () => {
    // good engages at platinum; poor declines; silent is listed by an admin for its low score.
    const admin = fixture.admin;
    await send('POST', '/v1/companies/good/engagement', admin);
    await send('POST', '/v1/companies/poor/engagement', admin);
    await send('POST', '/v1/companies/ghosted/engagement', admin);
    await send('POST', '/v1/companies/quiet/engagement', admin, undefined, [409]);
    now = START + 5 * DAY;
    // Each company answers with its own grant.
    const companyKey = (companyId: string) => fixture.keyFor({ role: 'company', scope: companyId });
    const certified = await send('POST', '/v1/companies/good/engagement/response', await companyKey('good'), { decision: 'engage', level: 'platinum' });
    expect(certified.certification).toEqual({ level: 'platinum', fee: { amountMinor: 7_500_000, currency: 'USD' } });
    await send('POST', '/v1/companies/poor/engagement/response', await companyKey('poor'), { decision: 'decline' });
    await send('POST', '/v1/companies/silent/watch-list', admin, { reason: 'low_score' });

    expect((await query('/v1/companies/good/certifications')).certifications).toEqual([
      { engagementNumber: 1, level: 'platinum', fee: { amountMinor: 7_500_000, currency: 'USD' }, issuedAt: new Date(now).toISOString() },
    ]);
    expect((await query('/v1/companies/good/engagement')).current).toMatchObject({ status: 'certified' });
    const list = (await query('/v1/watch-list')).companies as Array<{ companyId: string; reason: string }>;
    expect(list.map((entry) => [entry.companyId, entry.reason]).sort()).toEqual([
      ['poor', 'declined'],
      ['silent', 'low_score'],
    ]);
  });

  it('the deadline process on the Kafka-fed read model lists the company that never answered', async () => {
    const deadlines = createEngagementDeadlines({
      eventStore: fixture.eventStore,
      dueEngagements: (at, limit, after) => dueEngagements(fixture.db.knex, at, limit, after),
      clock: () => START + 61 * DAY,
      logger: pino({ level: 'silent' }),
    });
    const pass = await deadlines.expireDue();
    expect(pass.expired).toEqual([{ companyId: 'ghosted', engagementNumber: 1, deadline: START + 60 * DAY }]);

    const list = (await query('/v1/watch-list')).companies as Array<{ companyId: string; reason: string; since: string }>;
    expect(list.find((entry) => entry.companyId === 'ghosted')).toMatchObject({ reason: 'no_response', since: new Date(START + 60 * DAY).toISOString() });
    expect((await deadlines.expireDue()).expired).toEqual([]);

    // Delisting by hand, then: every stream projected, none parked, the watermark at the head.
    await send('DELETE', '/v1/companies/silent/watch-list', fixture.admin);
    const head = await fixture.eventStore.headLsn();
    await waitForWatermark(fixture.db, WORKPLACE_PROJECTION, head, { timeoutMs: 30_000 });
    expect(((await query('/v1/watch-list')).companies as Array<{ companyId: string }>).map((c) => c.companyId).sort()).toEqual(['ghosted', 'poor']);
    expect(await listParked(fixture.db, [workplaceProjection])).toEqual([]);
  });
});
