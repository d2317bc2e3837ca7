import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { expectNothingAppended as nothingAppended } from '../testing/http-expectations.ts';

let fixture: HttpFixture;
let now = Date.parse('2030-01-01T00:00:00Z');
/** Opens the decisions of these tests. */
let convener: Credential & { subject: string; keyId: string };
/** Names the voters it has authenticated itself. */
let ballotBox: Credential & { subject: string; keyId: string };

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now });
  convener = await fixture.keyFor({ role: 'convener', subject: 'town-hall' });
  ballotBox = await fixture.keyFor({ role: 'ballot-box', subject: 'polling-station-7' });
});
afterAll(async () => fixture.close());
beforeEach(() => {
  now = Date.parse('2030-01-01T00:00:00Z');
});

const post = (url: string, payload: unknown, as: Credential | undefined, headers: Record<string, string> = {}) =>
  fixture.app.inject({ method: 'POST', url, payload: payload as object, headers: { ...(as ?? {}), ...headers } });

let counter = 0;
async function openDecision(extra: Record<string, unknown> = {}, as: Credential = convener) {
  const decisionId = `dec-${++counter}`;
  const response = await post('/v1/decisions', { decisionId, title: 'New park', options: ['yes', 'no'], ...extra }, as);
  expect(response.statusCode, response.body).toBe(201);
  return decisionId;
}

const vote = (decisionId: string, as: Credential | undefined, body: Record<string, unknown> = { option: 'yes' }) =>
  post(`/v1/decisions/${decisionId}/votes`, body, as);
const close = (decisionId: string, as: Credential | undefined) => post(`/v1/decisions/${decisionId}/close`, undefined, as);

/** The recorded event at `lsn`, with its data decoded (read as an admin through /v1/log). */
async function eventAt(lsn: number) {
  const log = await fixture.app.inject({ url: `/v1/log?fromLsn=${lsn}&limit=1`, headers: fixture.admin });
  expect(log.statusCode, log.body).toBe(200);
  const [event] = log.json().events;
  expect(event.lsn).toBe(lsn);
  return event as { eventId: string; type: string; streamId: string; data: Record<string, unknown>; metadata: Record<string, unknown> };
}

/** Every refusal must leave the log as it was. */
const expectNothingAppended = (action: () => Promise<unknown>) => nothingAppended(fixture, action);

/** A refusal with its status and error code, and nothing appended. */
async function expectRefused(send: () => Promise<{ statusCode: number; json(): { error: string; message: string } }>, status: number, error: string) {
  let message = '';
  await expectNothingAppended(async () => {
    const response = await send();
    expect([response.statusCode, response.json().error]).toEqual([status, error]);
    message = response.json().message;
  });
  return message;
}

