import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../events-schema/index.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
/** Opens and closes the decisions here. */
let convener: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true, consistencyTimeoutMs: 1500 });
  convener = await fixture.keyFor({ role: 'convener' });
});
afterAll(async () => fixture.close());

const post = (url: string, payload?: unknown, as: Credential = convener) => fixture.app.inject({ method: 'POST', url, payload: payload as object, headers: as });
const get = (url: string) => fixture.app.inject({ url });

describe('GET /v1/decisions/:id/results', () => {
  it('answers results consistent with a command’s LSN: counts, class-weighted totals, counts by class', async () => {
    await post('/v1/decisions', { decisionId: 'q1', title: 'Q1', options: ['yes', 'no'] });
    // Three signed-in voters: a citizen (no grant), an expert (global grant), community for q1 only.
    const [citizen, expert, community] = [await fixture.signIn(), await fixture.signIn(), await fixture.signIn()];
    await fixture.grant(expert.subject, 'expert');
    await fixture.grant(community.subject, 'community', 'q1');
    await post('/v1/decisions/q1/votes', { option: 'yes' }, citizen);
    await post('/v1/decisions/q1/votes', { option: 'yes' }, expert);
    const last = (await post('/v1/decisions/q1/votes', { option: 'no' }, community)).json();
    const response = await get(`/v1/decisions/q1/results?consistentWith=${last.lsn}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      decisionId: 'q1',
      title: 'Q1',
      status: 'open',
      closesAt: null,
      totals: { yes: 2, no: 1 },
      weighted: { yes: 4, no: 2 },
      byClass: { citizen: { yes: 1, no: 0 }, expert: { yes: 1, no: 0 }, community: { yes: 0, no: 1 } },
      votes: 3,
      lateVotes: 0,
      asOfLsn: expect.any(Number),
    });
    expect(response.json().asOfLsn).toBeGreaterThanOrEqual(last.lsn);
  });

  it('shows a closed decision as closed', async () => {
    await post('/v1/decisions', { decisionId: 'q2', title: 'Q2', options: ['a', 'b'] });
    const { lsn } = (await post('/v1/decisions/q2/close')).json();
    expect((await get(`/v1/decisions/q2/results?consistentWith=${lsn}`)).json().status).toBe('closed');
  });

  it('answers 504 read_model_timeout when the read model cannot reach the LSN in time, 404 for an unknown decision', async () => {
    const head = await fixture.eventStore.headLsn();
    const timeout = await get(`/v1/decisions/q1/results?consistentWith=${head + 1000}`);
    expect(timeout.statusCode).toBe(504);
    expect(timeout.json()).toMatchObject({ error: 'read_model_timeout', message: expect.stringContaining(String(head + 1000)) });
    const missing = await get(`/v1/decisions/none/results?consistentWith=${head}`);
    expect([missing.statusCode, missing.json().error]).toEqual([404, 'decision_not_found']);
  });
});

describe('GET /v1/decisions', () => {
  it('lists decisions newest first, filtered by status, paged with an opaque cursor', async () => {
    for (const id of ['l1', 'l2', 'l3']) await post('/v1/decisions', { decisionId: id, title: id, options: ['a', 'b'] });
    const { lsn } = (await post('/v1/decisions/l2/close')).json();
    const first = (await get(`/v1/decisions?limit=2&consistentWith=${lsn}`)).json();
    expect(first.decisions.map((d: { decisionId: string }) => d.decisionId)).toEqual(['l3', 'l2']);
    const second = (await get(`/v1/decisions?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.decisions[0].decisionId).toBe('l1');
    const closed = (await get('/v1/decisions?status=closed&limit=200')).json();
    expect(closed.decisions.map((d: { decisionId: string }) => d.decisionId)).toContain('l2');
    expect(closed.decisions.map((d: { decisionId: string }) => d.decisionId)).not.toContain('l3');
  });

  it('answers 400 naming the field for a bad cursor, status or limit', async () => {
    for (const [query, path] of [['cursor=bogus', 'cursor'], ['status=maybe', 'status'], ['limit=0', 'limit']]) {
      const response = await get(`/v1/decisions?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().issues[0].path).toBe(path);
    }
  });
});

describe('parked events', () => {
  it('lists an event the projection refused, and a retry that still fails answers 409 retry_failed', async () => {
    // A close without its decision: the read model refuses it and parks its stream.
    const { lastLsn } = await fixture.eventStore.appendToStream('decision-ghost', [
      {
        eventId: '6f1c6a2e-0000-4000-8000-000000000001',
        type: 'DecisionClosed',
        data: encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'ghost', closedAt: 1, reason: 'manual' } }),
        metadata: {},
      },
    ]);
    expect((await get(`/v1/decisions?consistentWith=${lastLsn}`)).statusCode).toBe(200);
    const { parked } = (await fixture.app.inject({ url: '/v1/admin/parked', headers: fixture.admin })).json();
    expect(parked).toEqual([expect.objectContaining({ projection: 'governance', streamId: 'decision-ghost', lsn: lastLsn, type: 'DecisionClosed' })]);
    const retry = await post('/v1/admin/parked/governance/decision-ghost/retry', undefined, fixture.admin);
    expect([retry.statusCode, retry.json().error]).toEqual([409, 'retry_failed']);
    const nothing = await post('/v1/admin/parked/governance/decision-other/retry', undefined, fixture.admin);
    expect(nothing.json()).toEqual({ status: 'nothing_parked', streamId: 'decision-other' });
    expect((await post('/v1/admin/parked/nope/x/retry', undefined, fixture.admin)).statusCode).toBe(404);
  });
});
