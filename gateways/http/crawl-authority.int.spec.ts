// Who may give each crawl command over HTTP: a participant's owner (the subject that registered it), a holder
// of role participant for it (a key scoped to it, or a grant), an admin; a platform deposits, bills and
// disputes only on its own escrow, a publisher prices only itself, and a refund is the crawl's publisher's to
// grant, never the platform's. Every refusal is 401 or 403 and appends nothing. Signed-in wallets are real
// EIP-4361 sign-ins, so this gateway runs on the real clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../events-schema/index.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { expectNothingAppended as nothingAppended, expectError } from '../testing/http-expectations.ts';

let fixture: HttpFixture;

beforeAll(async () => {
  fixture = await createHttpFixture();
});
afterAll(async () => fixture?.close());

/** A command as `as` (an Authorization header; none: anonymous). */
const send = (method: 'POST' | 'PUT', url: string, payload: unknown, as: Partial<Credential>) =>
  fixture.app.inject({ method, url, payload: payload as object, headers: { ...as } });

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

const expectNothingAppended = (action: () => Promise<unknown>) => nothingAppended(fixture, action);

/**
 * A publisher at `price` registered by a signed-in wallet, which owns it (`publisher`), and a platform with
 * `deposit` in escrow registered with an API key scoped to it (`platform`), as a crawler service would be.
 */
async function market(price = 300, deposit = 1000) {
  const publisherId = unique('pub');
  const platformId = unique('ai');
  const publisher = await fixture.signIn();
  const platform = await fixture.keyFor({ role: 'participant', scope: platformId });
  expect((await send('POST', '/v1/participants', { participantId: publisherId, role: 'publisher', name: 'Daily News' }, publisher)).statusCode).toBe(201);
  expect((await send('POST', '/v1/participants', { participantId: platformId, role: 'platform', name: 'Crawler AI' }, platform)).statusCode).toBe(201);
  expect((await send('PUT', `/v1/publishers/${publisherId}/price`, { pricePerCrawl: price }, publisher)).statusCode).toBe(200);
  if (deposit > 0) expect((await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: deposit }, platform)).statusCode).toBe(201);
  return { publisherId, platformId, publisher: { authorization: publisher.authorization }, platform: { authorization: platform.authorization } };
}

const crawl = (platformId: string, publisherId: string, crawlId = unique('crawl')) => ({ crawlId, platformId, publisherId, url: `https://news.example/${crawlId}`, bytes: 2048 });

