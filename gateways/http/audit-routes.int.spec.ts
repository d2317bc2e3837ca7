import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex32, leafOfEvent } from '../../events-schema/leaf.ts';
import { migrate } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { createAuditReader } from '../../projections/anchoring/audit/audit-reader.ts';
import { rootFromProof, sameBytes, toHex } from '../../projections/anchoring/merkle-tree.ts';
import { storeLeaves } from '../../projections/anchoring/testing/anchor-directly.ts';
import { createAuditTestbed, type AuditTestbed } from '../../projections/anchoring/testing/audit-testbed.ts';
import { startAuditGateway } from '../../projections/anchoring/testing/audit-checks.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import { readModelsOf } from '../composition/read-models.ts';
import { anchoringProjection } from '../../projections/anchoring/anchoring-projection.ts';
import { createProjectionWorker } from '../../projections/runtime/index.ts';
import { createProjectionTestbed } from '../../projections/testing/projection-testbed.ts';
import { decisionCreated } from '../../projections/testing/governance-events.ts';
import { payloadHashOf } from '../../events-schema/leaf.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { TEST_AUTH } from '../testing/http-fixture.ts';
import { buildHttpApp } from './app.ts';
import { issueApiKey } from './credentials.ts';

let testbed: AuditTestbed;
let app: FastifyInstance;
let events: RecordedEvent[];

beforeAll(async () => {
  testbed = await createAuditTestbed();
  events = await testbed.appendDecision('bridge', 11); // LSN 1..12
  await testbed.anchor({ batchSize: 5, toLsn: 10 }); // batches 1..5, 6..10 on chain
  await testbed.anchor({ batchSize: 5, toLsn: 11, commit: false }); // batch 3 (11..11) stored, not sent
  await storeLeaves(testbed.db, testbed.eventStore, { fromLsn: 12 }); // LSN 12: a leaf, no batch
  app = await startAuditGateway(testbed);
});
afterAll(async () => {
  await app?.close();
  await testbed?.close();
});

const proofOf = (eventId: string) => app.inject({ url: `/v1/audit/events/${eventId}/proof` });

describe('GET /v1/audit/events/:eventId/proof', () => {
  it('answers an anchored event with a proof that leads to the root off-chain and that the contract accepts', async () => {
    const event = events[6]!; // LSN 7, batch 2
    const response = await proofOf(event.eventId);

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      eventId: event.eventId,
      lsn: 7,
      batchId: 2,
      leaf: toHex(leafOfEvent(event)),
      contract: testbed.chain.contractAddress,
      chainId: testbed.anvil.chainId.toString(),
      txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      verifiedOnChain: true,
    });
    const onChain = await testbed.chain.batch(2);
    expect(body.root).toBe(toHex(onChain!.root));
    const proof = (body.proof as string[]).map((node) => fromHex32(node));
    expect(sameBytes(rootFromProof(fromHex32(body.leaf), proof), onChain!.root)).toBe(true);
  });

  it('answers 202 pending while the event has a leaf but its batch is only stored, or not closed', async () => {
    for (const [event, batchId] of [[events[10]!, 3], [events[11]!, null]] as const) {
      const response = await proofOf(event.eventId);
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ eventId: event.eventId, lsn: event.lsn, batchId, status: 'pending', message: expect.any(String) });
    }
  });

  it('answers 404 event_not_found for an id no event has', async () => {
    const response = await proofOf('5a0c1f4e-8a1b-4c47-9d9e-2f4b0e6b7a11');
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toBe('event_not_found');
  });

  it('answers 400 naming the field for a malformed id', async () => {
    const response = await proofOf('not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'eventId' }] });
  });

  it('answers verifiedOnChain null, not an error, when the chain does not answer', async () => {
    const unreachable = { ...testbed.chain, verifyEvent: () => Promise.reject(new Error('connection refused')), chainId: () => Promise.reject(new Error('connection refused')) };
    const offline = await buildHttpApp({
      eventStore: testbed.eventStore,
      idempotency: new PostgresIdempotencyStore(testbed.db.pool),
      audit: createAuditReader({ db: testbed.db, chain: unreachable }),
      readModels: readModelsOf(testbed.db),
    });
    try {
      const response = await offline.inject({ url: `/v1/audit/events/${events[0]!.eventId}/proof` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ lsn: 1, verifiedOnChain: null, chainId: null });
    } finally {
      await offline.close();
    }
  });
});

describe('GET /v1/audit/events/:eventId/proof?consistentWith=', () => {
  it('waits for the anchoring read model to reach the LSN: 504 if it does not in time, then 202 pending once it has', async () => {
    const fresh = await createProjectionTestbed();
    const worker = new AbortController();
    let projecting: Promise<void> | undefined;
    const gateway = (consistencyTimeoutMs: number) =>
      buildHttpApp({
        eventStore: fresh.eventStore,
        idempotency: new PostgresIdempotencyStore(fresh.db.pool),
        audit: createAuditReader({ db: fresh.db, chain: testbed.chain }),
        readModels: readModelsOf(fresh.db),
        consistencyTimeoutMs,
      });
    const impatient = await gateway(200);
    const patient = await gateway(20_000);
    try {
      await migrate(fresh.db.knex, 'gateway', idempotencyMigrations);
      const [created] = await fresh.append([{ streamId: 'decision-ferry', event: decisionCreated('ferry') }]);
      const url = `/v1/audit/events/${created!.eventId}/proof`;

      // Nothing projects yet: without consistentWith the event is unknown (and the answer says what to do).
      const unknown = await impatient.inject({ url });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().message).toContain('consistentWith');
      const late = await impatient.inject({ url: `${url}?consistentWith=${created!.lsn}` });
      expect(late.statusCode).toBe(504);
      expect(late.json().error).toBe('read_model_timeout');

      projecting = createProjectionWorker({ db: fresh.db, projection: anchoringProjection, source: createLocalSource(fresh.eventStore) }).run(worker.signal);
      const pending = await patient.inject({ url: `${url}?consistentWith=${created!.lsn}` });
      expect(pending.statusCode).toBe(202);
      expect(pending.json()).toMatchObject({ eventId: created!.eventId, lsn: created!.lsn, batchId: null, status: 'pending' });
    } finally {
      worker.abort();
      await projecting;
      await Promise.all([impatient.close(), patient.close()]);
      await fresh.close();
    }
  });

  it('answers 400 naming consistentWith when it is not a number', async () => {
    const response = await app.inject({ url: `/v1/audit/events/${events[0]!.eventId}/proof?consistentWith=soon` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'consistentWith' }] });
  });
});