describe('POST /v1/decisions', () => {
  it('creates a decision and answers with its id, stream and LSN; the event records its creator', async () => {
    const response = await post('/v1/decisions', { title: 'Bike lanes', options: ['yes', 'no', 'later'] }, convener);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ decisionId: expect.any(String), streamId: `decision-${body.decisionId}`, lsn: expect.any(Number) });
    const event = await eventAt(body.lsn);
    expect(event).toMatchObject({ type: 'DecisionCreated', streamId: body.streamId, data: { createdBy: 'town-hall' }, metadata: { actor: 'town-hall', keyId: convener.keyId } });
  });

  it('keeps a client-chosen id and refuses it a second time with 409 decision_exists', async () => {
    const decisionId = await openDecision();
    await expectRefused(() => post('/v1/decisions', { decisionId, title: 'x', options: ['a', 'b'] }, convener), 409, 'decision_exists');
  });

  it.each([
    [{ options: ['a', 'b'] }, 'title'],
    [{ title: 'x', options: ['a'] }, 'options'],
    [{ title: 'x', options: ['a', 'a'] }, 'options.1'],
    [{ title: 'x', options: ['a', ''] }, 'options.1'],
    [{ title: 'line\u0000break', options: ['a', 'b'] }, 'title'],
    [{ title: 'x', options: ['a', 'b\u0007'] }, 'options.1'],
    [{ title: 'x', options: ['a', 'b'], closesAt: 'tomorrow' }, 'closesAt'],
    [{ title: 'x', options: ['a', 'b'], decisionId: 'no spaces' }, 'decisionId'],
    [{ title: 'x', options: ['a', 'b'], colour: 'red' }, 'colour'],
    [{ title: 'x', options: ['a', 'b'], createdBy: 'someone-else' }, 'createdBy'],
  ])('answers 400 invalid_request naming the failing field for %j', async (payload, path) => {
    await expectNothingAppended(async () => {
      const response = await post('/v1/decisions', payload, convener);
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error).toBe('invalid_request');
      expect(body.issues.map((issue: { path: string }) => issue.path)).toContain(path);
    });
  });

  it('refuses a deadline in the past with 422 closes_at_in_past', async () => {
    const response = await post('/v1/decisions', { title: 'x', options: ['a', 'b'], closesAt: '2029-12-31T00:00:00Z' }, convener);
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe('closes_at_in_past');
  });

  it('accepts JSON only: 415 for text, 400 invalid_json for broken JSON, 413 for an oversized body', async () => {
    await expectNothingAppended(async () => {
      const text = await post('/v1/decisions', 'title=x', convener, { 'content-type': 'text/plain' });
      expect(text.statusCode).toBe(415);
      expect(text.json().error).toBe('unsupported_media_type');
      const broken = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', payload: '{"title":', headers: { ...convener, 'content-type': 'application/json' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json().error).toBe('invalid_json');
      const huge = await post('/v1/decisions', { title: 'x'.repeat(70_000), options: ['a', 'b'] }, convener);
      expect(huge.statusCode).toBe(413);
      expect(huge.json().error).toBe('payload_too_large');
    });
  });
});

describe('who may create a decision', () => {
  const body = { title: 'Who decides?', options: ['yes', 'no'] };

  it('nobody without a credential (401), nor a signed-in subject without role convener (403)', async () => {
    await expectRefused(() => post('/v1/decisions', body, undefined), 401, 'unauthenticated');
    await expectRefused(() => post('/v1/decisions', body, { authorization: 'Bearer not-a-credential' }), 401, 'unauthenticated');
    const citizen = await fixture.signIn();
    expect(await expectRefused(() => post('/v1/decisions', body, citizen), 403, 'forbidden')).toContain('convener');
    const auditor = await fixture.keyFor({ role: 'auditor' });
    await expectRefused(() => post('/v1/decisions', body, auditor), 403, 'forbidden');
  });

  it('not a convener whose grant is scoped to some other id (403)', async () => {
    const scoped = await fixture.keyFor({ role: 'convener', scope: 'dec-elsewhere' });
    await expectRefused(() => post('/v1/decisions', { ...body, decisionId: 'dec-scoped' }, scoped), 403, 'forbidden');
  });

  it('a signed-in subject granted convener, recorded as the creator; and an admin', async () => {
    const wallet = await fixture.signIn();
    await fixture.grant(wallet.subject, 'convener');
    const byWallet = await post('/v1/decisions', body, wallet);
    expect(byWallet.statusCode, byWallet.body).toBe(201);
    expect((await eventAt(byWallet.json().lsn)).data.createdBy).toBe(wallet.subject);
    const byAdmin = await post('/v1/decisions', body, fixture.admin);
    expect(byAdmin.statusCode).toBe(201);
    expect((await eventAt(byAdmin.json().lsn)).data.createdBy).toBe('admin');
  });
});

