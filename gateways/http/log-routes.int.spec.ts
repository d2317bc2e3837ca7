import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
let decisionId: string;
/** The raw log is for auditors (and admins). */
let auditor: Credential;

beforeAll(async () => {
  fixture = await createHttpFixture();
  auditor = await fixture.keyFor({ role: 'auditor' });
  const convener = await fixture.keyFor({ role: 'convener' });
  const ballotBox = await fixture.keyFor({ role: 'ballot-box' });
  const created = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', headers: convener, payload: { title: 'Log', options: ['a', 'b'] } });
  decisionId = created.json().decisionId;
  for (const voterId of ['v1', 'v2', 'v3']) {
    await fixture.app.inject({ method: 'POST', url: `/v1/decisions/${decisionId}/votes`, headers: ballotBox, payload: { voterId, option: 'a' } });
  }
  await fixture.app.inject({ method: 'POST', url: `/v1/decisions/${decisionId}/close`, headers: convener });
});
afterAll(async () => fixture.close());

describe('GET /v1/log', () => {
  it('returns every event in LSN order with decoded data, metadata and record time', async () => {
    const response = await fixture.app.inject({ url: '/v1/log', headers: auditor });
    expect(response.statusCode).toBe(200);
    const { events } = response.json();
    expect(events.map((e: { lsn: number }) => e.lsn)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['DecisionCreated', 'VoteCast', 'VoteCast', 'VoteCast', 'DecisionClosed']);
    expect(events[0]).toMatchObject({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      streamId: `decision-${decisionId}`,
      revision: 0,
      data: { decisionId, title: 'Log', options: ['a', 'b'], weights: { citizen: 1, expert: 3, community: 2 } },
      metadata: { correlationId: expect.any(String) },
    });
    expect(new Date(events[0].recordedAt).toString()).not.toBe('Invalid Date');
  });

  it('pages with fromLsn and limit', async () => {
    const page = (await fixture.app.inject({ url: '/v1/log?fromLsn=2&limit=2', headers: auditor })).json();
    expect(page.events.map((e: { lsn: number }) => e.lsn)).toEqual([2, 3]);
    const beyond = (await fixture.app.inject({ url: '/v1/log?fromLsn=99', headers: auditor })).json();
    expect(beyond.events).toEqual([]);
  });

  it('answers 400 naming the query field for a bad page', async () => {
    for (const [query, path] of [['limit=0', 'limit'], ['limit=5000', 'limit'], ['fromLsn=0', 'fromLsn'], ['fromLsn=x', 'fromLsn']]) {
      const response = await fixture.app.inject({ url: `/v1/log?${query}`, headers: auditor });
      expect(response.statusCode).toBe(400);
      expect(response.json().issues[0].path).toBe(path);
    }
  });
});

describe('GET /v1/streams/:streamId/events', () => {
  it('returns one stream by revision', async () => {
    const { events } = (await fixture.app.inject({ url: `/v1/streams/decision-${decisionId}/events`, headers: auditor })).json();
    expect(events.map((e: { type: string; revision: number }) => [e.type, e.revision])).toEqual([
      ['DecisionCreated', 0],
      ['DecisionClosed', 1],
    ]);
    const fromOne = (await fixture.app.inject({ url: `/v1/streams/decision-${decisionId}/events?fromRevision=1`, headers: auditor })).json();
    expect(fromOne.events.map((e: { revision: number }) => e.revision)).toEqual([1]);
  });

  it('returns an empty list for a stream that does not exist', async () => {
    const response = await fixture.app.inject({ url: '/v1/streams/decision-missing/events', headers: auditor });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ events: [] });
  });
});

describe('health', () => {
  it('/healthz is alive and /readyz checks the stores', async () => {
    expect((await fixture.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await fixture.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { eventStore: 'ok' } });
  });

  it('/readyz answers 503 when a store is unreachable', async () => {
    const broken = await createHttpFixture({ readinessChecks: { database: async () => Promise.reject(new Error('down')) } });
    try {
      const ready = await broken.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'not_ready', checks: { database: 'unreachable', eventStore: 'ok' } });
    } finally {
      await broken.close();
    }
  });

  it('answers unknown routes with 404 not_found in the error shape', async () => {
    const response = await fixture.app.inject({ url: '/v1/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found', message: expect.any(String) });
  });
});
