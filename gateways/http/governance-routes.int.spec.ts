import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
let now = Date.parse('2030-01-01T00:00:00Z');

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now });
});
afterAll(async () => fixture.close());
beforeEach(() => {
  now = Date.parse('2030-01-01T00:00:00Z');
});

const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  fixture.app.inject({ method: 'POST', url, payload: payload as object, headers });

let counter = 0;
async function openDecision(extra: Record<string, unknown> = {}) {
  const decisionId = `dec-${++counter}`;
  const response = await post('/v1/decisions', { decisionId, title: 'New park', options: ['yes', 'no'], ...extra });
  expect(response.statusCode, response.body).toBe(201);
  return decisionId;
}

/** Every refusal must leave the log as it was. */
async function expectNothingAppended(action: () => Promise<unknown>) {
  const before = await fixture.eventStore.headLsn();
  await action();
  expect(await fixture.eventStore.headLsn()).toBe(before);
}

describe('POST /v1/decisions', () => {
  it('creates a decision and answers with its id, stream and LSN', async () => {
    const response = await post('/v1/decisions', { title: 'Bike lanes', options: ['yes', 'no', 'later'] });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ decisionId: expect.any(String), streamId: `decision-${body.decisionId}`, lsn: expect.any(Number) });
    const [event] = (await fixture.eventStore.readAll({ fromLsn: body.lsn, limit: 1 }));
    expect(event).toMatchObject({ type: 'DecisionCreated', streamId: body.streamId, lsn: body.lsn });
  });

  it('keeps a client-chosen id and refuses it a second time with 409 decision_exists', async () => {
    const decisionId = await openDecision();
    await expectNothingAppended(async () => {
      const again = await post('/v1/decisions', { decisionId, title: 'x', options: ['a', 'b'] });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: 'decision_exists' });
    });
  });

  it.each([
    [{ options: ['a', 'b'] }, 'title'],
    [{ title: 'x', options: ['a'] }, 'options'],
    [{ title: 'x', options: ['a', 'a'] }, 'options.1'],
    [{ title: 'x', options: ['a', ''] }, 'options.1'],
    [{ title: 'x', options: ['a', 'b'], closesAt: 'tomorrow' }, 'closesAt'],
    [{ title: 'x', options: ['a', 'b'], decisionId: 'no spaces' }, 'decisionId'],
    [{ title: 'x', options: ['a', 'b'], colour: 'red' }, ''],
  ])('answers 400 invalid_request naming the failing field for %j', async (payload, path) => {
    await expectNothingAppended(async () => {
      const response = await post('/v1/decisions', payload);
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error).toBe('invalid_request');
      if (path) expect(body.issues.map((issue: { path: string }) => issue.path)).toContain(path);
      else expect(body.issues.length).toBeGreaterThan(0);
    });
  });

  it('refuses a deadline in the past with 422 closes_at_in_past', async () => {
    const response = await post('/v1/decisions', { title: 'x', options: ['a', 'b'], closesAt: '2029-12-31T00:00:00Z' });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe('closes_at_in_past');
  });

  it('accepts JSON only: 415 for text, 400 invalid_json for broken JSON, 413 for an oversized body', async () => {
    await expectNothingAppended(async () => {
      const text = await post('/v1/decisions', 'title=x', { 'content-type': 'text/plain' });
      expect(text.statusCode).toBe(415);
      expect(text.json().error).toBe('unsupported_media_type');
      const broken = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', payload: '{"title":', headers: { 'content-type': 'application/json' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json().error).toBe('invalid_json');
      const huge = await post('/v1/decisions', { title: 'x'.repeat(70_000), options: ['a', 'b'] });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().error).toBe('payload_too_large');
    });
  });
});

