// Two real gateways (buildHttpApp twice, each listening on its own port, each with its own event store and
// escrow writers) on one PostgreSQL database, members of one membership: whichever gateway a client calls,
// an escrow's commands run on the one gateway that owns it, so the two never race for its revision. Which
// gateway ran a command is read from its answer's x-proofline-handled-by header, and from the appends each
// gateway's own event store made.
import { createServer } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escrowStreamId } from '../../commands/crawl/escrow.ts';
import { decodeEvent, type EscrowEvent } from '../../events-schema/index.ts';
import { migrate } from '../../infra/db/database.ts';
import { GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations, PostgresGatewayMembers } from '../../infra/db/postgres-gateway-members.ts';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore, type PostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { WrongExpectedRevisionError, type EventStore } from '../../ports/event-store.ts';
import { createHttpFixture, GENEROUS_RATE_LIMITS, TEST_AUTH, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { buildHttpApp, type HttpApp } from './app.ts';
import { rendezvousOwner } from './rendezvous.ts';
import { COMMANDS_PATH, HANDLED_BY_HEADER, MEMBER_KEY_HEADER, StreamOwners } from './stream-owner-routing.ts';

/** One gateway of the pair: its app, its membership view, and the appends its own event store made and lost. */
type Gateway = { app: HttpApp; owners: StreamOwners; store: PostgresEventStore; appends: Map<string, number>; conflicts: { count: number } };

let fixture: HttpFixture;
let members: PostgresGatewayMembers;
const gateways: Gateway[] = [];

/** The store as the gateway's writers see it, counting its appends per stream and its lost races for a revision. */
function counting(store: EventStore, appends: Map<string, number>, conflicts: { count: number }): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendToStream') {
        return async (...args: Parameters<EventStore['appendToStream']>) => {
          appends.set(args[0], (appends.get(args[0]) ?? 0) + 1);
          try {
            return await target.appendToStream(...args);
          } catch (error) {
            if (error instanceof WrongExpectedRevisionError) conflicts.count += 1;
            throw error;
          }
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function startGateway(): Promise<Gateway> {
  const store = createPostgresEventStore(fixture.db);
  const appends = new Map<string, number>();
  const conflicts = { count: 0 };
  // A long beat interval: the tests refresh the views themselves, so that who is live is their choice.
  const owners = new StreamOwners({ members, memberSecret: TEST_AUTH.digestKey, logger: pino({ level: 'silent' }), beatEveryMs: 60_000, liveForMs: 120_000 });
  const app = await buildHttpApp({
    eventStore: counting(store, appends, conflicts),
    idempotency: new PostgresIdempotencyStore(fixture.db.pool),
    sessions: new PostgresSessionStore(fixture.db.pool),
    apiKeys: new PostgresApiKeyStore(fixture.db.pool),
    auth: TEST_AUTH,
    rateLimits: GENEROUS_RATE_LIMITS,
    streamOwners: owners,
  });
  await owners.start(await app.listen({ host: '127.0.0.1', port: 0 }));
  return { app, owners, store, appends, conflicts };
}

beforeAll(async () => {
  fixture = await createHttpFixture();
  await migrate(fixture.db.knex, GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations);
  members = new PostgresGatewayMembers(fixture.db.pool);
  gateways.push(await startGateway(), await startGateway());
  // The first joined alone: it learns of the second at its next beat.
  await Promise.all(gateways.map((gateway) => gateway.owners.refresh()));
  for (const gateway of gateways) expect(gateway.owners.members()).toHaveLength(2);
});
afterAll(async () => {
  for (const gateway of gateways) {
    await gateway.owners.stop();
    await gateway.app.close();
    await gateway.store.close();
  }
  await fixture?.close();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
const keys = new Map<string, Credential>();

/** A publisher and a platform with a deposit, set up through the fixture's own gateway (no member). */
async function market(price: number, deposit: number) {
  const publisherId = unique('pub');
  const platformId = unique('ai');
  for (const participantId of [publisherId, platformId]) keys.set(participantId, await fixture.keyFor({ role: 'participant', scope: participantId }));
  const post = (url: string, payload: object, as: Credential) => fixture.app.inject({ method: 'POST', url, payload, headers: as });
  expect((await post('/v1/participants', { participantId: publisherId, role: 'publisher', name: 'News' }, keys.get(publisherId)!)).statusCode).toBe(201);
  expect((await post('/v1/participants', { participantId: platformId, role: 'platform', name: 'AI' }, keys.get(platformId)!)).statusCode).toBe(201);
  const price201 = await fixture.app.inject({ method: 'PUT', url: `/v1/publishers/${publisherId}/price`, payload: { pricePerCrawl: price }, headers: keys.get(publisherId)! });
  expect(price201.statusCode).toBe(200);
  expect((await post(`/v1/platforms/${platformId}/deposits`, { amount: deposit }, keys.get(platformId)!)).statusCode).toBe(201);
  return { publisherId, platformId };
}

const bill = (gateway: Gateway, platformId: string, publisherId: string, crawlId: string, headers: Record<string, string> = {}) =>
  gateway.app.inject({
    method: 'POST',
    url: '/v1/crawls',
    payload: { crawlId, platformId, publisherId, url: `https://news.example/${crawlId}`, bytes: 512 },
    headers: { ...keys.get(platformId)!, ...headers },
  });

/** The gateways as [owner, other] of a platform's escrow, as both of them see it. */
function ownerAndOther(platformId: string): [Gateway, Gateway] {
  const streamId = escrowStreamId(platformId);
  const [a, b] = gateways as [Gateway, Gateway];
  // Each names the other as owner, or none (itself): they agree.
  const aSaysB = a.owners.ownerOf(streamId)?.memberId === b.owners.memberId;
  const bSaysA = b.owners.ownerOf(streamId)?.memberId === a.owners.memberId;
  expect(aSaysB).toBe(!bSaysA);
  return aSaysB ? [b, a] : [a, b];
}

/** The escrow's events as recorded; the balance of every prefix is checked never to go below zero. */
async function recordedEscrow(platformId: string) {
  const { events } = await fixture.eventStore.readStream(escrowStreamId(platformId));
  let balance = 0;
  const billedIds: string[] = [];
  for (const event of events.map((recorded) => decodeEvent(recorded.data) as EscrowEvent)) {
    if (event.type === 'EscrowDeposited') balance += event.data.amount;
    if (event.type === 'CrawlBilled') {
      balance -= event.data.amount;
      billedIds.push(event.data.crawlId);
    }
    if (event.type === 'CrawlRefunded') balance += event.data.amount;
    expect(balance, `balance after ${event.type}`).toBeGreaterThanOrEqual(0);
  }
  return { balance, billedIds };
}

describe('commands for one escrow, sent to two gateways', () => {
  it('run on the escrow owner only: no conflict, every bill accounted for, the balance never negative', async () => {
    const { publisherId, platformId } = await market(7, 7 * 120 + 5);
    const [owner, other] = ownerAndOther(platformId);
    const conflictsBefore = gateways.map((gateway) => gateway.conflicts.count);

    const answers = await Promise.all(Array.from({ length: 240 }, (_, i) => bill(gateways[i % 2]!, platformId, publisherId, `${platformId}-c${i}`)));

    const byStatus = answers.map((answer) => (answer.statusCode === 201 ? '201' : `${answer.statusCode} ${answer.json().error}`));
    expect(byStatus.filter((status) => status === '201')).toHaveLength(120);
    expect(byStatus.filter((status) => status !== '201')).toEqual(Array.from({ length: 120 }, () => '409 insufficient_escrow'));
    // Half were sent to the other gateway: all of them were answered by the owner.
    expect(new Set(answers.map((answer) => answer.headers[HANDLED_BY_HEADER]))).toEqual(new Set([owner.owners.memberId]));
    // The other gateway never appended to the escrow, so no append lost a race for its revision.
    expect(other.appends.get(escrowStreamId(platformId)) ?? 0).toBe(0);
    expect(gateways.map((gateway) => gateway.conflicts.count)).toEqual(conflictsBefore);

    const { balance, billedIds } = await recordedEscrow(platformId);
    expect(balance).toBe(5);
    const accepted = answers.filter((answer) => answer.statusCode === 201).map((answer) => answer.json().crawlId as string);
    expect(billedIds.sort()).toEqual(accepted.sort());
  });

  it("keep the client's Idempotency-Key: a retry through either gateway is answered with the first answer", async () => {
    const { publisherId, platformId } = await market(10, 1000);
    const [owner, other] = ownerAndOther(platformId);
    const first = await bill(other, platformId, publisherId, `${platformId}-keyed`, { 'idempotency-key': 'bill-once' });
    expect(first.statusCode).toBe(201);
    expect(first.headers[HANDLED_BY_HEADER]).toBe(owner.owners.memberId);
    for (const gateway of [other, owner]) {
      const again = await bill(gateway, platformId, publisherId, `${platformId}-keyed`, { 'idempotency-key': 'bill-once' });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
    }
    expect((await recordedEscrow(platformId)).billedIds).toEqual([`${platformId}-keyed`]);
  });

  it("answer the owner's refusals as their own, and refuse invalid requests before sending anything", async () => {
    const { publisherId, platformId } = await market(10, 1000);
    const [owner, other] = ownerAndOther(platformId);
    // The publisher's key does not bill for the platform: the decider, on the owner, refuses the command.
    const refused = await other.app.inject({
      method: 'POST',
      url: '/v1/crawls',
      payload: { crawlId: `${platformId}-x`, platformId, publisherId, url: 'https://news.example/x', bytes: 1 },
      headers: keys.get(publisherId)!,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBe('forbidden');
    expect(refused.headers[HANDLED_BY_HEADER]).toBe(owner.owners.memberId);
    // An invalid body is refused with its exact fields, whoever validates it.
    const invalid = await bill(other, platformId, publisherId, '');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().issues.map((issue: { path: string }) => issue.path)).toEqual(['crawlId']);
  });

  it("take other members' commands only with the members' key, and answer each on its own", async () => {
    const [a] = gateways as [Gateway, Gateway];
    const calls = { calls: [{ kind: 'no.such-kind', payload: {} }] };
    for (const memberKey of [undefined, 'not-the-key']) {
      const refused = await a.app.inject({ method: 'POST', url: COMMANDS_PATH, payload: calls, headers: memberKey ? { [MEMBER_KEY_HEADER]: memberKey } : {} });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toBe('forbidden');
    }
    const answered = await a.app.inject({ method: 'POST', url: COMMANDS_PATH, payload: calls, headers: { [MEMBER_KEY_HEADER]: a.owners.memberKey } });
    expect(answered.statusCode).toBe(200);
    expect(answered.json().results).toEqual([{ error: expect.objectContaining({ message: 'no handler serves no.such-kind here' }) }]);
  });

  it('run the command where it arrives when the owner cannot be reached, then leave the owner out', async () => {
    const [a] = gateways as [Gateway, Gateway];
    // A member whose address refuses connections (it crashed: its row has not aged out yet).
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const crashed = { memberId: unique('crashed'), url: `http://127.0.0.1:${closedPort}` };
    await members.beat(crashed, 120_000);
    await a.owners.refresh();
    expect(a.owners.members()).toHaveLength(3);
    // A platform whose escrow the crashed member owns.
    let market1: { publisherId: string; platformId: string };
    do market1 = await market(10, 1000);
    while (rendezvousOwner(escrowStreamId(market1.platformId), a.owners.members())?.memberId !== crashed.memberId);

    const answer = await bill(a, market1.platformId, market1.publisherId, `${market1.platformId}-c1`);
    expect(answer.statusCode).toBe(201);
    expect(answer.headers[HANDLED_BY_HEADER]).toBe(a.owners.memberId);
    expect(a.owners.ownerOf(escrowStreamId(market1.platformId))?.memberId).not.toBe(crashed.memberId);
    await members.leave(crashed.memberId);
    await a.owners.refresh();
  });

  it("take over a member's escrows once it leaves", async () => {
    const { publisherId, platformId } = await market(10, 1000);
    const [owner, other] = ownerAndOther(platformId);
    await owner.owners.stop();
    await other.owners.refresh();
    expect(other.owners.members().map((member) => member.memberId)).toEqual([other.owners.memberId]);
    const answer = await bill(other, platformId, publisherId, `${platformId}-after`);
    expect(answer.statusCode).toBe(201);
    expect(answer.headers[HANDLED_BY_HEADER]).toBe(other.owners.memberId);
  });
});
