import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { idempotencyGuard, MAX_STORED_RESPONSE_BYTES, registerIdempotencyRecorder } from './idempotency.ts';

let fixture: HttpFixture;
/** Opens the decisions; votes come from a ballot box naming its voters. */
let convener: Credential;
let ballotBox: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture();
  convener = await fixture.keyFor({ role: 'convener' });
  ballotBox = await fixture.keyFor({ role: 'ballot-box' });
});
afterAll(async () => fixture.close());

const send = (as: () => Credential) => (url: string, payload: unknown, key?: string) =>
  fixture.app.inject({ method: 'POST', url, payload: payload as object, headers: { ...as(), ...(key ? { 'idempotency-key': key } : {}) } });
const post = send(() => convener);
const vote = send(() => ballotBox);

describe('Idempotency-Key', () => {
  it('returns the first answer to a retried create and appends nothing new', async () => {
    const first = await post('/v1/decisions', { title: 'Idem', options: ['a', 'b'] }, 'create-1');
    expect(first.statusCode).toBe(201);
    const head = await fixture.eventStore.headLsn();
    const retry = await post('/v1/decisions', { title: 'Idem', options: ['a', 'b'] }, 'create-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await fixture.eventStore.headLsn()).toBe(head);
  });

  it('replays a refusal too: the same key gets the same 409, not a different answer', async () => {
    const { decisionId } = (await post('/v1/decisions', { title: 'x', options: ['a', 'b'] })).json();
    await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'v', option: 'a' }, 'vote-a');
    const conflict = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'v', option: 'b' }, 'vote-b');
    expect(conflict.statusCode).toBe(409);
    const again = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'v', option: 'b' }, 'vote-b');
    expect([again.statusCode, again.body]).toEqual([409, conflict.body]);
  });

  it('answers 422 idempotency_key_reused when the key comes back with another request', async () => {
    await post('/v1/decisions', { title: 'one', options: ['a', 'b'] }, 'reused');
    const other = await post('/v1/decisions', { title: 'two', options: ['a', 'b'] }, 'reused');
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toBe('idempotency_key_reused');
  });

  it('lets many simultaneous requests with one key append exactly once', async () => {
    const { decisionId } = (await post('/v1/decisions', { title: 'race', options: ['a', 'b'] })).json();
    const head = await fixture.eventStore.headLsn();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'w', option: 'a' }, 'race-key')),
    );
    expect(await fixture.eventStore.headLsn()).toBe(head + 1);
    const accepted = answers.filter((a) => a.statusCode === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((a) => a.body)).size).toBe(1);
    for (const answer of answers.filter((a) => a.statusCode !== 202)) {
      expect(answer.json().error).toBe('idempotency_key_in_progress');
    }
  });

  it('recognises a command whose answer was lost: the derived event ids make the event store replay it', async () => {
    const { decisionId } = (await post('/v1/decisions', { title: 'lost', options: ['a', 'b'] })).json();
    const first = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'lost', option: 'a' }, 'lost-answer');
    // Simulate a crash after the append but before the answer was stored: the claim is left, unanswered, and stale.
    await fixture.db.pool.query(
      `update idempotency_keys set status_code = null, response_body = null, claimed_at = now() - interval '2 minutes' where key = 'lost-answer'`,
    );
    const head = await fixture.eventStore.headLsn();
    const retry = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'lost', option: 'a' }, 'lost-answer');
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual(first.json());
    expect(await fixture.eventStore.headLsn()).toBe(head);
  });

  it('rejects a malformed key with 400 naming the header', async () => {
    const response = await post('/v1/decisions', { title: 'x', options: ['a', 'b'] }, 'bad key with spaces');
    expect(response.statusCode).toBe(400);
    expect(response.json().issues[0].path).toBe('headers.idempotency-key');
  });
});

describe('Idempotency-Key scopes', () => {
  it('keeps two clients apart: the same key and body give each client its own decision', async () => {
    const otherConvener = await fixture.keyFor({ role: 'convener' });
    const body = { title: 'Shared key', options: ['a', 'b'] };
    const head = await fixture.headLsn();
    const mine = await post('/v1/decisions', body, 'shared-create');
    const theirs = await send(() => otherConvener)('/v1/decisions', body, 'shared-create');
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().decisionId).not.toBe(mine.json().decisionId);
    expect(await fixture.headLsn()).toBe(head + 2);
    // Each client's retry replays its own answer.
    const myRetry = await post('/v1/decisions', body, 'shared-create');
    const theirRetry = await send(() => otherConvener)('/v1/decisions', body, 'shared-create');
    expect([myRetry.json(), theirRetry.json()]).toEqual([mine.json(), theirs.json()]);
    expect(await fixture.headLsn()).toBe(head + 2);
  });

  it('gives two ballot boxes voting on one decision with one key their own events: neither is taken for a replay of the other', async () => {
    const otherBallotBox = await fixture.keyFor({ role: 'ballot-box' });
    const { decisionId } = (await post('/v1/decisions', { title: 'same stream', options: ['a', 'b'] })).json();
    const head = await fixture.headLsn();
    const first = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'first-voter', option: 'a' }, 'same-stream-key');
    const second = await send(() => otherBallotBox)(`/v1/decisions/${decisionId}/votes`, { voterId: 'second-voter', option: 'b' }, 'same-stream-key');
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.json()).not.toEqual(first.json());
    expect(await fixture.headLsn()).toBe(head + 2);
    const recorded = await fixture.eventStore.readAll({ fromLsn: head + 1 });
    expect(new Set(recorded.map((event) => event.eventId)).size).toBe(2);
  });

  it('refuses a key reused by the same client with another request, whatever other clients did with it', async () => {
    const otherConvener = await fixture.keyFor({ role: 'convener' });
    await send(() => otherConvener)('/v1/decisions', { title: 'theirs', options: ['a', 'b'] }, 'scoped-reuse');
    expect((await post('/v1/decisions', { title: 'mine', options: ['a', 'b'] }, 'scoped-reuse')).statusCode).toBe(201);
    const head = await fixture.headLsn();
    const reused = await post('/v1/decisions', { title: 'mine again', options: ['a', 'b'] }, 'scoped-reuse');
    expect([reused.statusCode, reused.json().error]).toEqual([422, 'idempotency_key_reused']);
    expect(await fixture.headLsn()).toBe(head);
  });
});

