// The crawl-billing routes in the access matrix. Each command acts for a participant: its owner (the subject
// that registered it), a holder of role participant for it (a key scoped to it), or an admin. Registering is
// open to any signed-in subject, so the refusal a role and a scope decide there is a scoped key's: a key
// scoped to one participant registers that one only, and a key scoped to something else registers none. A
// refund acts for the crawl's publisher: the platform it pays back is the wrong scope.
import { randomUUID } from 'node:crypto';
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';
import type { MatrixRequest, MatrixRow } from './matrix-case.ts';

/** The Authorization header alone (a fixture credential also carries its subject and key id). */
const header = ({ authorization }: Credential): Credential => ({ authorization });

const freshId = (kind: 'pub' | 'ai') => `matrix-${kind}-${randomUUID()}`;

async function call(fixture: HttpFixture, as: Credential, request: MatrixRequest, expected: number): Promise<void> {
  const response = await fixture.app.inject({ method: request.method, url: request.url, headers: header(as), ...(request.payload ? { payload: request.payload } : {}) });
  if (response.statusCode !== expected) throw new Error(`${request.method} ${request.url}: ${response.statusCode} ${response.body}`);
}

/** Registers `participantId` as `as`, who then owns it. */
const register = (fixture: HttpFixture, as: Credential, participantId: string, role: 'publisher' | 'platform') =>
  call(fixture, as, { method: 'POST', url: '/v1/participants', payload: { participantId, role, name: `Matrix ${role}` } }, 201);

/**
 * A priced publisher owned by a signed-in wallet, a platform registered with a key scoped to it and funded,
 * and one crawl billed: each credential as the matrix needs it.
 */
async function billedCrawl(fixture: HttpFixture) {
  const publisherId = freshId('pub');
  const platformId = freshId('ai');
  const publisher = await fixture.signIn();
  const platform = await fixture.keyFor({ role: 'participant', scope: platformId });
  await register(fixture, publisher, publisherId, 'publisher');
  await register(fixture, platform, platformId, 'platform');
  await call(fixture, publisher, { method: 'PUT', url: `/v1/publishers/${publisherId}/price`, payload: { pricePerCrawl: 250 } }, 200);
  await call(fixture, platform, { method: 'POST', url: `/v1/platforms/${platformId}/deposits`, payload: { amount: 10_000 } }, 201);
  const crawlId = `matrix-crawl-${randomUUID()}`;
  await call(fixture, platform, { method: 'POST', url: '/v1/crawls', payload: crawlBody(crawlId, platformId, publisherId) }, 201);
  return { publisherId, platformId, publisher, platform, crawlId };
}

const crawlBody = (crawlId: string, platformId: string, publisherId: string) => ({ crawlId, platformId, publisherId, url: `https://matrix.example/${crawlId}`, bytes: 1024 });

/** A platform of someone else's, registered with its own scoped key: the key is scoped to another participant. */
async function otherPlatformKey(fixture: HttpFixture): Promise<Credential> {
  const platformId = freshId('ai');
  const key = await fixture.keyFor({ role: 'participant', scope: platformId });
  await register(fixture, key, platformId, 'platform');
  return key;
}

export const crawlRows: MatrixRow[] = [
  {
    route: 'POST /v1/participants',
    async prepare(fixture) {
      const participantId = freshId('ai');
      return {
        request: { method: 'POST', url: '/v1/participants', payload: { participantId, role: 'platform', name: 'Matrix platform' } },
        // Scoped to this very id, but as a company: a scoped key acts within its role and scope only.
        wrongRole: header(await fixture.keyFor({ role: 'company', scope: participantId })),
        wrongScope: header(await fixture.keyFor({ role: 'participant', scope: freshId('ai') })),
        right: header(await fixture.keyFor({ role: 'participant', scope: participantId })),
        status: 201,
      };
    },
  },
  {
    route: 'PUT /v1/publishers/:id/price',
    async prepare(fixture) {
      const publisherId = freshId('pub');
      const owner = await fixture.signIn();
      await register(fixture, owner, publisherId, 'publisher');
      // The owner of a publisher of its own: not this one.
      const otherOwner = await fixture.signIn();
      await register(fixture, otherOwner, freshId('pub'), 'publisher');
      return {
        request: { method: 'PUT', url: `/v1/publishers/${publisherId}/price`, payload: { pricePerCrawl: 400 } },
        wrongRole: header(await fixture.signIn()),
        wrongScope: header(otherOwner),
        right: header(owner),
        status: 200,
      };
    },
  },
  {
    route: 'POST /v1/platforms/:id/deposits',
    async prepare(fixture) {
      const platformId = freshId('ai');
      const key = await fixture.keyFor({ role: 'participant', scope: platformId });
      await register(fixture, key, platformId, 'platform');
      return {
        request: { method: 'POST', url: `/v1/platforms/${platformId}/deposits`, payload: { amount: 5_000 } },
        wrongRole: header(await fixture.signIn()),
        wrongScope: header(await otherPlatformKey(fixture)),
        right: header(key),
        status: 201,
      };
    },
  },
  {
    route: 'POST /v1/crawls',
    async prepare(fixture) {
      const market = await billedCrawl(fixture);
      return {
        request: { method: 'POST', url: '/v1/crawls', payload: crawlBody(`matrix-crawl-${randomUUID()}`, market.platformId, market.publisherId) },
        wrongRole: header(await fixture.signIn()),
        // The crawl's own publisher: a party to the bill, but the escrow is the platform's.
        wrongScope: header(market.publisher),
        right: header(market.platform),
        status: 201,
      };
    },
  },
  {
    route: 'POST /v1/crawls/:id/dispute',
    async prepare(fixture) {
      const market = await billedCrawl(fixture);
      return {
        request: { method: 'POST', url: `/v1/crawls/${market.crawlId}/dispute`, payload: { platformId: market.platformId, reason: 'disallowed by robots.txt' } },
        wrongRole: header(await fixture.signIn()),
        wrongScope: header(await otherPlatformKey(fixture)),
        right: header(market.platform),
        status: 200,
      };
    },
  },
  {
    route: 'POST /v1/crawls/:id/refund',
    async prepare(fixture) {
      const market = await billedCrawl(fixture);
      return {
        request: { method: 'POST', url: `/v1/crawls/${market.crawlId}/refund`, payload: { platformId: market.platformId, publisherId: market.publisherId } },
        wrongRole: header(await fixture.signIn()),
        // The platform the refund pays back: it acts for its escrow, never for the refund.
        wrongScope: header(market.platform),
        right: header(market.publisher),
        status: 200,
      };
    },
  },
];
