// PostgreSQL out of reach (down, restarting, the network gone): the gateway refuses at once with 503
// `not_ready` and Retry-After, for writes, reads and its readiness probe alike, instead of a 500 or a
// hang; nothing is appended. Once the database is back, the same write sent again with its key is
// recorded exactly once. The network is taken away by a TCP proxy in front of the real server.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { startTcpProxy, type TcpProxy } from '../../infra/testing/tcp-proxy.ts';
import { expectError } from '../testing/http-expectations.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { answerErrorsInContract } from './app.ts';
import { idempotencyGuard, registerIdempotencyRecorder } from './idempotency.ts';

let proxy: TcpProxy;
let fixture: HttpFixture;
let ballotBox: Credential;

beforeAll(async () => {
  const server = new URL(inject('postgresAdminUrl'));
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  fixture = await createHttpFixture({ dial: (url) => proxy.urlFor(url) });
  ballotBox = await fixture.keyFor({ role: 'ballot-box' });
  const created = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', headers: fixture.admin, payload: { decisionId: 'outage', title: 'Outage', options: ['yes', 'no'] } });
  expect(created.statusCode).toBe(201);
});

afterAll(async () => {
  await proxy?.restore();
  await fixture?.close();
  await proxy?.close();
});

const vote = (key: string) =>
  fixture.app.inject({ method: 'POST', url: '/v1/decisions/outage/votes', headers: { ...ballotBox, 'idempotency-key': key }, payload: { voterId: 'v-1', option: 'yes' } });

describe('the gateway while PostgreSQL is out of reach', () => {
  it('answers 503 not_ready with Retry-After at once, then records the retried write exactly once', async () => {
    const head = await fixture.headLsn();
    await proxy.cut();
    try {
      for (const request of [
        () => vote('outage-1'),
        () => fixture.app.inject({ url: '/v1/log?fromLsn=1', headers: fixture.admin }),
        () => fixture.app.inject({ url: '/readyz' }),
      ]) {
        const started = Date.now();
        const response = await request();
        // Refused, not left hanging until a client's timeout (the pools fail a refused connection at once).
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(response.statusCode).toBe(503);
        if (response.json().error !== 'not_ready') expect(response.json()).toMatchObject({ status: 'not_ready' });
        else {
          expectError(response, 503, 'not_ready');
          expect(response.headers['retry-after']).toBe('1');
        }
      }
    } finally {
      await proxy.restore();
    }
    expect(await fixture.headLsn()).toBe(head);

    const accepted = await vote('outage-1');
    expect(accepted.statusCode).toBe(202);
    const again = await vote('outage-1');
    expect(again.json()).toEqual(accepted.json());
    expect(await fixture.headLsn()).toBe(head + 1);
  });
});

describe('a request whose database goes away after it claimed its Idempotency-Key', () => {
  it('still answers 503 not_ready in the contract body (freeing the key fails too; the claim lapses instead)', async () => {
    const store = new PostgresIdempotencyStore(fixture.db.pool);
    const app = Fastify();
    answerErrorsInContract(app);
    registerIdempotencyRecorder(app, store);
    app.post('/work', { preHandler: idempotencyGuard(store) }, async () => {
      // The key is claimed; now the database goes away before the work is done.
      await proxy.cut();
      return fixture.db.query('select 1');
    });
    try {
      const response = await app.inject({ method: 'POST', url: '/work', headers: { 'idempotency-key': 'cut-mid-request' } });
      expectError(response, 503, 'not_ready');
      expect(response.headers['retry-after']).toBe('1');
    } finally {
      await proxy.restore();
      await app.close();
    }
  });
});
