// `?consistentWith=` under load: waiting queries share one watermark read per poll interval, are capped
// (503 busy with Retry-After), and still time out with 504.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import type { ReadModels } from '../../ports/read-models.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import { readModelsOf } from '../composition/read-models.ts';
import { createHttpFixture, GENEROUS_RATE_LIMITS, type HttpFixture } from '../testing/http-fixture.ts';
import { buildHttpApp } from './app.ts';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
});
afterAll(async () => fixture.close());

/** The fixture's database, counting the watermark reads (queries of a projection's checkpoints) made through it. */
function countingWatermarkReads(db: SqlDatabase) {
  const counter = { reads: 0 };
  const counted: SqlDatabase = Object.create(db);
  counted.query = (text, params) => {
    if (/min\(applied_lsn\)/.test(text)) counter.reads += 1;
    return db.query(text, params);
  };
  return { db: counted, counter };
}

/** Read models whose waitFor tells the test how many requests have started waiting. */
function announcingWaits(readModels: ReadModels) {
  const waiting: Array<() => void> = [];
  let entered = 0;
  const entries = (count: number) => new Promise<void>((resolve) => (entered >= count ? resolve() : waiting.push(() => entered >= count && resolve())));
  const announced: ReadModels = {
    ...readModels,
    waitFor(projection, lsn, timeoutMs) {
      const result = readModels.waitFor(projection, lsn, timeoutMs);
      entered += 1;
      for (const wake of waiting) wake();
      return result;
    },
  };
  return { readModels: announced, entries };
}

async function gatewayWith(readModels: ReadModels, consistencyTimeoutMs: number) {
  return buildHttpApp({
    eventStore: fixture.eventStore,
    idempotency: new PostgresIdempotencyStore(fixture.db.pool),
    readModels,
    consistencyTimeoutMs,
    rateLimits: GENEROUS_RATE_LIMITS,
  });
}

describe('?consistentWith= waiting', () => {
  it('reads the watermark once per poll interval for a hundred waiting queries, and times each out with 504', async () => {
    const { db, counter } = countingWatermarkReads(fixture.db);
    const app = await gatewayWith(readModelsOf(db, { maxWaiters: 1000, pollIntervalMs: 20 }), 400);
    try {
      const far = (await fixture.headLsn()) + 1_000_000;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => app.inject({ method: 'GET', url: `/v1/decisions/none/results?consistentWith=${far}` })),
      );
      const elapsed = Date.now() - started;
      expect(answers.map((answer) => [answer.statusCode, answer.json().error])).toEqual(Array.from({ length: 100 }, () => [504, 'read_model_timeout']));
      // One loop: at most one read per 20 ms while they waited (each polling alone would be 100 times that).
      expect(counter.reads).toBeGreaterThan(0);
      expect(counter.reads).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + 1);
    } finally {
      await app.close();
    }
  });

  it('wakes the waiting queries when the read model applies their LSN', async () => {
    const { readModels, entries } = announcingWaits(readModelsOf(fixture.db));
    const app = await gatewayWith(readModels, 5000);
    try {
      const convener = await fixture.keyFor({ role: 'convener' });
      const next = (await fixture.headLsn()) + 1;
      const waits = Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: `/v1/decisions?consistentWith=${next}` }));
      await entries(20);
      const created = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', headers: convener, payload: { title: 'wake', options: ['a', 'b'] } });
      expect(created.statusCode).toBe(201);
      for (const answer of await Promise.all(waits)) {
        expect(answer.statusCode).toBe(200);
        expect(answer.json().asOfLsn).toBeGreaterThanOrEqual(next);
      }
    } finally {
      await app.close();
    }
  });

  it('answers 503 busy with Retry-After beyond CONSISTENCY_MAX_WAITERS, and takes queries again once waiters left', async () => {
    const { readModels, entries } = announcingWaits(readModelsOf(fixture.db, { maxWaiters: 3 }));
    const app = await gatewayWith(readModels, 1000);
    try {
      const far = (await fixture.headLsn()) + 1_000_000;
      const waiting = Array.from({ length: 3 }, () => app.inject({ method: 'GET', url: `/v1/decisions?consistentWith=${far}` }));
      await entries(3);
      const refused = await app.inject({ method: 'GET', url: `/v1/decisions?consistentWith=${far}` });
      expect([refused.statusCode, refused.json().error]).toEqual([503, 'busy']);
      expect(refused.headers['retry-after']).toBe('1');
      expect((await Promise.all(waiting)).map((answer) => answer.statusCode)).toEqual([504, 504, 504]);
      // The places are free again: a query for an applied LSN is answered.
      expect((await app.inject({ method: 'GET', url: `/v1/decisions?consistentWith=0` })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