describe('Idempotency-Key expiry', () => {
  const expire = (key: string) => fixture.db.pool.query(`update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`, [key]);

  it('treats an expired key as new: another request under it runs instead of being refused', async () => {
    const first = await post('/v1/decisions', { title: 'before expiry', options: ['a', 'b'] }, 'expiring-create');
    await expire('expiring-create');
    const head = await fixture.headLsn();
    const later = await post('/v1/decisions', { title: 'after expiry', options: ['a', 'b'] }, 'expiring-create');
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.json().decisionId).not.toBe(first.json().decisionId);
    expect(await fixture.headLsn()).toBe(head + 1);
    // The new answer is the one remembered now.
    expect((await post('/v1/decisions', { title: 'after expiry', options: ['a', 'b'] }, 'expiring-create')).json()).toEqual(later.json());
  });

  it('does not answer a new vote under an expired key with the events of its first use on the same decision', async () => {
    const { decisionId } = (await post('/v1/decisions', { title: 'expiry on one stream', options: ['a', 'b'] })).json();
    const first = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'early', option: 'a' }, 'expiring-vote');
    await expire('expiring-vote');
    const head = await fixture.headLsn();
    const later = await vote(`/v1/decisions/${decisionId}/votes`, { voterId: 'late', option: 'b' }, 'expiring-vote');
    expect(later.statusCode).toBe(202);
    expect(later.json()).not.toEqual(first.json());
    expect(await fixture.headLsn()).toBe(head + 1);
  });

  it('purges expired keys when a claim comes in, and keeps the live ones', async () => {
    await fixture.db.pool.query(
      `insert into idempotency_keys (scope, key, generation, request_hash, status_code, response_body, claimed_at, expires_at)
       values ('purge-test', 'old', gen_random_uuid(), 'h', 201, '{}', now() - interval '2 days', now() - interval '1 day'),
              ('purge-test', 'live', gen_random_uuid(), 'h', 201, '{}', now(), now() + interval '1 day')`,
    );
    // A new store purges on its first claim (then at most once a minute).
    const store = new PostgresIdempotencyStore(fixture.db.pool);
    expect((await store.begin({ scope: 'purge-test', key: 'fresh' }, 'h')).outcome).toBe('started');
    const { rows } = await fixture.db.pool.query<{ key: string }>(`select key from idempotency_keys where scope = 'purge-test' order by key`);
    expect(rows.map((row) => row.key)).toEqual(['fresh', 'live']);
  });
});

describe('Idempotency-Key answer size', () => {
  it(`stores answers up to ${MAX_STORED_RESPONSE_BYTES} bytes; a larger one is not kept and its retry runs again`, async () => {
    const store = new PostgresIdempotencyStore(fixture.db.pool);
    const app = Fastify();
    registerIdempotencyRecorder(app, store);
    let runs = 0;
    app.post('/sized/:bytes', { preHandler: idempotencyGuard(store) }, async (request) => {
      runs += 1;
      return { filler: 'x'.repeat(Number((request.params as { bytes: string }).bytes)) };
    });
    try {
      const call = (bytes: number, key: string) => app.inject({ method: 'POST', url: `/sized/${bytes}`, headers: { 'idempotency-key': key } });
      const small = await call(1000, 'sized-small');
      expect((await call(1000, 'sized-small')).body).toBe(small.body);
      expect(runs).toBe(1);

      runs = 0;
      const large = await call(MAX_STORED_RESPONSE_BYTES, 'sized-large');
      expect(large.statusCode).toBe(200);
      const again = await call(MAX_STORED_RESPONSE_BYTES, 'sized-large');
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(runs).toBe(2);
      const { rows } = await fixture.db.pool.query(`select response_body from idempotency_keys where key = 'sized-large'`);
      expect(rows).toEqual([{ response_body: null }]);
    } finally {
      await app.close();
    }
  });
});