describe('who may give each crawl command', () => {
  /** A market with one crawl billed, and the six commands against it as [route, method, url, body]. */
  async function billedMarket() {
    const m = await market(300, 1000);
    const body = crawl(m.platformId, m.publisherId);
    expect((await send('POST', '/v1/crawls', body, m.platform)).statusCode).toBe(201);
    const commands = {
      price: ['PUT', `/v1/publishers/${m.publisherId}/price`, { pricePerCrawl: 400 }],
      deposit: ['POST', `/v1/platforms/${m.platformId}/deposits`, { amount: 100 }],
      bill: ['POST', '/v1/crawls', crawl(m.platformId, m.publisherId)],
      dispute: ['POST', `/v1/crawls/${body.crawlId}/dispute`, { platformId: m.platformId, reason: 'paywalled' }],
      refund: ['POST', `/v1/crawls/${body.crawlId}/refund`, { platformId: m.platformId, publisherId: m.publisherId }],
    } as const;
    return { ...m, crawlId: body.crawlId, commands };
  }

  async function expectForbidden(response: { statusCode: number; json(): { error: string; message: string } }, missing: RegExp) {
    await expectError(response, 403, 'forbidden');
    expect(response.json().message).toMatch(missing);
  }

  it('answers 401 unauthenticated to every command without a credential or with one it does not know, appending nothing', async () => {
    const m = await billedMarket();
    const register = ['POST', '/v1/participants', { participantId: unique('pub'), role: 'publisher', name: 'x' }] as const;
    for (const [method, url, payload] of [register, ...Object.values(m.commands)]) {
      for (const as of [{}, { authorization: 'Bearer pl_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }]) {
        await expectNothingAppended(async () => expectError(await send(method, url, payload, as), 401, 'unauthenticated'));
      }
    }
  });

  it('records the registering subject as the participant’s owner, and the caller as the event’s actor', async () => {
    const wallet = await fixture.signIn();
    const byWallet = await send('POST', '/v1/participants', { participantId: unique('pub'), role: 'publisher', name: 'x' }, wallet);
    const participantId = unique('ai');
    const key = await fixture.keyFor({ role: 'participant', scope: participantId });
    const byKey = await send('POST', '/v1/participants', { participantId, role: 'platform', name: 'y' }, key);
    const [walletEvent, keyEvent] = await Promise.all([byWallet, byKey].map(async (response) => (await fixture.eventStore.readAll({ fromLsn: response.json().lsn, limit: 1 }))[0]!));
    expect(decodeEvent(walletEvent!.data).data).toMatchObject({ owner: wallet.subject });
    expect(walletEvent!.metadata).toMatchObject({ actor: wallet.subject });
    expect(decodeEvent(keyEvent!.data).data).toMatchObject({ owner: key.subject });
    expect(keyEvent!.metadata).toMatchObject({ actor: key.subject, keyId: key.keyId });
  });

  it('lets a key scoped to a participant register that participant only: another id is 403 naming the role it lacks', async () => {
    const scope = unique('ai');
    const key = await fixture.keyFor({ role: 'participant', scope });
    const other = unique('ai');
    await expectNothingAppended(async () =>
      expectForbidden(await send('POST', '/v1/participants', { participantId: other, role: 'platform', name: 'x' }, key), new RegExp(`role participant for ${other}`)),
    );
    // A key scoped to something else than a participant registers none.
    const companyKey = await fixture.keyFor({ role: 'company', scope: other });
    await expectNothingAppended(async () => expectError(await send('POST', '/v1/participants', { participantId: other, role: 'platform', name: 'x' }, companyKey), 403, 'forbidden'));
    expect((await send('POST', '/v1/participants', { participantId: scope, role: 'platform', name: 'x' }, key)).statusCode).toBe(201);
  });

  it('refuses another participant’s owner with 403 on every command, naming what it lacks', async () => {
    const m = await billedMarket();
    const stranger = (await market()).publisher; // a wallet that owns a publisher of its own
    for (const [name, [method, url, payload]] of Object.entries(m.commands)) {
      const target = name === 'price' || name === 'refund' ? m.publisherId : m.platformId;
      await expectNothingAppended(async () =>
        expectForbidden(await send(method, url, payload, stranger), new RegExp(`that takes the owner of ${target}, role participant for ${target}, or admin`)),
      );
    }
  });

  it('refuses a key scoped to another participant with 403 on every command, saying what it holds', async () => {
    const m = await billedMarket();
    const otherKey = await fixture.keyFor({ role: 'participant', scope: unique('ai') });
    for (const [method, url, payload] of Object.values(m.commands)) {
      await expectNothingAppended(async () => expectForbidden(await send(method, url, payload, otherKey), /acts for nothing else/));
    }
    // The publisher's own key does not act for the platform, nor the platform's for the publisher.
    const publisherKey = await fixture.keyFor({ role: 'participant', scope: m.publisherId });
    await expectNothingAppended(async () => {
      await expectError(await send(...m.commands.bill, publisherKey), 403, 'forbidden');
      await expectError(await send(...m.commands.deposit, publisherKey), 403, 'forbidden');
      await expectError(await send(...m.commands.price, m.platform), 403, 'forbidden');
    });
  });

  it('a key scoped to one participant does not act for another that its subject owns', async () => {
    const owner = await fixture.signIn();
    const platformId = unique('ai');
    expect((await send('POST', '/v1/participants', { participantId: platformId, role: 'platform', name: 'x' }, owner)).statusCode).toBe(201);
    const narrowKey = await fixture.keyFor({ role: 'participant', scope: unique('elsewhere'), subject: owner.subject });
    await expectNothingAppended(async () => expectError(await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 100 }, narrowKey), 403, 'forbidden'));
    expect((await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 100 }, owner)).statusCode).toBe(201);
  });

  it('never lets the platform refund a crawl it was billed, by its key or its owner: 403; the publisher refunds it', async () => {
    const m = await billedMarket();
    await expectNothingAppended(async () => expectForbidden(await send(...m.commands.refund, m.platform), new RegExp(`acts for platform ${m.platformId}, which a refund of crawl ${m.crawlId} pays back`)));

    // A platform owned by a signed-in wallet rather than a key: its owner is refused the same way.
    const platformOwner = await fixture.signIn();
    const platformId = unique('ai');
    await send('POST', '/v1/participants', { participantId: platformId, role: 'platform', name: 'x' }, platformOwner);
    await send('POST', `/v1/platforms/${platformId}/deposits`, { amount: 1000 }, platformOwner);
    const body = crawl(platformId, m.publisherId);
    expect((await send('POST', '/v1/crawls', body, platformOwner)).statusCode).toBe(201);
    const refund = { platformId, publisherId: m.publisherId };
    await expectNothingAppended(async () => expectForbidden(await send('POST', `/v1/crawls/${body.crawlId}/refund`, refund, platformOwner), /pays back/));

    // The publisher's owner, and a key scoped to the publisher, refund.
    expect((await send('POST', `/v1/crawls/${body.crawlId}/refund`, refund, m.publisher)).json()).toMatchObject({ amount: 300, balance: 1000 });
    const publisherKey = await fixture.keyFor({ role: 'participant', scope: m.publisherId });
    expect((await send(...m.commands.refund, publisherKey)).statusCode).toBe(200);
  });

  it('lets an admin act for every participant, and a signed-in subject granted role participant for one act for it', async () => {
    const m = await billedMarket();
    expect((await send(...m.commands.price, fixture.admin)).statusCode).toBe(200);
    expect((await send(...m.commands.deposit, fixture.admin)).statusCode).toBe(201);
    expect((await send(...m.commands.bill, fixture.admin)).statusCode).toBe(201);

    const operator = await fixture.signIn();
    await expectNothingAppended(async () => expectError(await send(...m.commands.dispute, operator), 403, 'forbidden'));
    await fixture.grant(operator.subject, 'participant', m.platformId);
    expect((await send(...m.commands.dispute, operator)).statusCode).toBe(200);
    // The grant is for the platform: the refund stays the publisher's.
    await expectNothingAppended(async () => expectError(await send(...m.commands.refund, operator), 403, 'forbidden'));
    expect((await send(...m.commands.refund, fixture.admin)).statusCode).toBe(200);
  });
});
