// The assets read model against a real PostgreSQL, fed by the real use cases (commands/assets) on the
// PostgreSQL event store: three assets registered, verified or rejected, sold and resold over three UTC
// days, deposits, a withdrawal, the reward pool, stakes claimed and unstaked, a purchase refused for want of
// funds; then four requests cut off half-way (a purchase started and never paid, a sale paid and sold but
// no payee credited, a principal locked whose stake never opened, a claim decided and never paid) and what
// the settlement finishes. Every query after each phase, the money supply's identity at every step,
// re-delivery, other delivery orders (wallets before assets, staking first) and the rebuild.
import { getAddress } from 'ethers';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../commands/actor.ts';
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { assetStreamId } from '../../commands/assets/asset.ts';
import { registerAssetSchema } from '../../commands/assets/schemas.ts';
import type { AssetsEvent } from '../../events-schema/assets/events.ts';
import { accruedRewards, DAY_MS } from '../../events-schema/assets/rules.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import type { EventStore, EventToAppend, RecordedEvent } from '../../ports/event-store.ts';
import type { MoneySupply } from '../../ports/read-models/assets.ts';
import type { Projection } from '../projection.ts';
import { listParked, projectionSchema, rebuildProjection } from '../runtime/index.ts';
import { compareSchemas, tableDigests } from '../runtime/shadow-diff.ts';
import { projectionSpec } from '../testing/projection-spec.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { assetsProjection } from './assets-projection.ts';
import * as queries from './queries.ts';

const address = (digit: string) => getAddress(`0x${digit.repeat(40)}`);
const ALICE = address('a');
const BOB = address('b');
const CAROL = address('c');
const DAN = address('d');
const as = (subject: string, role?: 'treasury' | 'verifier') => ({ metadata: {}, actor: { subject, grants: role ? [{ role }] : [] } as Actor });
const TREASURY = as('treasury', 'treasury');
const VERIFIER = as('verifier', 'verifier');

const MAR10 = Date.UTC(2030, 2, 10, 10);
const MAR11 = MAR10 + DAY_MS;
const MAR21 = MAR11 + 10 * DAY_MS;
const APR11 = MAR11 + 31 * DAY_MS;
const APR12 = APR11 + DAY_MS;
const FAR = Date.UTC(2100, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

const holdsIdentity = (supply: MoneySupply) => expect(supply.deposits - supply.withdrawals).toBe(supply.balances + supply.staked + supply.pool + supply.inFlight);

let testbed: ProjectionTestbed;
let clock = MAR10;
/** Called before each append; throw from it to cut a use case off there (a crash between two appends). */
let beforeAppend: (streamId: string, events: readonly EventToAppend[]) => void = () => {};
let commands: ReturnType<typeof assetCommands>;
const knex = () => testbed.db.knex;
const project = () => testbed.runToHead(assetsProjection, 7);
/**
 * Cuts off every append of this type from now until `reconnect`, which first waits for `attempts` of them to
 * be refused: a sale credits its payees in parallel, so the purchase fails at the first refused credit while
 * the others are still on their way to the store.
 */
let refused = 0;
let expectedRefusals = 0;
const cutOffAt = (type: AssetsEvent['type'], attempts = 1) => {
  refused = 0;
  expectedRefusals = attempts;
  beforeAppend = (_streamId, events) => {
    if (!events.some((event) => event.type === type)) return;
    refused += 1;
    throw new Error(`cut off before ${type}`);
  };
};
const reconnect = async () => {
  for (let waited = 0; refused < expectedRefusals; waited += 10) {
    if (waited > 5000) throw new Error(`only ${refused} of ${expectedRefusals} appends were cut off`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  beforeAppend = () => {};
};
const failsWith = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: Error) => (error as { code?: string }).code ?? error.message);

const register = (by: string, assetId: string, assetType: string, price: number, royaltyBps: number, creators: Array<[string, number]>) =>
  commands.register(
    registerAssetSchema.parse({
      assetId,
      name: `Asset ${assetId}`,
      assetType,
      price,
      royaltyBps,
      creators: creators.map(([a, shareBps]) => ({ address: a, shareBps })),
      contentHash: `0x${assetId.charCodeAt(1).toString(16).repeat(32)}`,
      metadata: { jurisdiction: 'EU' },
    }),
    as(by),
  );

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  const store = testbed.eventStore;
  const hooked: EventStore = Object.assign(Object.create(store) as EventStore, {
    appendToStream: (streamId: string, events: readonly EventToAppend[], options?: Parameters<EventStore['appendToStream']>[2]) => {
      beforeAppend(streamId, events);
      return store.appendToStream(streamId, events, options);
    },
  });
  commands = assetCommands(hooked, () => clock);
});
afterAll(async () => testbed?.close());

