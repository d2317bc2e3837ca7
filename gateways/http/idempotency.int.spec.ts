import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

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
    // Simulate a crash after the append but before the answer was stored.
    await fixture.db.pool.query(`delete from idempotency_keys where key = 'lost-answer'`);
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