describe('POST /v1/decisions/:id/votes', () => {
  it('accepts a vote with 202, its event id and LSN: the voter is the signed-in subject, a citizen without grants', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    const response = await vote(decisionId, voter);
    expect(response.statusCode).toBe(202);
    const { eventId, lsn } = response.json();
    const event = await eventAt(lsn);
    expect(event).toMatchObject({ eventId, type: 'VoteCast', streamId: `ballot-${decisionId}:${voter.subject}` });
    expect(event.data).toMatchObject({ voterId: voter.subject, option: 'yes', voterClass: 'citizen', weight: 1 });
    expect(event.metadata.actor).toBe(voter.subject);
    expect(event.metadata.keyId).toBeUndefined();
  });

  it('refuses a second vote by the same voter with 409 already_voted', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    expect((await vote(decisionId, voter)).statusCode).toBe(202);
    await expectRefused(() => vote(decisionId, voter, { option: 'no' }), 409, 'already_voted');
  });

  it('lets exactly one of many simultaneous votes by one voter through', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    const answers = await Promise.all(Array.from({ length: 20 }, () => vote(decisionId, voter)));
    expect(answers.filter((a) => a.statusCode === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409).every((a) => a.json().error === 'already_voted')).toBe(true);
    const ballot = await fixture.eventStore.readStream(`ballot-${decisionId}:${voter.subject}`);
    expect(ballot.events).toHaveLength(1);
  });

  it('refuses an unknown option with 422, an unknown decision with 404, a closed one with 409', async () => {
    // Within the voter's session (an hour): the clock moves to the deadline.
    const decisionId = await openDecision({ closesAt: '2030-01-01T00:30:00Z' });
    const voter = await fixture.signIn();
    await expectRefused(() => vote(decisionId, voter, { option: 'maybe' }), 422, 'unknown_option');
    await expectRefused(() => vote('nope', voter), 404, 'decision_not_found');
    now = Date.parse('2030-01-01T00:30:00Z');
    await expectRefused(() => vote(decisionId, voter), 409, 'decision_closed');
  });

  it('answers 400 naming the field for a voterClass in the body, a malformed voterId or a control character in the option', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    await expectNothingAppended(async () => {
      for (const [as, body, path] of [
        [voter, { option: 'yes', voterClass: 'expert' }, 'voterClass'],
        [ballotBox, { option: 'yes', voterId: 'ana', voterClass: 'citizen' }, 'voterClass'],
        [ballotBox, { option: 'yes', voterId: 'ed 1' }, 'voterId'],
        [voter, { option: 'yes\u0000' }, 'option'],
      ] as const) {
        const response = await vote(decisionId, as, body);
        expect([response.statusCode, response.json().error], JSON.stringify(body)).toEqual([400, 'invalid_request']);
        expect(response.json().issues.map((issue: { path: string }) => issue.path)).toContain(path);
      }
    });
  });
});

