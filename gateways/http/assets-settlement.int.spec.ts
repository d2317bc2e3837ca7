// The assets settlement process against the real store and the assets read model: requests cut off mid-saga
// (the fixture's store failing one append, as a crash there would) — a purchase started and never paid, one
// paid and never sold, a stake's principal locked and the stake never opened — are left alone within the grace
// period, then finished once it has passed: the unpaid purchase cancelled with no money moved, the paid one
// sold with each payee credited once, the stake opened, exactly once with two processes running; the read model
// then shows nothing pending and nothing in flight. Aborted, the process stops at once. Clocks are injected;
// waits poll with a deadline.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { assetStreamId } from '../../commands/assets/asset.ts';
import { createAssetsSettlement, SETTLEMENT_ACTOR, SETTLEMENT_GRACE_MS, type SettlementPassOutcome } from '../../commands/assets/settlement.ts';
import { STAKING_STREAM_ID } from '../../commands/assets/staking.ts';
import { walletStreamId } from '../../commands/assets/wallet.ts';
import { decodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { pendingPurchases, pendingStakes } from '../../projections/assets/queries.ts';
import { cutOffBefore, expectStopsMidWait, runCountingPasses } from '../testing/background-process.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

const WAIT_MS = 20_000;

let fixture: HttpFixture;
let verifier: Credential;
let treasury: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  verifier = await fixture.keyFor({ role: 'verifier' });
  treasury = await fixture.keyFor({ role: 'treasury' });
});
afterAll(async () => fixture?.close());