describe('POST /v1/decisions/:id/votes', () => {
  it('accepts a vote with 202, its event id and LSN, weighted by class', async () => {
    const decisionId = await openDecision();
    const response = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'ana', option: 'yes', voterClass: 'expert' });
    expect(response.statusCode).toBe(202);
    const { eventId, lsn } = response.json();
    const [event] = await fixture.eventStore.readAll({ fromLsn: lsn, limit: 1 });
    expect(event).toMatchObject({ eventId, type: 'VoteCast', streamId: `ballot-${decisionId}:ana` });
    const log = await fixture.app.inject({ url: `/v1/log?fromLsn=${lsn}&limit=1` });
    expect(log.json().events[0].data).toMatchObject({ option: 'yes', voterClass: 'expert', weight: 3 });
  });

  it('refuses a second vote by the same voter with 409 already_voted', async () => {
    const decisionId = await openDecision();
    await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'bo', option: 'yes', voterClass: 'citizen' });
    await expectNothingAppended(async () => {
      const again = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'bo', option: 'no', voterClass: 'citizen' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toBe('already_voted');
    });
  });

  it('lets exactly one of many simultaneous votes by one voter through', async () => {
    const decisionId = await openDecision();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(`/v1/decisions/${decisionId}/votes`, { voterId: 'cy', option: 'yes', voterClass: 'citizen' })),
    );
    expect(answers.filter((a) => a.statusCode === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409).every((a) => a.json().error === 'already_voted')).toBe(true);
    const ballot = await fixture.eventStore.readStream(`ballot-${decisionId}:cy`);
    expect(ballot.events).toHaveLength(1);
  });

  it('refuses an unknown option with 422, an unknown decision with 404, a closed one with 409', async () => {
    const decisionId = await openDecision({ closesAt: '2030-01-01T01:00:00Z' });
    await expectNothingAppended(async () => {
      const unknownOption = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'di', option: 'maybe', voterClass: 'citizen' });
      expect([unknownOption.statusCode, unknownOption.json().error]).toEqual([422, 'unknown_option']);
      const unknownDecision = await post('/v1/decisions/nope/votes', { voterId: 'di', option: 'yes', voterClass: 'citizen' });
      expect([unknownDecision.statusCode, unknownDecision.json().error]).toEqual([404, 'decision_not_found']);
      now = Date.parse('2030-01-01T01:00:00Z');
      const late = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'di', option: 'yes', voterClass: 'citizen' });
      expect([late.statusCode, late.json().error]).toEqual([409, 'decision_closed']);
    });
  });

  it('answers 400 naming the field for a bad voter class or voter id', async () => {
    const decisionId = await openDecision();
    const badClass = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'ed', option: 'yes', voterClass: 'mayor' });
    expect(badClass.statusCode).toBe(400);
    expect(badClass.json().issues[0].path).toBe('voterClass');
    const badVoter = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'ed:1', option: 'yes', voterClass: 'citizen' });
    expect(badVoter.json().issues[0].path).toBe('voterId');
  });
});

describe('POST /v1/decisions/:id/close', () => {
  it('closes a decision (200 with LSN); a second close is 409, an unknown decision 404; votes are then refused', async () => {
    const decisionId = await openDecision();
    const closed = await post(`/v1/decisions/${decisionId}/close`);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({ lsn: expect.any(Number) });
    expect((await post(`/v1/decisions/${decisionId}/close`)).json().error).toBe('decision_closed');
    expect((await post('/v1/decisions/nope/close')).statusCode).toBe(404);
    const vote = await post(`/v1/decisions/${decisionId}/votes`, { voterId: 'fa', option: 'yes', voterClass: 'citizen' });
    expect([vote.statusCode, vote.json().error]).toEqual([409, 'decision_closed']);
  });
});

describe('concurrent commands on one stream', () => {
  it('retries a command that lost the race: of 20 simultaneous closes one succeeds, the others see it closed', async () => {
    const decisionId = await openDecision();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(`/v1/decisions/${decisionId}/close`)));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode !== 200).map((a) => a.json().error)).toEqual(Array(19).fill('decision_closed'));
    expect((await fixture.eventStore.readStream(`decision-${decisionId}`)).events).toHaveLength(2);
  });
});

describe('event metadata', () => {
  it('carries correlation id, causation id, actor and traceparent from the request', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await post(
      '/v1/decisions',
      { title: 'Trees', options: ['oak', 'elm'] },
      { traceparent, 'x-correlation-id': 'corr-1', 'x-actor': 'user:42', 'x-request-id': 'req-1' },
    );
    const [event] = await fixture.eventStore.readAll({ fromLsn: response.json().lsn, limit: 1 });
    expect(event!.metadata).toMatchObject({ traceparent, correlationId: 'corr-1', causationId: 'req-1', actor: 'user:42' });
  });
});