describe('who votes, and with which weight', () => {
  it('nobody without a credential (401)', async () => {
    const decisionId = await openDecision();
    await expectRefused(() => vote(decisionId, undefined), 401, 'unauthenticated');
    await expectRefused(() => vote(decisionId, undefined, { option: 'yes', voterId: 'ana' }), 401, 'unauthenticated');
  });

  it('only a ballot box names a voter: anyone else naming one, even itself, gets 403 naming the ballot-box role', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    expect(await expectRefused(() => vote(decisionId, voter, { option: 'yes', voterId: 'someone-else' }), 403, 'forbidden')).toContain('ballot-box');
    await expectRefused(() => vote(decisionId, voter, { option: 'yes', voterId: voter.subject }), 403, 'forbidden');
    const auditor = await fixture.keyFor({ role: 'auditor' });
    expect(await expectRefused(() => vote(decisionId, auditor, { option: 'yes', voterId: 'someone-else' }), 403, 'forbidden')).toContain('ballot-box');
    await expectRefused(() => vote(decisionId, fixture.admin, { option: 'yes', voterId: 'someone-else' }), 403, 'forbidden');
    const otherBallotBox = await fixture.keyFor({ role: 'ballot-box', scope: 'dec-elsewhere' });
    await expectRefused(() => vote(decisionId, otherBallotBox, { option: 'yes', voterId: 'someone-else' }), 403, 'forbidden');
  });

  it('a ballot box votes for the voter it names: the event records the voter as voter and the ballot box as actor', async () => {
    const decisionId = await openDecision();
    const response = await vote(decisionId, ballotBox, { option: 'no', voterId: 'ana' });
    expect(response.statusCode, response.body).toBe(202);
    const event = await eventAt(response.json().lsn);
    expect(event).toMatchObject({ type: 'VoteCast', streamId: `ballot-${decisionId}:ana`, data: { voterId: 'ana', option: 'no', voterClass: 'citizen', weight: 1 } });
    expect(event.metadata).toMatchObject({ actor: 'polling-station-7', keyId: ballotBox.keyId });
    // A ballot box scoped to this decision may too.
    const local = await fixture.keyFor({ role: 'ballot-box', scope: decisionId });
    expect((await vote(decisionId, local, { option: 'no', voterId: 'bo' })).statusCode).toBe(202);
  });

  it('one ballot per voter whichever way it comes: a named address in any casing is the signed-in voter', async () => {
    const decisionId = await openDecision();
    const voter = await fixture.signIn();
    expect((await vote(decisionId, voter)).statusCode).toBe(202);
    await expectRefused(() => vote(decisionId, ballotBox, { option: 'no', voterId: voter.subject.toLowerCase() }), 409, 'already_voted');
  });

  it('gives expert weight only through a grant: global, or scoped to the decision; expert wins over community', async () => {
    const [first, second, third] = [await openDecision(), await openDecision(), await openDecision()];
    const weightOf = async (decisionId: string, as: Credential, body?: Record<string, unknown>) => {
      const response = await vote(decisionId, as, body);
      expect(response.statusCode, response.body).toBe(202);
      const { data } = await eventAt(response.json().lsn);
      return [data.voterClass, data.weight];
    };
    const voter = await fixture.signIn();
    expect(await weightOf(first, voter)).toEqual(['citizen', 1]);
    // Claiming the class is refused, and appends nothing.
    await expectRefused(() => vote(second, voter, { option: 'yes', voterClass: 'expert' }), 400, 'invalid_request');

    await fixture.grant(voter.subject, 'community', third);
    expect(await weightOf(third, voter)).toEqual(['community', 2]);
    expect(await weightOf(second, voter)).toEqual(['citizen', 1]); // the grant is for the third decision only

    const expert = await fixture.signIn();
    await fixture.grant(expert.subject, 'community');
    await fixture.grant(expert.subject, 'expert');
    expect(await weightOf(first, expert)).toEqual(['expert', 3]);

    // Named by a ballot box, the class is the named voter's, not the ballot box's.
    await fixture.grant('carla', 'expert', second);
    expect(await weightOf(second, ballotBox, { option: 'yes', voterId: 'carla' })).toEqual(['expert', 3]);
    expect(await weightOf(second, ballotBox, { option: 'yes', voterId: 'dan' })).toEqual(['citizen', 1]);
  });
});