describe('GET /v1/audit/batches', () => {
  it('lists the batches newest first, keyset-paged', async () => {
    const first = (await app.inject({ url: '/v1/audit/batches?limit=2' })).json();
    expect(first.batches).toEqual([
      { batchId: 3, fromLsn: 11, toLsn: 11, root: expect.stringMatching(/^0x[0-9a-f]{64}$/), txHash: null, status: 'stored' },
      { batchId: 2, fromLsn: 6, toLsn: 10, root: expect.any(String), txHash: expect.any(String), status: 'anchored' },
    ]);
    const second = (await app.inject({ url: `/v1/audit/batches?limit=2&cursor=${first.nextCursor}` })).json();
    expect(second).toEqual({ batches: [expect.objectContaining({ batchId: 1, fromLsn: 1, toLsn: 5 })], nextCursor: null });
  });

  it('answers 400 for a cursor it did not hand out', async () => {
    const response = await app.inject({ url: '/v1/audit/batches?cursor=bogus' });
    expect(response.statusCode).toBe(400);
    expect(response.json().issues[0].path).toBe('cursor');
  });

  it('answers one batch with its event count and anchoring details', async () => {
    const response = await app.inject({ url: '/v1/audit/batches/2' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      batchId: 2,
      fromLsn: 6,
      toLsn: 10,
      events: 5,
      status: 'anchored',
      blockNumber: expect.any(Number),
      anchoredAt: expect.any(String),
      root: toHex((await testbed.chain.batch(2))!.root),
    });
  });

  it('answers 404 batch_not_found for an unknown batch, 400 for a malformed id', async () => {
    const unknown = await app.inject({ url: '/v1/audit/batches/99' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('batch_not_found');
    const malformed = await app.inject({ url: '/v1/audit/batches/zero' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().issues[0].path).toBe('batchId');
  });
});

describe('GET /v1/audit/events/:eventId and GET /v1/audit/chain (what a browser verifies with)', () => {
  let signedIn: FastifyInstance;
  const keyOf = async (role: 'auditor' | 'convener') => {
    const { key } = await issueApiKey(new PostgresApiKeyStore(testbed.db.pool), TEST_AUTH.digestKey, { role }, new Date());
    return { authorization: `Bearer ${key}` };
  };
  beforeAll(async () => {
    await migrate(testbed.db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
    signedIn = await buildHttpApp({
      eventStore: testbed.eventStore,
      idempotency: new PostgresIdempotencyStore(testbed.db.pool),
      audit: createAuditReader({ db: testbed.db, chain: testbed.chain }),
      readModels: readModelsOf(testbed.db),
      sessions: new PostgresSessionStore(testbed.db.pool),
      apiKeys: new PostgresApiKeyStore(testbed.db.pool),
      auth: TEST_AUTH,
      chainPublicRpcUrl: testbed.anvil.rpcUrl,
    });
  });
  afterAll(async () => signedIn?.close());

  it('gives an auditor the stored event, whose bytes hash to the payload hash its proof commits to', async () => {
    const event = events[6]!;
    const response = await signedIn.inject({ url: `/v1/audit/events/${event.eventId}`, headers: await keyOf('auditor') });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ eventId: event.eventId, streamId: event.streamId, lsn: 7, type: event.type, data: expect.any(Object) });
    const proof = (await signedIn.inject({ url: `/v1/audit/events/${event.eventId}/proof` })).json();
    expect(toHex(payloadHashOf(Buffer.from(body.bytes, 'base64')))).toBe(proof.payloadHash);
  });

  it('refuses the stored event without a credential (401) and to another role (403), and answers 404 for an unknown id', async () => {
    const url = `/v1/audit/events/${events[0]!.eventId}`;
    expect((await signedIn.inject({ url })).statusCode).toBe(401);
    expect((await signedIn.inject({ url, headers: await keyOf('convener') })).statusCode).toBe(403);
    const unknown = await signedIn.inject({ url: '/v1/audit/events/5a0c1f4e-8a1b-4c47-9d9e-2f4b0e6b7a11', headers: await keyOf('auditor') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('event_not_found');
  });

  it('names the contract, its chain and the RPC URL browsers may use; null when none is configured', async () => {
    const response = await signedIn.inject({ url: '/v1/audit/chain' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ contract: testbed.chain.contractAddress, chainId: testbed.anvil.chainId.toString(), rpcUrl: testbed.anvil.rpcUrl });
    expect((await app.inject({ url: '/v1/audit/chain' })).json().rpcUrl).toBeNull();
  });
});
