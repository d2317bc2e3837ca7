// The assets routes end to end on the real PostgreSQL with the read side running and wallets signed in with
// SIWE (ethers random wallets): an asset registered by two co-creators, verified, listed, priced and sold with
// its royalty and proceeds split; wallets, their transactions, the market day and the money supply; stakes
// claimed and closed from the reward pool (the gateway's clock moved by whole days); the provenance with each
// event's anchoring proof; and every refusal with its status and code — 400 naming the failing field, 401,
// 403, 404, 409, 422 — with nothing appended where nothing may be.
import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../commands/actor.ts';
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { MAX_ASSETS_INTEGER } from '../../events-schema/assets/events.ts';
import { DAY_MS } from '../../events-schema/assets/rules.ts';
import type { AnchoredEventProof, AuditReader } from '../../ports/read-models/anchoring.ts';
import { expectError, expectNothingAppended } from '../testing/http-expectations.ts';
import { cutOffBefore } from '../testing/background-process.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

/** Proofs the test anchors by hand: the gateway's audit reader, as the anchoring read model would answer. */
const anchored = new Map<string, AnchoredEventProof>();
const audit: AuditReader = {
  eventProof: async (eventId) => anchored.get(eventId) ?? { status: 'pending', eventId, lsn: 1, batchId: null },
  contract: () => Promise.reject(new Error('not asked in this test')),
  eventLsn: () => Promise.reject(new Error('not asked in this test')),
  batches: () => Promise.reject(new Error('not asked in this test')),
  batch: () => Promise.reject(new Error('not asked in this test')),
};

let offset = 0;
const clock = () => Date.now() + offset;
let fixture: HttpFixture;
let verifier: Credential;
let treasury: Credential;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true, clock, audit });
  verifier = await fixture.keyFor({ role: 'verifier' });
  treasury = await fixture.keyFor({ role: 'treasury' });
});
afterAll(async () => fixture?.close());

const send = (method: 'POST' | 'PUT', url: string, payload: object | undefined, as?: Credential, headers: Record<string, string> = {}) =>
  fixture.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...(as ?? {}), ...headers } });