describe('POST /v1/decisions/:id/close', () => {
  it('closes a decision (200 with LSN); a second close is 409, an unknown decision 404; votes are then refused', async () => {
    const decisionId = await openDecision();
    const closed = await close(decisionId, convener);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({ lsn: expect.any(Number) });
    expect((await eventAt(closed.json().lsn)).metadata.actor).toBe('town-hall');
    expect((await close(decisionId, convener)).json().error).toBe('decision_closed');
    expect((await close('nope', convener)).statusCode).toBe(404);
    const late = await vote(decisionId, await fixture.signIn());
    expect([late.statusCode, late.json().error]).toEqual([409, 'decision_closed']);
  });

  it('only by its creator or an admin: 401 without a credential, 403 for any other subject, another convener included', async () => {
    const decisionId = await openDecision();
    await expectRefused(() => close(decisionId, undefined), 401, 'unauthenticated');
    const stranger = await fixture.signIn();
    expect(await expectRefused(() => close(decisionId, stranger), 403, 'forbidden')).toContain('creator');
    const otherConvener = await fixture.keyFor({ role: 'convener', subject: 'other-town-hall' });
    await openDecision({}, otherConvener);
    await expectRefused(() => close(decisionId, otherConvener), 403, 'forbidden');
    const admin = await close(decisionId, fixture.admin);
    expect(admin.statusCode).toBe(200);
    expect((await eventAt(admin.json().lsn)).metadata.actor).toBe('admin');
  });

  it('a signed-in convener closes the decision it opened', async () => {
    const wallet = await fixture.signIn();
    await fixture.grant(wallet.subject, 'convener');
    const decisionId = await openDecision({}, wallet);
    await expectRefused(() => close(decisionId, convener), 403, 'forbidden');
    expect((await close(decisionId, wallet)).statusCode).toBe(200);
  });
});

describe('concurrent commands on one stream', () => {
  it('retries a command that lost the race: of 20 simultaneous closes one succeeds, the others see it closed', async () => {
    const decisionId = await openDecision();
    const answers = await Promise.all(Array.from({ length: 20 }, () => close(decisionId, convener)));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode !== 200).map((a) => a.json().error)).toEqual(Array(19).fill('decision_closed'));
    expect((await fixture.eventStore.readStream(`decision-${decisionId}`)).events).toHaveLength(2);
  });
});

describe('event metadata', () => {
  it('carries correlation id, causation id and traceparent from the request, and the verified actor, never an x-actor header', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await post(
      '/v1/decisions',
      { title: 'Trees', options: ['oak', 'elm'] },
      convener,
      { traceparent, 'x-correlation-id': 'corr-1', 'x-actor': 'user:42', 'x-request-id': 'req-1' },
    );
    const [event] = await fixture.eventStore.readAll({ fromLsn: response.json().lsn, limit: 1 });
    expect(event!.metadata).toMatchObject({ traceparent, correlationId: 'corr-1', causationId: 'req-1', actor: 'town-hall', keyId: convener.keyId });
  });

  it('stores no oversized or control-laden header: the correlation id falls back to a fresh request id, trace context is dropped', async () => {
    const oversized = 'c'.repeat(8192);
    const response = await post(
      '/v1/decisions',
      { title: 'Hedges', options: ['box', 'yew'] },
      convener,
      {
        traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
        tracestate: Array.from({ length: 33 }, (_, index) => `k${index}=v`).join(','),
        'x-correlation-id': oversized,
        'x-request-id': 'r'.repeat(129),
      },
    );
    expect(response.statusCode, response.body).toBe(201);
    const [event] = await fixture.eventStore.readAll({ fromLsn: response.json().lsn, limit: 1 });
    const { correlationId, causationId } = event!.metadata;
    expect(causationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlationId).toBe(causationId);
    expect(event!.metadata).not.toHaveProperty('traceparent');
    expect(event!.metadata).not.toHaveProperty('tracestate');

    // A valid traceparent keeps its tracestate only within W3C's bounds.
    const traced = await post('/v1/decisions', { title: 'Lawns', options: ['clover', 'grass'] }, convener, {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: `k=${'v'.repeat(600)}`,
      'x-correlation-id': 'corr id with spaces',
    });
    const [tracedEvent] = await fixture.eventStore.readAll({ fromLsn: traced.json().lsn, limit: 1 });
    expect(tracedEvent!.metadata.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(tracedEvent!.metadata).not.toHaveProperty('tracestate');
    expect(tracedEvent!.metadata.correlationId).toBe(tracedEvent!.metadata.causationId);
  });
});