const post = (url: string, payload: object, as: Credential) => fixture.app.inject({ method: 'POST', url, payload, headers: as });
const eventsOf = async (streamId: string): Promise<ProoflineEvent[]> => (await fixture.eventStore.readStream(streamId)).events.map((recorded) => decodeEvent(recorded.data));
const typesOf = async (streamId: string) => (await eventsOf(streamId)).map((event) => event.type);
const hash = () => `0x${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;

async function verifiedAsset(creator: Credential & { subject: string }, price: number) {
  const assetId = `a-${randomUUID()}`;
  const body = { assetId, name: 'Seed bank dataset', assetType: 'dataset', price, royaltyBps: 2500, creators: [{ address: creator.subject, shareBps: 10_000 }], contentHash: hash() };
  expect((await post('/v1/assets', body, creator)).statusCode).toBe(201);
  expect((await post(`/v1/assets/${assetId}/verification`, { outcome: 'verified', reason: 'ok' }, verifier)).statusCode).toBe(200);
  return assetId;
}

const contextOf = (subject: string) => ({ metadata: { actor: subject }, actor: { subject, grants: [] } });

/** A settlement process running in the background with its own clock, its passes counted. */
function startProcess(clock: () => number, pollIntervalMs = 5) {
  const background = runCountingPasses<SettlementPassOutcome>(
    (onPass) =>
      createAssetsSettlement({
        eventStore: fixture.eventStore,
        pendingPurchases: (startedBefore, limit, after) => pendingPurchases(fixture.db.knex, startedBefore, limit, after),
        pendingStakes: (before, limit) => pendingStakes(fixture.db.knex, before, limit),
        clock,
        pollIntervalMs,
        batchSize: 1,
        logger: pino({ level: 'silent' }),
        onPass,
      }),
    WAIT_MS,
  );
  return { ...background, settled: () => background.passes.flatMap((pass) => [...pass.sold, ...pass.cancelled, ...pass.stakes]) };
}

describe('assets settlement process', () => {
  it('finishes purchases and stakes cut off mid-saga once the grace period has passed, exactly once with two processes running', async () => {
    const [creator, buyer] = [await fixture.signIn(), await fixture.signIn()];
    const [unpaidAsset, paidAsset, stakedAsset] = [await verifiedAsset(creator, 2_000_000), await verifiedAsset(creator, 4_000_000), await verifiedAsset(creator, 1_000_000)];
    expect((await post(`/v1/wallets/${buyer.subject}/deposits`, { amount: 10_000_000 }, treasury)).statusCode).toBe(201);
    const startedAt = Date.now();
    const at = () => startedAt;
    const [unpaid, paid, stakeId] = [`p-${randomUUID()}`, `p-${randomUUID()}`, `st-${randomUUID()}`];
    await expect(assetCommands(cutOffBefore(fixture.eventStore, 'PurchasePaid'), at).purchase(unpaidAsset, { price: 2_000_000, purchaseId: unpaid }, contextOf(buyer.subject))).rejects.toThrow(/cut off/);
    await expect(assetCommands(cutOffBefore(fixture.eventStore, 'AssetSold'), at).purchase(paidAsset, { price: 4_000_000, purchaseId: paid }, contextOf(buyer.subject))).rejects.toThrow(/cut off/);
    await expect(assetCommands(cutOffBefore(fixture.eventStore, 'StakeOpened'), at).stake(stakedAsset, { stakeId, amount: 1_000_000, durationDays: 90 }, contextOf(buyer.subject))).rejects.toThrow(/cut off/);
    const pendingNow = async (before: number) => ({ purchases: (await pendingPurchases(fixture.db.knex, before, 10)).length, stakes: (await pendingStakes(fixture.db.knex, before, 10)).unopened.length });
    await waitFor(async () => JSON.stringify(await pendingNow(startedAt + 1)) === JSON.stringify({ purchases: 2, stakes: 1 }), WAIT_MS, () => 'the read model never showed the two purchases and the stake pending');

    // Within the grace period: nothing.
    const head = await fixture.headLsn();
    const early = startProcess(() => startedAt + SETTLEMENT_GRACE_MS - 1);
    await early.passesMore(3);
    await early.stop();
    expect(early.settled()).toEqual([]);
    expect(await fixture.headLsn()).toBe(head);

    // Past it, two at once (pages of one: each pass reads page after page).
    const late = () => startedAt + SETTLEMENT_GRACE_MS + 1;
    const [first, second] = [startProcess(late), startProcess(late)];
    await waitFor(async () => JSON.stringify(await pendingNow(late())) === JSON.stringify({ purchases: 0, stakes: 0 }), WAIT_MS, () => 'purchases or stakes still pending in the read model');
    await first.passesMore(3);
    await second.passesMore(3);
    await Promise.all([first.stop(), second.stop()]);

    // The unpaid purchase: voided by the wallet, cancelled on the asset, which is free and listed again.
    expect(await typesOf(assetStreamId(unpaidAsset))).toEqual(['AssetRegistered', 'AssetVerified', 'PurchaseStarted', 'PurchaseCancelled']);
    // The paid one: sold once, its one payee (the creator, royalty and proceeds) credited once.
    expect(await typesOf(assetStreamId(paidAsset))).toEqual(['AssetRegistered', 'AssetVerified', 'PurchaseStarted', 'AssetSold']);
    const creatorEvents = await eventsOf(walletStreamId(creator.subject));
    expect(creatorEvents.filter((event) => event.type === 'SaleProceedsReceived')).toHaveLength(1);
    // The buyer paid only the sold purchase and locked the stake.
    const buyerTypes = await typesOf(walletStreamId(buyer.subject));
    expect(buyerTypes.filter((type) => type === 'PurchasePaid')).toHaveLength(1);
    expect(buyerTypes.filter((type) => type === 'PurchaseVoided')).toHaveLength(1);
    // The stake: opened once on the staking stream.
    const opened = (await eventsOf(STAKING_STREAM_ID)).filter((event) => event.type === 'StakeOpened' && event.data.stakeId === stakeId);
    expect(opened).toHaveLength(1);
    const { events } = await fixture.eventStore.readStream(assetStreamId(paidAsset));
    expect(events.at(-1)!.metadata.actor).toBe(`proofline:${SETTLEMENT_ACTOR}`);

    // The read model: nothing in flight; the buyer owns the paid asset, holds 10 − 4 − 1 (staked).
    const end = await fixture.headLsn();
    const supply = (await fixture.app.inject({ url: `/v1/market/supply?consistentWith=${end}` })).json();
    expect(supply).toMatchObject({ inFlight: 0 });
    expect(supply.deposits - supply.withdrawals).toBe(supply.balances + supply.staked + supply.pool + supply.inFlight);
    expect((await fixture.app.inject({ url: `/v1/wallets/${buyer.subject}?consistentWith=${end}` })).json()).toMatchObject({ balance: 5_000_000, staked: 1_000_000, assetsOwned: [paidAsset] });
    expect((await fixture.app.inject({ url: `/v1/assets/${unpaidAsset}` })).json()).toMatchObject({ listed: true, owners: [{ address: creator.subject, shareBps: 10_000 }], sales: 0 });
  });

  it('stops as soon as its signal aborts, mid-wait between passes', async () => {
    await expectStopsMidWait(startProcess(() => Date.now(), 60 * 60_000));
  });
});