const post = (url: string, payload: object | undefined, as?: Credential, headers?: Record<string, string>) => send('POST', url, payload, as, headers);
const get = (url: string) => fixture.app.inject({ url });
const hash = () => `0x${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;
const assetBody = (creators: { address: string; shareBps: number }[], extra: object = {}) => ({
  assetId: `a-${randomUUID()}`,
  name: 'Tidal turbine blade',
  assetType: 'patent',
  price: 10_000_000,
  royaltyBps: 1000,
  creators,
  contentHash: hash(),
  ...extra,
});

/** A signed-in wallet that can sign in again (after the clock moved past its session). */
async function walletUser() {
  const wallet = Wallet.createRandom();
  const credential = await fixture.signIn(wallet);
  return { wallet, ...credential, again: () => fixture.signIn(wallet) };
}

async function verifiedAsset(creator: Credential & { subject: string }, extra: object = {}) {
  const body = assetBody([{ address: creator.subject, shareBps: 10_000 }], extra);
  expect((await post('/v1/assets', body, creator)).statusCode).toBe(201);
  expect((await post(`/v1/assets/${body.assetId}/verification`, { outcome: 'verified', reason: 'original' }, verifier)).statusCode).toBe(200);
  return body.assetId;
}

async function deposit(address: string, amount: number) {
  const response = await post(`/v1/wallets/${address}/deposits`, { amount }, treasury);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().lsn as number;
}

const contextOf = (subject: string) => ({ metadata: { actor: subject }, actor: { subject, grants: [] } satisfies Actor });

describe('assets over HTTP', () => {
  it('registers, verifies, lists, prices and sells an asset, splitting the royalty and proceeds, and shows it everywhere', async () => {
    const [ada, bob, carol] = [await walletUser(), await walletUser(), await walletUser()];
    // Addresses in any casing name the same wallet: the body's are kept checksummed.
    const body = assetBody([{ address: ada.subject.toLowerCase(), shareBps: 6000 }, { address: bob.subject, shareBps: 4000 }], { metadata: { jurisdiction: 'EU' } });
    const registered = await post('/v1/assets', body, ada);
    expect(registered.statusCode, registered.body).toBe(201);
    expect(registered.json()).toMatchObject({ assetId: body.assetId, status: 'pending', streamId: `assets-asset-${body.assetId}` });

    // Pending: not sold yet; a verifier decides once.
    await deposit(carol.subject.toLowerCase(), 25_000_000);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/purchases`, { price: 10_000_000 }, carol), 409, 'asset_not_verified'));
    expect((await post(`/v1/assets/${body.assetId}/verification`, { outcome: 'verified', reason: 'prior art checked' }, verifier)).json()).toMatchObject({ status: 'verified' });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/verification`, { outcome: 'rejected', reason: 'again' }, verifier), 409, 'verification_decided'));

    // Ada owns 60 %: she prices and lists; Bob (40 %) may not.
    await expectNothingAppended(fixture, async () => expectError(await send('PUT', `/v1/assets/${body.assetId}/price`, { price: 1 }, bob), 403, 'forbidden'));
    expect((await post(`/v1/assets/${body.assetId}/listing`, { listed: false }, ada)).json()).toMatchObject({ listed: false });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/purchases`, { price: 10_000_000 }, carol), 409, 'asset_not_listed'));
    expect((await post(`/v1/assets/${body.assetId}/listing`, { listed: true }, ada)).json()).toMatchObject({ listed: true });
    expect((await send('PUT', `/v1/assets/${body.assetId}/price`, { price: 20_000_000 }, ada)).json()).toMatchObject({ price: 20_000_000 });

    // The buyer repeats the price agreed to; a changed one is refused before anything moves.
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/purchases`, { price: 10_000_000 }, carol), 409, 'price_changed'));
    const key = { 'idempotency-key': `buy-${randomUUID()}` };
    const bought = await post(`/v1/assets/${body.assetId}/purchases`, { price: 20_000_000 }, carol, key);
    expect(bought.statusCode, bought.body).toBe(201);
    // Royalty 10 % = 2 000 000 by creator share; the rest 18 000 000 by ownership (the creators still own it).
    expect(bought.json()).toMatchObject({
      buyer: carol.subject,
      price: 20_000_000,
      balance: 5_000_000,
      royalties: expect.arrayContaining([{ address: ada.subject, amount: 1_200_000 }, { address: bob.subject, amount: 800_000 }]),
      proceeds: expect.arrayContaining([{ address: ada.subject, amount: 10_800_000 }, { address: bob.subject, amount: 7_200_000 }]),
    });
    // The same request again (same Idempotency-Key): the first answer, nothing appended.
    await expectNothingAppended(fixture, async () => expect((await post(`/v1/assets/${body.assetId}/purchases`, { price: 20_000_000 }, carol, key)).json()).toEqual(bought.json()));
    const lsn = bought.json().lsn as number;

    // Sold: unlisted, Carol owns it whole; she lists it and cannot buy her own.
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/purchases`, { price: 20_000_000 }, bob), 409, 'asset_not_listed'));
    expect((await post(`/v1/assets/${body.assetId}/listing`, { listed: true }, carol)).statusCode).toBe(200);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${body.assetId}/purchases`, { price: 20_000_000 }, carol), 409, 'already_owner'));

    const view = await get(`/v1/assets/${body.assetId}?consistentWith=${lsn}`);
    expect(view.json()).toMatchObject({
      assetId: body.assetId,
      assetType: 'patent',
      status: 'verified',
      price: 20_000_000,
      royaltyBps: 1000,
      metadata: { jurisdiction: 'EU' },
      creators: [{ address: ada.subject, shareBps: 6000 }, { address: bob.subject, shareBps: 4000 }],
      owners: [{ address: carol.subject, shareBps: 10_000 }],
      sales: 1,
      lastSalePrice: 20_000_000,
      staked: 0,
    });
    expect(view.json().asOfLsn).toBeGreaterThanOrEqual(lsn);
    const head = await fixture.headLsn();

    // Listing filters take any casing of an address.
    const byCreator = (await get(`/v1/assets?creator=${bob.subject.toLowerCase()}&type=patent&status=verified&consistentWith=${head}`)).json();
    expect(byCreator.assets.map((asset: { assetId: string }) => asset.assetId)).toEqual([body.assetId]);
    expect((await get(`/v1/assets?owner=${carol.subject}`)).json().assets.map((asset: { assetId: string }) => asset.assetId)).toEqual([body.assetId]);
    expect((await get(`/v1/assets?owner=${ada.subject}`)).json().assets).toEqual([]);

    // Wallets: royalty and proceeds earned, the buyer's payment and what it owns.
    expect((await get(`/v1/wallets/${ada.subject.toLowerCase()}?consistentWith=${head}`)).json()).toMatchObject({ address: ada.subject, balance: 12_000_000, royaltiesEarned: 1_200_000, salesProceeds: 10_800_000, assetsOwned: [] });
    expect((await get(`/v1/wallets/${carol.subject}`)).json()).toMatchObject({ balance: 5_000_000, assetsOwned: [body.assetId] });
    const first = (await get(`/v1/wallets/${carol.subject}/transactions?limit=1`)).json();
    expect(first.transactions).toMatchObject([{ kind: 'purchase', amount: -20_000_000, balanceAfter: 5_000_000, assetId: body.assetId }]);
    const second = (await get(`/v1/wallets/${carol.subject}/transactions?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`)).json();
    expect(second).toMatchObject({ transactions: [{ kind: 'deposit', amount: 25_000_000, balanceAfter: 25_000_000 }], nextCursor: null });

    // Withdrawals: never below zero.
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/wallets/${carol.subject}/withdrawals`, { amount: 5_000_001 }, carol), 409, 'insufficient_funds'));
    expect((await post(`/v1/wallets/${carol.subject}/withdrawals`, { amount: 1_000_000 }, carol)).json()).toMatchObject({ address: carol.subject, balance: 4_000_000 });

    // The market day and the money supply.
    const today = new Date(clock()).toISOString().slice(0, 10);
    const end = await fixture.headLsn();
    const market = (await get(`/v1/market/daily?from=${today}&to=${today}&consistentWith=${end}`)).json();
    expect(market.days).toHaveLength(1);
    expect(market.days[0].volume).toBeGreaterThanOrEqual(20_000_000);
    const supply = (await get(`/v1/market/supply?consistentWith=${end}`)).json();
    expect(supply.deposits - supply.withdrawals).toBe(supply.balances + supply.staked + supply.pool + supply.inFlight);
  });

  it('answers the provenance of an asset in stream order, each event with its anchoring proof once anchored (the audit proof route’s body), null before', async () => {
    const ada = await walletUser();
    const assetId = await verifiedAsset(ada);
    const head = await fixture.headLsn();
    const before = (await get(`/v1/assets/${assetId}/provenance?consistentWith=${head}`)).json();
    expect(before.events.map((event: { type: string }) => event.type)).toEqual(['AssetRegistered', 'AssetVerified']);
    expect(before.events.map((event: { proof: unknown }) => event.proof)).toEqual([null, null]);
    const registered = before.events[0] as { eventId: string; lsn: number };
    const zero = `0x${'0'.repeat(64)}` as const;
    anchored.set(registered.eventId, { status: 'anchored', eventId: registered.eventId, lsn: registered.lsn, batchId: 7, leaf: zero, streamHash: zero, payloadHash: zero, proof: [zero], root: zero, contract: '0x0000000000000000000000000000000000000001', chainId: '31337', txHash: null, verifiedOnChain: true });
    const after = (await get(`/v1/assets/${assetId}/provenance?limit=1`)).json();
    const proof = await get(`/v1/audit/events/${registered.eventId}/proof`);
    expect(proof.statusCode).toBe(200);
    expect(after.events).toMatchObject([{ eventId: registered.eventId, type: 'AssetRegistered', proof: proof.json() }]);
    const next = (await get(`/v1/assets/${assetId}/provenance?limit=1&cursor=${encodeURIComponent(after.nextCursor)}`)).json();
    expect(next).toMatchObject({ events: [{ type: 'AssetVerified', proof: null }], nextCursor: null });
    expectError(await get(`/v1/assets/nothing-${randomUUID()}/provenance`), 404, 'asset_not_found');
  });

  it('stakes on a verified asset, claims per whole day from the reward pool, and unstakes early with the principal only', async () => {
    const [ada, sam] = [await walletUser(), await walletUser()];
    const assetId = await verifiedAsset(ada);
    await deposit(sam.subject, 500_000_000);
    expect((await post('/v1/staking/pool/deposits', { amount: 1 }, treasury)).json()).toMatchObject({ amount: 1 });
    const stakeId = `st-${randomUUID()}`;
    const staked = await post(`/v1/assets/${assetId}/stakes`, { stakeId, amount: 100_000_000, durationDays: 30 }, sam);
    expect(staked.statusCode, staked.body).toBe(201);
    expect(staked.json()).toMatchObject({ stakeId, assetId, amount: 100_000_000, durationDays: 30, aprBps: 500, balance: 400_000_000 });
    await expectNothingAppended(fixture, async () => {
      expectError(await post(`/v1/assets/${assetId}/stakes`, { stakeId, amount: 1_000_000, durationDays: 30 }, sam), 409, 'stake_exists');
      expectError(await post(`/v1/stakes/${stakeId}/claim`, undefined, sam), 409, 'nothing_to_claim');
      expectError(await post(`/v1/stakes/${stakeId}/claim`, undefined, ada), 403, 'forbidden');
      expectError(await post(`/v1/stakes/nothing-${randomUUID()}/claim`, undefined, sam), 404, 'stake_not_found');
      expectError(await post(`/v1/assets/nothing-${randomUUID()}/stakes`, { stakeId: `st-${randomUUID()}`, amount: 1, durationDays: 90 }, sam), 404, 'asset_not_found');
      expectError(await post(`/v1/assets/${assetId}/stakes`, { stakeId: `st-${randomUUID()}`, amount: 500_000_000, durationDays: 90 }, sam), 409, 'insufficient_funds');
    });
    const pending = assetBody([{ address: ada.subject, shareBps: 10_000 }]);
    expect((await post('/v1/assets', pending, ada)).statusCode).toBe(201);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${pending.assetId}/stakes`, { stakeId: `st-${randomUUID()}`, amount: 1, durationDays: 30 }, sam), 409, 'asset_not_verified'));

    // Two whole days later (sessions signed again at the new time): 100 000 000 × 5 % × 2 / 365 = 27 397.
    offset += 2 * DAY_MS + 60_000;
    const [samLater, adaLater] = [await sam.again(), await ada.again()];
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/stakes/${stakeId}/claim`, undefined, samLater), 409, 'reward_pool_empty'));
    await post('/v1/staking/pool/deposits', { amount: 10_000_000 }, treasury);
    const claimed = await post(`/v1/stakes/${stakeId}/claim`, undefined, samLater);
    expect(claimed.json()).toMatchObject({ stakeId, amount: 27_397, claimedTotal: 27_397, balance: 400_027_397 });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/stakes/${stakeId}/unstake`, undefined, adaLater), 403, 'forbidden'));
    const closed = await post(`/v1/stakes/${stakeId}/unstake`, undefined, samLater);
    expect(closed.json()).toMatchObject({ stakeId, principal: 100_000_000, reward: 0, forfeited: 0, early: true, balance: 500_027_397 });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/stakes/${stakeId}/unstake`, undefined, samLater), 409, 'stake_closed'));

    const head = await fixture.headLsn();
    expect((await get(`/v1/wallets/${sam.subject}?consistentWith=${head}`)).json()).toMatchObject({ balance: 500_027_397, staked: 0, rewardsClaimed: 27_397 });
    const supply = (await get(`/v1/market/supply?consistentWith=${head}`)).json();
    expect(supply.deposits - supply.withdrawals).toBe(supply.balances + supply.staked + supply.pool + supply.inFlight);
  });

  it('refuses a purchase while another is under way, an unfunded one (cancelled, nothing moved), and a purchase id already used', async () => {
    const [ada, carol, dan] = [await walletUser(), await walletUser(), await walletUser()];
    const assetId = await verifiedAsset(ada, { price: 3_000_000 });
    const otherAsset = await verifiedAsset(ada, { price: 3_000_000 });
    await deposit(carol.subject, 5_000_000);

    // Carol's purchase cut off after it started (her request crashed before paying): Dan waits for it to end.
    const cut = assetCommands(cutOffBefore(fixture.eventStore, 'PurchasePaid'), clock);
    await expect(cut.purchase(assetId, { price: 3_000_000, purchaseId: `p-${randomUUID()}` }, contextOf(carol.subject))).rejects.toThrow(/cut off before PurchasePaid/);
    await deposit(dan.subject, 5_000_000);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${assetId}/purchases`, { price: 3_000_000 }, dan), 409, 'purchase_in_progress'));

    // Unfunded: the purchase is voided and cancelled, no money moves; its retry is answered purchase_cancelled.
    const poor = await walletUser();
    const purchaseId = `p-${randomUUID()}`;
    expectError(await post(`/v1/assets/${otherAsset}/purchases`, { price: 3_000_000, purchaseId }, poor), 409, 'insufficient_funds');
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${otherAsset}/purchases`, { price: 3_000_000, purchaseId }, poor), 409, 'purchase_cancelled'));
    // The same purchase id on another asset, or by another buyer.
    const third = await verifiedAsset(ada, { price: 3_000_000 });
    await expectNothingAppended(fixture, async () => {
      expectError(await post(`/v1/assets/${third}/purchases`, { price: 3_000_000, purchaseId }, dan), 409, 'purchase_exists');
      expectError(await post(`/v1/assets/${otherAsset}/purchases`, { price: 3_000_000, purchaseId }, dan), 409, 'purchase_exists');
    });
    const bought = await post(`/v1/assets/${otherAsset}/purchases`, { price: 3_000_000 }, dan);
    expect(bought.json()).toMatchObject({ buyer: dan.subject, balance: 2_000_000 });
  });

  it('refuses what it must, naming the field or the rule, and appends nothing', async () => {
    const [ada, bob] = [await walletUser(), await walletUser()];
    const assetId = await verifiedAsset(ada);
    const own = [{ address: ada.subject, shareBps: 10_000 }];
    const issuesOf = (response: { json(): { issues: { path: string }[] } }) => response.json().issues.map((issue) => issue.path);
    await expectNothingAppended(fixture, async () => {
      // 401 without a credential, on every kind of command.
      expectError(await post('/v1/assets', assetBody(own)), 401, 'unauthenticated');
      expectError(await post(`/v1/assets/${assetId}/purchases`, { price: 10_000_000 }), 401, 'unauthenticated');
      expectError(await post(`/v1/stakes/x/claim`, undefined), 401, 'unauthenticated');
      // 400, naming the field.
      const shares = await post('/v1/assets', assetBody([{ address: ada.subject, shareBps: 6000 }, { address: bob.subject, shareBps: 3999 }]), ada);
      expectError(shares, 400, 'invalid_request');
      expect(issuesOf(shares)).toEqual(['creators']);
      const twice = await post('/v1/assets', assetBody([{ address: ada.subject, shareBps: 5000 }, { address: ada.subject.toLowerCase(), shareBps: 5000 }]), ada);
      expect(issuesOf(twice)).toEqual(['creators']);
      const badAddress = await post('/v1/assets', assetBody([{ address: '0x1234', shareBps: 10_000 }]), ada);
      expect(issuesOf(badAddress)).toEqual(['creators.0.address']);
      // A mixed-case address with a wrong checksum is not an address.
      const wrongChecksum = ada.subject.slice(0, 2) + [...ada.subject.slice(2)].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
      if (wrongChecksum !== ada.subject.toLowerCase() && wrongChecksum !== ada.subject.toUpperCase()) {
        expect(issuesOf(await post('/v1/assets', assetBody([{ address: wrongChecksum, shareBps: 10_000 }]), ada))).toEqual(['creators.0.address']);
      }
      expect(issuesOf(await post('/v1/assets', assetBody(own, { name: 'Blade\u0007' }), ada))).toEqual(['name']);
      expect(issuesOf(await post('/v1/assets', assetBody(own, { royaltyBps: 5001 }), ada))).toEqual(['royaltyBps']);
      expect(issuesOf(await post('/v1/assets', assetBody(own, { assetType: 'song' }), ada))).toEqual(['assetType']);
      expect(issuesOf(await post('/v1/assets', assetBody(own, { contentHash: 'not-a-hash' }), ada))).toEqual(['contentHash']);
      expect(issuesOf(await post('/v1/assets', assetBody(own, { royalty: 1 }), ada))).toEqual(['royalty']);
      expect(issuesOf(await post(`/v1/assets/${assetId}/stakes`, { stakeId: 's', amount: 1, durationDays: 45 }, bob))).toEqual(['durationDays']);
      expect(issuesOf(await post(`/v1/assets/${assetId}/purchases`, { price: 0 }, bob))).toEqual(['price']);
      expect(issuesOf(await post(`/v1/wallets/${bob.subject}/deposits`, { amount: MAX_ASSETS_INTEGER + 1 }, treasury))).toEqual(['amount']);
      expect(issuesOf(await post('/v1/wallets/0xnot-an-address/deposits', { amount: 1 }, treasury))).toEqual(['address']);
      expect(issuesOf(await post(`/v1/assets/${assetId}/verification`, { outcome: 'maybe', reason: 'x' }, verifier))).toEqual(['outcome']);
      expect(issuesOf(await get('/v1/assets?creator=0x12'))).toEqual(['creator']);
      expect(issuesOf(await get('/v1/market/daily?from=2026-13-01'))).toEqual(['from']);
      expect(issuesOf(await get('/v1/wallets/nobody/transactions'))).toEqual(['address']);
      // 403: the role, or the wallet, is not the caller's.
      expectError(await post(`/v1/assets/${assetId}/verification`, { outcome: 'verified', reason: 'mine' }, ada), 403, 'forbidden');
      expectError(await post(`/v1/wallets/${ada.subject}/deposits`, { amount: 1 }, ada), 403, 'forbidden');
      expectError(await post('/v1/staking/pool/deposits', { amount: 1 }, verifier), 403, 'forbidden');
      expectError(await post(`/v1/wallets/${ada.subject}/withdrawals`, { amount: 1 }, bob), 403, 'forbidden');
      expectError(await post('/v1/assets', assetBody([{ address: bob.subject, shareBps: 10_000 }]), ada), 403, 'forbidden');
      expectError(await post('/v1/assets', assetBody(own), treasury), 403, 'forbidden');
      expectError(await post(`/v1/assets/${assetId}/listing`, { listed: false }, bob), 403, 'forbidden');
      // 404 and 409 of the deciders.
      expectError(await post(`/v1/assets/nothing-${randomUUID()}/verification`, { outcome: 'verified', reason: 'x' }, verifier), 404, 'asset_not_found');
      expectError(await send('PUT', `/v1/assets/nothing-${randomUUID()}/price`, { price: 1 }, ada), 404, 'asset_not_found');
      expectError(await post(`/v1/assets/${assetId}/purchases`, { price: 10_000_000 }, ada), 409, 'already_owner');
      expectError(await post('/v1/assets', assetBody(own, { assetId }), ada), 409, 'asset_exists');
      // Queries.
      expectError(await get(`/v1/assets/nothing-${randomUUID()}`), 404, 'asset_not_found');
      expectError(await get(`/v1/wallets/${Wallet.createRandom().address}`), 404, 'wallet_not_found');
    });
    // A rejected asset is never listed again; its owner hears why.
    const rejected = assetBody(own);
    await post('/v1/assets', rejected, ada);
    await post(`/v1/assets/${rejected.assetId}/verification`, { outcome: 'rejected', reason: 'copied' }, verifier);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/assets/${rejected.assetId}/listing`, { listed: true }, ada), 409, 'asset_not_verified'));
  });

  // Last: the largest exact balance is far beyond any other test's sums.
  it('refuses a deposit that would take a balance past the largest exact amount (422), moving nothing', async () => {
    const whale = await walletUser();
    await deposit(whale.subject, MAX_ASSETS_INTEGER);
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/wallets/${whale.subject}/deposits`, { amount: 1 }, treasury), 422, 'amount_out_of_range'));
  });
});