describe('assets projection: a market through the use cases, query by query', () => {
  it('phase 1 (Mar 10–11, Apr 11): registrations, verification, two days of sales, stakes claimed and closed, a purchase refused', async () => {
    await register(ALICE, 'a1', 'patent', 1_000_000, 1000, [[ALICE, 6000], [BOB, 4000]]);
    await register(BOB, 'a2', 'dataset', 500_000, 500, [[BOB, 10_000]]);
    await register(ALICE, 'a3', 'model', 100, 0, [[ALICE, 10_000]]);
    await commands.decideVerification('a1', { outcome: 'verified', reason: 'prior art checked' }, VERIFIER);
    await commands.decideVerification('a2', { outcome: 'verified', reason: 'ok' }, VERIFIER);
    await commands.decideVerification('a3', { outcome: 'rejected', reason: 'duplicate' }, VERIFIER);
    await commands.deposit(CAROL, 5_000_000, TREASURY);
    await commands.deposit(DAN, 3_000_000, TREASURY);
    await commands.purchase('a1', { price: 1_000_000, purchaseId: 'p1' }, as(CAROL));
    clock = MAR11;
    await commands.setListing('a1', true, as(CAROL));
    await commands.setPrice('a1', 2_000_000, as(CAROL));
    await commands.purchase('a1', { price: 2_000_000, purchaseId: 'p2' }, as(DAN));
    await commands.purchase('a2', { price: 500_000, purchaseId: 'p3' }, as(CAROL));
    await commands.withdraw(ALICE, 100_000, as(ALICE));
    await commands.fundRewardPool(10_000_000, TREASURY);
    await commands.stake('a1', { stakeId: 's1', amount: 500_000, durationDays: 30 }, as(DAN));
    await commands.stake('a2', { stakeId: 's2', amount: 1_000_000, durationDays: 90 }, as(CAROL));
    clock = MAR21;
    await commands.claim('s2', as(CAROL));
    clock = APR11;
    await commands.unstake('s1', as(DAN));
    await commands.setListing('a1', true, as(DAN));
    await commands.setPrice('a1', 10_000_000, as(DAN));
    expect(await failsWith(commands.purchase('a1', { price: 10_000_000, purchaseId: 'p4' }, as(BOB)))).toBe('insufficient_funds');
    await project();

    // The rewards as the rules compute them: 10 days of 8 % on 1 000 000, 30 days of 5 % on 500 000.
    expect(accruedRewards({ amount: 1_000_000, aprBps: 800, startsAt: MAR11, endsAt: MAR11 + 90 * DAY_MS }, MAR21)).toBe(2191);
    expect(accruedRewards({ amount: 500_000, aprBps: 500, startsAt: MAR11, endsAt: MAR11 + 30 * DAY_MS }, APR11)).toBe(2054);

    const supply = await queries.moneySupply(knex());
    expect(supply).toEqual({ deposits: 18_000_000, withdrawals: 100_000, balances: 620_000 + 980_000 + 4_302_191 + 1_002_054, staked: 1_000_000, pool: 10_000_000 - 2191 - 2054, inFlight: 0 });
    holdsIdentity(supply);
    expect(await queries.pendingPurchases(knex(), FAR, 10)).toEqual([]);
    expect(await queries.pendingStakes(knex(), FAR, 10)).toEqual({ unopened: [], unpaid: [] });
    expect(await queries.asset(knex(), 'a1')).toMatchObject({ owners: [{ address: DAN, shareBps: 10_000 }], staked: 0, sales: 2, lastSalePrice: 2_000_000, listed: true, price: 10_000_000 });
    expect((await queries.wallet(knex(), BOB))!.balance).toBe(980_000);
    // The refused purchase moved nothing: no transaction of Bob's names it.
    expect((await queries.walletTransactions(knex(), BOB, { limit: 50 })).transactions.map((t) => t.reference)).not.toContain('p4');
  });

  it('phase 2 (Apr 12): four requests cut off half-way are what pendingPurchases and pendingStakes list; the identity holds with money in flight', async () => {
    clock = APR12;
    await commands.setListing('a2', true, as(CAROL));
    cutOffAt('PurchasePaid');
    expect(await failsWith(commands.purchase('a2', { price: 500_000, purchaseId: 'p5' }, as(ALICE)))).toBe('cut off before PurchasePaid');
    await reconnect();
    clock = APR12 + 60_000;
    await commands.setPrice('a1', 300_000, as(DAN));
    cutOffAt('SaleProceedsReceived', 3); // Alice's and Bob's royalties, Dan's proceeds
    expect(await failsWith(commands.purchase('a1', { price: 300_000, purchaseId: 'p6' }, as(CAROL)))).toBe('cut off before SaleProceedsReceived');
    await reconnect();
    clock = APR12 + 120_000;
    cutOffAt('StakeOpened');
    expect(await failsWith(commands.stake('a1', { stakeId: 's3', amount: 200_000, durationDays: 30 }, as(BOB)))).toBe('cut off before StakeOpened');
    await reconnect();
    cutOffAt('StakePayoutReceived');
    expect(await failsWith(commands.claim('s2', as(CAROL)))).toBe('cut off before StakePayoutReceived');
    await reconnect();
    await project();

    expect(await queries.pendingPurchases(knex(), FAR, 10)).toEqual([
      { assetId: 'a2', purchaseId: 'p5', startedAt: APR12 },
      { assetId: 'a1', purchaseId: 'p6', startedAt: APR12 + 60_000 },
    ]);
    expect(await queries.pendingPurchases(knex(), FAR, 1)).toEqual([{ assetId: 'a2', purchaseId: 'p5', startedAt: APR12 }]);
    expect(await queries.pendingPurchases(knex(), FAR, 10, 'p5')).toEqual([{ assetId: 'a1', purchaseId: 'p6', startedAt: APR12 + 60_000 }]);
    expect(await queries.pendingPurchases(knex(), APR12 + 60_000, 10)).toEqual([{ assetId: 'a2', purchaseId: 'p5', startedAt: APR12 }]);
    expect(await queries.pendingPurchases(knex(), APR12, 10)).toEqual([]);
    await expect(queries.pendingPurchases(knex(), FAR, 10, 'nope')).rejects.toThrow(/invalid cursor/);
    expect(await queries.pendingStakes(knex(), FAR, 10)).toEqual({ unopened: [{ address: BOB, stakeId: 's3' }], unpaid: ['s2'] });
    expect(await queries.pendingStakes(knex(), APR12, 10)).toEqual({ unopened: [], unpaid: [] });

    // The second claim: 32 days accrued, less the 2191 claimed.
    const secondClaim = accruedRewards({ amount: 1_000_000, aprBps: 800, startsAt: MAR11, endsAt: MAR11 + 90 * DAY_MS }, APR12 + 120_000) - 2191;
    expect(secondClaim).toBe(4822);
    const supply = await queries.moneySupply(knex());
    expect(supply).toEqual({
      deposits: 18_000_000,
      withdrawals: 100_000,
      balances: 620_000 + 780_000 + 4_002_191 + 1_002_054,
      staked: 1_000_000,
      pool: 10_000_000 - 2191 - 2054 - secondClaim,
      inFlight: 300_000 + 200_000 + secondClaim,
    });
    holdsIdentity(supply);
    // Sold, not yet credited: Carol owns a1 already, and the day counts the sale.
    expect((await queries.asset(knex(), 'a1'))!.owners).toEqual([{ address: CAROL, shareBps: 10_000 }]);
  });

  it('phase 3: the settlement finishes them (p5 cancelled, p6 credited, s3 opened, s2 paid); nothing pending, nothing in flight', async () => {
    expect(await commands.settlePurchase('a2', 'p5')).toBe('cancelled');
    expect(await commands.settlePurchase('a1', 'p6')).toBe('sold');
    await commands.settleStakes([{ address: BOB, stakeId: 's3' }], ['s2']);
    await project();
    expect(await queries.pendingPurchases(knex(), FAR, 10)).toEqual([]);
    expect(await queries.pendingStakes(knex(), FAR, 10)).toEqual({ unopened: [], unpaid: [] });
    const supply = await queries.moneySupply(knex());
    expect(supply).toEqual({
      deposits: 18_000_000,
      withdrawals: 100_000,
      balances: 638_000 + 792_000 + 4_007_013 + 1_272_054,
      staked: 1_200_000,
      pool: 10_000_000 - 2191 - 2054 - 4822,
      inFlight: 0,
    });
    holdsIdentity(supply);
    expect(await listParked(testbed.db, [assetsProjection])).toEqual([]);
  });

  it('assets: status, price, listing, creators, owners (the buyer whole after a sale), open stakes, sales; unknown is null', async () => {
    const a1 = await queries.asset(knex(), 'a1');
    expect(a1).toEqual({
      assetId: 'a1',
      name: 'Asset a1',
      assetType: 'patent',
      status: 'verified',
      price: 300_000,
      listed: false,
      royaltyBps: 1000,
      contentHash: `0x${'31'.repeat(32)}`,
      metadata: { jurisdiction: 'EU' },
      creators: [
        { address: ALICE, shareBps: 6000 },
        { address: BOB, shareBps: 4000 },
      ],
      owners: [{ address: CAROL, shareBps: 10_000 }],
      staked: 200_000,
      sales: 3,
      lastSalePrice: 300_000,
      registeredAt: iso(MAR10),
    });
    expect(await queries.asset(knex(), 'a2')).toMatchObject({ status: 'verified', owners: [{ address: CAROL, shareBps: 10_000 }], staked: 1_000_000, sales: 1, lastSalePrice: 500_000, listed: true });
    expect(await queries.asset(knex(), 'a3')).toMatchObject({ status: 'rejected', listed: false, owners: [{ address: ALICE, shareBps: 10_000 }], staked: 0, sales: 0, lastSalePrice: null });
    expect(await queries.asset(knex(), 'nope')).toBeNull();
  });

  it('listAssets: newest first, keyset-paged, filtered by creator, owner, type and status', async () => {
    const ids = async (filter: Parameters<typeof queries.listAssets>[1]) => (await queries.listAssets(knex(), filter)).assets.map((a) => a.assetId);
    const first = await queries.listAssets(knex(), { limit: 2 });
    expect(first.assets.map((a) => a.assetId)).toEqual(['a3', 'a2']);
    const second = await queries.listAssets(knex(), { limit: 2, cursor: first.nextCursor! });
    expect([second.assets.map((a) => a.assetId), second.nextCursor]).toEqual([['a1'], null]);
    expect(second.assets[0]).toEqual(await queries.asset(knex(), 'a1'));
    expect(await ids({ limit: 10, creator: BOB })).toEqual(['a2', 'a1']);
    expect(await ids({ limit: 10, creator: CAROL })).toEqual([]);
    expect(await ids({ limit: 10, owner: CAROL })).toEqual(['a2', 'a1']);
    expect(await ids({ limit: 10, owner: ALICE })).toEqual(['a3']);
    expect(await ids({ limit: 10, type: 'dataset' })).toEqual(['a2']);
    expect(await ids({ limit: 10, status: 'verified' })).toEqual(['a2', 'a1']);
    expect(await ids({ limit: 10, status: 'rejected', creator: ALICE })).toEqual(['a3']);
    expect(await ids({ limit: 10, status: 'pending' })).toEqual([]);
    await expect(queries.listAssets(knex(), { limit: 2, cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('provenance: every event of the asset’s stream in order, decoded, paged; empty for an unknown asset', async () => {
    const recorded = (await testbed.eventStore.readStream(assetStreamId('a1'))).events;
    const expected = recorded.map((r) => ({ eventId: r.eventId, lsn: r.lsn, revision: r.revision, type: r.type, recordedAt: r.recordedAt.toISOString(), data: decodeEvent(r.data).data }));
    const pages = [await queries.provenance(knex(), 'a1', { limit: 4 })];
    while (pages.at(-1)!.nextCursor) pages.push(await queries.provenance(knex(), 'a1', { limit: 4, cursor: pages.at(-1)!.nextCursor! }));
    expect(pages.flatMap((p) => p.events)).toEqual(expected);
    expect(pages.length).toBe(Math.ceil(expected.length / 4));
    expect(expected.map((e) => e.type)).toEqual([
      'AssetRegistered', 'AssetVerified', 'PurchaseStarted', 'AssetSold', 'AssetListingSet', 'AssetPriceSet', 'PurchaseStarted', 'AssetSold',
      'AssetListingSet', 'AssetPriceSet', 'PurchaseStarted', 'PurchaseCancelled', 'AssetPriceSet', 'PurchaseStarted', 'AssetSold',
    ]);
    expect(await queries.provenance(knex(), 'nope', { limit: 10 })).toEqual({ events: [], nextCursor: null });
    await expect(queries.provenance(knex(), 'a1', { limit: 4, cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('wallets: balance, assets owned, royalties and proceeds received, open stakes, rewards claimed; unknown is null', async () => {
    expect(await queries.wallet(knex(), CAROL)).toEqual({ address: CAROL, balance: 4_007_013, assetsOwned: ['a1', 'a2'], royaltiesEarned: 0, salesProceeds: 1_800_000, staked: 1_000_000, rewardsClaimed: 2191 + 4822 });
    expect(await queries.wallet(knex(), ALICE)).toEqual({ address: ALICE, balance: 638_000, assetsOwned: ['a3'], royaltiesEarned: 60_000 + 120_000 + 18_000, salesProceeds: 540_000, staked: 0, rewardsClaimed: 0 });
    expect(await queries.wallet(knex(), BOB)).toEqual({ address: BOB, balance: 792_000, assetsOwned: [], royaltiesEarned: 40_000 + 80_000 + 25_000 + 12_000, salesProceeds: 360_000 + 475_000, staked: 200_000, rewardsClaimed: 0 });
    expect(await queries.wallet(knex(), DAN)).toEqual({ address: DAN, balance: 1_272_054, assetsOwned: [], royaltiesEarned: 0, salesProceeds: 270_000, staked: 0, rewardsClaimed: 2054 });
    expect(await queries.wallet(knex(), address('e'))).toBeNull();
  });

  it('wallet transactions: one per balance movement, signed, newest first, paged; each balanceAfter is the previous one plus its amount', async () => {
    const pages = [await queries.walletTransactions(knex(), DAN, { limit: 2 })];
    while (pages.at(-1)!.nextCursor) pages.push(await queries.walletTransactions(knex(), DAN, { limit: 2, cursor: pages.at(-1)!.nextCursor! }));
    const transactions = pages.flatMap((p) => p.transactions);
    expect(transactions.map(({ kind, amount, balanceAfter, assetId, reference }) => ({ kind, amount, balanceAfter, assetId, reference }))).toEqual([
      { kind: 'sale_proceeds', amount: 270_000, balanceAfter: 1_272_054, assetId: 'a1', reference: 'p6' },
      { kind: 'stake_payout', amount: 502_054, balanceAfter: 1_002_054, assetId: 'a1', reference: 's1' },
      { kind: 'stake', amount: -500_000, balanceAfter: 500_000, assetId: 'a1', reference: 's1' },
      { kind: 'purchase', amount: -2_000_000, balanceAfter: 1_000_000, assetId: 'a1', reference: 'p2' },
      { kind: 'deposit', amount: 3_000_000, balanceAfter: 3_000_000, assetId: null, reference: null },
    ]);
    expect(transactions.map((t) => t.at)).toEqual([iso(APR12 + 120_000), iso(APR11), iso(MAR11), iso(MAR11), iso(MAR10)]);
    for (const wallet of [ALICE, BOB, CAROL, DAN]) {
      const all = (await queries.walletTransactions(knex(), wallet, { limit: 100 })).transactions.reverse();
      all.forEach((t, i) => expect(t.balanceAfter).toBe((i === 0 ? 0 : all[i - 1]!.balanceAfter) + t.amount));
      expect(all.at(-1)!.balanceAfter).toBe((await queries.wallet(knex(), wallet))!.balance);
    }
    const alice = (await queries.walletTransactions(knex(), ALICE, { limit: 100 })).transactions;
    expect(alice.map((t) => [t.kind, t.amount])).toEqual([
      ['sale_proceeds', 18_000],
      ['withdrawal', -100_000],
      ['sale_proceeds', 120_000],
      ['sale_proceeds', 600_000],
    ]);
    expect(await queries.walletTransactions(knex(), address('e'), { limit: 10 })).toEqual({ transactions: [], nextCursor: null });
    await expect(queries.walletTransactions(knex(), DAN, { limit: 2, cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('market days: per UTC day of a sale, volume, sales, distinct assets and creators, average price floored; from/to inclusive', async () => {
    const mar10 = { day: '2030-03-10', volume: 1_000_000, sales: 1, activeAssets: 1, activeCreators: 2, averagePrice: 1_000_000 };
    const mar11 = { day: '2030-03-11', volume: 2_500_000, sales: 2, activeAssets: 2, activeCreators: 2, averagePrice: 1_250_000 };
    const apr12 = { day: '2030-04-12', volume: 300_000, sales: 1, activeAssets: 1, activeCreators: 2, averagePrice: 300_000 };
    expect(await queries.marketDaily(knex(), {})).toEqual([mar10, mar11, apr12]);
    expect(await queries.marketDaily(knex(), { from: '2030-03-11', to: '2030-04-11' })).toEqual([mar11]);
    expect(await queries.marketDaily(knex(), { from: '2030-04-12' })).toEqual([apr12]);
    expect(await queries.marketDaily(knex(), { to: '2030-03-10' })).toEqual([mar10]);
    await expect(queries.marketDaily(knex(), { from: '2030-3-1' })).rejects.toThrow(RangeError);
  });

  it('the analytics views give what the queries give: assets, wallets, market days', async () => {
    const rows = async (sql: string) => (await knex().raw<{ rows: Array<Record<string, unknown>> }>(sql)).rows;
    const registry = await rows('select * from analytics.assets_registry order by asset_id');
    expect(registry.length).toBeGreaterThanOrEqual(3);
    for (const row of registry) {
      const api = (await queries.asset(knex(), row.asset_id as string))!;
      expect(row).toMatchObject({
        status: api.status,
        price_micro_units: api.price,
        listed: api.listed,
        royalty_bps: api.royaltyBps,
        sales: api.sales,
        last_sale_price_micro_units: api.lastSalePrice,
        staked_micro_units: api.staked,
        registered_at: new Date(api.registeredAt),
      });
    }
    const wallets = await rows('select * from analytics.assets_wallets order by address');
    expect(wallets.map((row) => row.address)).toEqual(expect.arrayContaining([ALICE, BOB, CAROL, DAN]));
    for (const row of wallets) {
      const api = (await queries.wallet(knex(), row.address as string))!;
      expect(row).toEqual({
        address: api.address,
        balance_micro_units: api.balance,
        royalties_earned_micro_units: api.royaltiesEarned,
        sales_proceeds_micro_units: api.salesProceeds,
        rewards_claimed_micro_units: api.rewardsClaimed,
        staked_micro_units: api.staked,
      });
    }
    const days = await rows(
      `select to_char(sold_on, 'YYYY-MM-DD') as day, volume_micro_units as volume, sales, active_assets as "activeAssets",
              active_creators as "activeCreators", average_price_micro_units as "averagePrice"
         from analytics.assets_market_days order by sold_on`,
    );
    expect(days).toEqual(await queries.marketDaily(knex(), {}));
  });
});

describe('assets projection: delivery, order and rebuild', () => {
  const instance = (name: string): Projection => ({ ...assetsProjection, name });
  const schemaOf = (name: string) => projectionSchema(name);
  let log: RecordedEvent[];
  beforeAll(async () => {
    log = await testbed.eventStore.readAll({ fromLsn: 1 });
  });

  it('changes nothing when events are delivered again', async () => {
    const once = await testbed.applyBatch(instance('assets_once'), log);
    expect([once.applied, once.parked.length]).toEqual([log.length, 0]);
    const again = await testbed.applyBatch(instance('assets_once'), log);
    expect([again.applied, again.alreadyApplied]).toEqual([0, log.length]);
    const live = await compareSchemas(knex(), { live: schemaOf('assets'), shadow: schemaOf('assets_once') });
    expect(live.map((c) => c.table).sort()).toEqual(ASSETS_TABLES);
    expect(live.filter((c) => !c.same)).toEqual([]);
  });

  it('ends the same whatever order the streams arrive in: the staking stream first, then the wallets, then the assets, in overlapping pieces', async () => {
    const kind = (e: RecordedEvent) => (e.streamId === 'assets-staking' ? 2 : e.streamId.startsWith('assets-wallet-') ? 1 : 0);
    const staking = log.filter((e) => kind(e) === 2);
    const wallets = log.filter((e) => kind(e) === 1);
    const assets = log.filter((e) => kind(e) === 0);
    const shuffled = instance('assets_shuffled');
    await testbed.applyBatch(shuffled, staking, 2);
    await testbed.applyBatch(shuffled, wallets.slice(0, 9), 1);
    // Mid-way, with the wallets' credits before the sales they are for, the identity holds all the same.
    holdsIdentity(await testbed.query(shuffled, supplyOf));
    await testbed.applyBatch(shuffled, wallets.slice(4), 1);
    holdsIdentity(await testbed.query(shuffled, supplyOf));
    await testbed.applyBatch(shuffled, assets.slice(0, 10), 0);
    await testbed.applyBatch(shuffled, assets, 0);
    expect(await testbed.parked(shuffled)).toEqual([]);
    const comparison = await compareSchemas(knex(), { live: schemaOf('assets_shuffled'), shadow: schemaOf('assets_once') });
    expect(comparison.filter((c) => !c.same)).toEqual([]);
  });

  it('ends the same applied one event per batch (each change of an earlier batch’s row) as all in one batch', async () => {
    const single = instance('assets_single');
    for (const event of log) await testbed.applyBatch(single, [event]);
    expect(await testbed.parked(single)).toEqual([]);
    const comparison = await compareSchemas(knex(), { live: schemaOf('assets_single'), shadow: schemaOf('assets_once') });
    expect(comparison.filter((c) => !c.same)).toEqual([]);
  });

  it('applies a batch in a number of statements that does not grow with its size', async () => {
    const statementsFor = async (name: string, events: RecordedEvent[]) => {
      let statements = 0;
      const count = () => (statements += 1);
      knex().on('query', count);
      try {
        await testbed.applyBatch(instance(name), events);
      } finally {
        knex().off('query', count);
      }
      return statements;
    };
    const few = await statementsFor('assets_counted_few', log.slice(0, 10));
    const all = await statementsFor('assets_counted_all', log);
    expect(log.length).toBeGreaterThan(50);
    // The runtime's own (checkpoint, parked streams, savepoint) and the projection's two: no more for ten times the events.
    expect(all).toBeLessThanOrEqual(few);
  });

  it('rebuilds from LSN 1 into identical tables', async () => {
    const digests = () => tableDigests(knex(), schemaOf('assets'));
    const live = await digests();
    await knex().withSchema(schemaOf('assets')).table('wallets').update({ balance: 0 });
    await knex().withSchema(schemaOf('assets')).table('provenance').where('type', 'AssetSold').delete();
    const result = await rebuildProjection({ db: testbed.db, projection: assetsProjection, eventStore: testbed.eventStore, pageSize: 9 });
    expect(result.rebuiltToLsn).toBe(await testbed.eventStore.headLsn());
    expect(await digests()).toEqual(live);
  });
});

const ASSETS_TABLES = ['asset_creators', 'asset_owners', 'assets', 'provenance', 'purchases', 'stake_fundings', 'stake_payouts', 'stakes', 'staking', 'supply_totals', 'wallet_transactions', 'wallets'];

/** The money supply read inside a projection's transaction (its own schema on the search_path). */
async function supplyOf(trx: Knex.Transaction): Promise<MoneySupply> {
  const one = async (sql: string) => Number(((await trx.raw(sql)) as { rows: Array<{ n: string }> }).rows[0]!.n);
  return {
    deposits: await one('select deposits as n from supply_totals'),
    withdrawals: await one('select withdrawals as n from supply_totals'),
    balances: await one('select coalesce(sum(balance), 0) as n from wallets'),
    staked: await one('select coalesce(sum(amount), 0) as n from stakes where closed_at is null'),
    pool: await one('select pool as n from staking'),
    inFlight: await one('select in_flight as n from supply_totals'),
  };
}

describe('assets projection: hand-made deliveries', () => {
  let bed: ProjectionTestbed;
  beforeAll(async () => {
    bed = await createProjectionTestbed();
  });
  afterAll(async () => bed?.close());
  const wallet = (event: AssetsEvent): StreamEvent => ({ streamId: `assets-wallet-${BOB}`, event });
  const staking = (event: AssetsEvent): StreamEvent => ({ streamId: 'assets-staking', event });
  const funded = wallet({ type: 'StakeFunded', data: { stakeId: 'x1', assetId: 'a9', address: BOB, amount: 700, durationDays: 30, balanceAfter: 300, fundedAt: MAR10 } });
  const deposit = wallet({ type: 'FundsDeposited', data: { address: BOB, amount: 1000, balanceAfter: 1000, depositedBy: 'treasury', depositedAt: MAR10 } });

  it('a refund ends a funded stake that never opened: not pending, nothing in flight', async () => {
    await projectionSpec(assetsProjection, bed)
      .given(deposit, funded)
      .when(wallet({ type: 'StakePayoutReceived', data: { stakeId: 'x1', payoutId: 'refund', address: BOB, principal: 700, reward: 0, balanceAfter: 1000, receivedAt: MAR10 + 1 } }))
      .then(async (trx) => {
        expect(Number(((await trx('stake_fundings').whereNull('refunded_at').count({ n: '*' }).first()) as { n: unknown }).n)).toBe(0);
        expect(await trx('stake_payouts').select()).toEqual([]);
        const supply = await supplyOf(trx);
        expect(supply).toEqual({ deposits: 1000, withdrawals: 0, balances: 1000, staked: 0, pool: 0, inFlight: 0 });
      });
  });

  it('a stake opened before its funding arrives (another partition) is one row, opened; its close and payout in either order', async () => {
    const opened = staking({ type: 'StakeOpened', data: { stakeId: 'x1', assetId: 'a9', staker: BOB, amount: 700, durationDays: 30, aprBps: 500, startsAt: MAR10, endsAt: MAR10 + 30 * DAY_MS } });
    const closed = staking({ type: 'StakeClosed', data: { stakeId: 'x1', staker: BOB, payoutId: 'close', principal: 700, reward: 0, forfeited: 0, early: true, poolAfter: 0, closedAt: MAR11 } });
    const paid = wallet({ type: 'StakePayoutReceived', data: { stakeId: 'x1', payoutId: 'close', address: BOB, principal: 700, reward: 0, balanceAfter: 1000, receivedAt: MAR11 } });
    await projectionSpec(assetsProjection, bed)
      .given()
      .when(deposit, funded, opened, closed, paid)
      .deliveredAs([2, 3], [0, 1, 4])
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await trx('stake_fundings').select('stake_id', 'address', trx.raw('funded_at is not null as funded'), trx.raw('opened_at is not null as opened'))).toEqual([
          { stake_id: 'x1', address: BOB, funded: true, opened: true },
        ]);
        expect(await trx('stake_payouts').select('payout_id', trx.raw('decided_at is not null and received_at is not null as done'))).toEqual([{ payout_id: 'close', done: true }]);
        expect(await supplyOf(trx)).toEqual({ deposits: 1000, withdrawals: 0, balances: 1000, staked: 0, pool: 0, inFlight: 0 });
      });
  });

  it('parks an asset stream’s event for an asset it never registered, and a close of a stake never opened', async () => {
    await projectionSpec(assetsProjection, bed)
      .given()
      .when(
        { streamId: assetStreamId('ghost'), event: { type: 'AssetListingSet', data: { assetId: 'ghost', listed: true, setBy: BOB, setAt: MAR10 } } },
        staking({ type: 'StakeClosed', data: { stakeId: 'nope', staker: BOB, payoutId: 'close', principal: 1, reward: 0, forfeited: 0, early: true, poolAfter: 0, closedAt: MAR11 } }),
      )
      .thenParked([
        { streamId: assetStreamId('ghost'), type: 'AssetListingSet', error: 'unknown asset ghost' },
        { streamId: 'assets-staking', type: 'StakeClosed', error: 'stake nope is not open' },
      ]);
  });
});
