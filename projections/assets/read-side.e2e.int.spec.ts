// The assets read side end to end on real servers: HTTP commands by signed-in wallets (creators of assets
// with one, three and seven creators, buyers, resales over four UTC days, a purchase refused for too little
// money, a stale price refused, prices and listings, deposits, withdrawals, the reward pool, stakes claimed,
// unstaked early and at their end) → PostgreSQL event store → relay → Kafka (3 partitions) → assets projection
// worker → `projection_assets` → HTTP queries, held to a fold of the log written here with plain code: every
// asset, every wallet and its transactions, the market days, the money supply, each asset's provenance, and
// every sale's splits recomputed here (largest remainder, ties to the lower address), the money supply
// identity after every event of the log. Nothing parked; every assets event reached Kafka.
import type { FastifyInstance } from 'fastify';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetsEventTypes, type Payout, type Share } from '../../events-schema/assets/events.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import { dailySessions, expectDeliveredOverKafka, readSideQueries, stopReadSide } from '../../gateways/testing/read-side-queries.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { startKafkaReadSide, type KafkaReadSide } from '../testing/kafka-read-side.ts';
import { ASSETS_PROJECTION, assetsProjection } from './assets-projection.ts';

const DAY_MS = 86_400_000;
const START = Date.parse('2031-05-10T10:00:00Z');
let now = START;
let fixture: HttpFixture;
let app: FastifyInstance;
let prefix: string;
let readSide: KafkaReadSide | undefined;
let verifier: Credential;
let treasury: Credential;

const NAMES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'b1', 'b2', 'b3', 'poor'] as const;
type Name = (typeof NAMES)[number];
const wallets = new Map<Name, { address: string; signMessage(message: string): Promise<string> }>(NAMES.map((name) => [name, Wallet.createRandom()]));
const address = (name: Name) => wallets.get(name)!.address;
/** Sessions by the gateway's clock: a wallet signs in again (same wallet) on each new day. */
const sessions = dailySessions(
  { signIn: (wallet) => fixture.signIn(wallet) },
  wallets,
  () => now,
  (name, signed) => expect(signed.subject).toBe(address(name)),
);
const as = (name: Name) => sessions.as(name);

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now, readSide: 'fed-elsewhere' });
  app = fixture.app;
  verifier = await fixture.keyFor({ role: 'verifier' });
  treasury = await fixture.keyFor({ role: 'treasury' });
  readSide = startKafkaReadSide({ eventStore: fixture.eventStore, db: fixture.db, projection: assetsProjection, name: 'assets' });
  prefix = readSide.prefix;
});
afterAll(() => stopReadSide(readSide, fixture));

const send = async (credential: Credential, method: 'POST' | 'PUT', url: string, payload: object | undefined, expected = [200, 201]) => {
  const response = await app.inject({ method, url, ...(payload ? { payload } : {}), headers: credential });
  expect(expected, `${method} ${url}: ${response.body}`).toContain(response.statusCode);
  return response.json();
};
const post = (credential: Credential, url: string, payload?: object, expected?: number[]) => send(credential, 'POST', url, payload, expected);
const caughtUp = () => readSideQueries(fixture, ASSETS_PROJECTION).caughtUp();
/** A query answered once the read model holds the whole log (consistentWith = head). */
const query = (url: string) => readSideQueries(fixture, ASSETS_PROJECTION).query(url);

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
async function register(by: Name, assetId: string, price: number, royaltyBps: number, creators: Array<[Name, number]>) {
  const body = { assetId, name: `Asset ${assetId}`, assetType: 'design', price, royaltyBps, creators: creators.map(([name, shareBps]) => ({ address: address(name), shareBps })), contentHash: hash(price), metadata: { n: assetId } };
  return post(await as(by), '/v1/assets', body, [201]);
}
const verify = (assetId: string, outcome: 'verified' | 'rejected') => post(verifier, `/v1/assets/${assetId}/verification`, { outcome, reason: 'checked' });
const deposit = (name: Name, amount: number) => post(treasury, `/v1/wallets/${address(name)}/deposits`, { amount }, [201]);
const withdraw = async (name: Name, amount: number) => post(await as(name), `/v1/wallets/${address(name)}/withdrawals`, { amount }, [200, 201]);
const buy = async (name: Name, assetId: string, price: number, expected = [201]) => post(await as(name), `/v1/assets/${assetId}/purchases`, { price }, expected);
const setPrice = async (name: Name, assetId: string, price: number) => send(await as(name), 'PUT', `/v1/assets/${assetId}/price`, { price });
const list = async (name: Name, assetId: string, listed: boolean) => post(await as(name), `/v1/assets/${assetId}/listing`, { listed });
const stake = async (name: Name, assetId: string, stakeId: string, amount: number, durationDays: number) => post(await as(name), `/v1/assets/${assetId}/stakes`, { stakeId, amount, durationDays }, [201]);

// ---------------------------------------------------------------------------------------------------------
// The fold: what the read model must show, computed from the events read back from the store.

type AssetFold = { assetId: string; name: string; assetType: string; status: string; price: number; listed: boolean; royaltyBps: number; contentHash: string; metadata: Record<string, string>; creators: Share[]; owners: Share[]; sales: number; lastSalePrice: number | null; registeredAt: string; lsn: number };
type WalletFold = { balance: number; royaltiesEarned: number; salesProceeds: number; rewardsClaimed: number; transactions: Array<Record<string, unknown>> };
type StakeFold = { assetId: string; staker: string; amount: number; aprBps: number; startsAt: number; endsAt: number; claimed: number; closed: boolean };
type Fold = {
  assets: Map<string, AssetFold>;
  wallets: Map<string, WalletFold>;
  stakes: Map<string, StakeFold>;
  sales: Array<{ assetId: string; price: number; day: string }>;
  deposits: number;
  withdrawals: number;
  pool: number;
  inFlight: number;
  types: Set<string>;
  splits: { checked: number; tiesBroken: number };
  log: RecordedEvent[];
};

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/**
 * `total` split by shares in basis points: floors first, then one unit each to the largest remainders, a tie
 * going to the lower address; nothing for a holder whose part is 0. Written apart from the rules module.
 * `tieBroken`: whether the last unit handed out went to one of several equal remainders.
 */
function referenceSplit(total: number, shares: readonly Share[]): { payouts: Payout[]; tieBroken: boolean } {
  const amounts = shares.map((share) => (BigInt(total) * BigInt(share.shareBps)) / 10_000n);
  const remainders = shares.map((share) => (BigInt(total) * BigInt(share.shareBps)) % 10_000n);
  let left = Number(BigInt(total) - amounts.reduce((a, b) => a + b, 0n));
  const order = shares.map((_, i) => i).sort((i, j) => {
    if (remainders[i] !== remainders[j]) return remainders[i]! > remainders[j]! ? -1 : 1;
    return shares[i]!.address.toLowerCase() < shares[j]!.address.toLowerCase() ? -1 : 1;
  });
  const cut = left;
  const tieBroken = cut > 0 && cut < order.length && remainders[order[cut - 1]!] === remainders[order[cut]!];
  for (const i of order) {
    if (left === 0) break;
    amounts[i]! += 1n;
    left -= 1;
  }
  return { payouts: shares.map((share, i) => ({ address: share.address, amount: Number(amounts[i]) })).filter((payout) => payout.amount > 0), tieBroken };
}

async function foldLog(): Promise<Fold> {
  const log = await fixture.eventStore.readAll({ fromLsn: 1 });
  const fold: Fold = { assets: new Map(), wallets: new Map(), stakes: new Map(), sales: [], deposits: 0, withdrawals: 0, pool: 0, inFlight: 0, types: new Set(), splits: { checked: 0, tiesBroken: 0 }, log };
  const fundedOn = new Map<string, string>(); // stake id → asset id
  const credits = new Map<string, Map<string, { royalty: number; proceeds: number }>>(); // purchase → payee → what the sale owes it
  const wallet = (addr: string) => fold.wallets.get(addr) ?? fold.wallets.set(addr, { balance: 0, royaltiesEarned: 0, salesProceeds: 0, rewardsClaimed: 0, transactions: [] }).get(addr)!;
  const move = (recorded: RecordedEvent, addr: string, kind: string, amount: number, balanceAfter: number, at: number, assetId: string | null, reference: string | null) => {
    const w = wallet(addr);
    w.balance += amount;
    expect(balanceAfter, `balance after LSN ${recorded.lsn}`).toBe(w.balance); // the event's own claim agrees with the sum of the moves
    expect(w.balance).toBeGreaterThanOrEqual(0);
    w.transactions.unshift({ eventId: recorded.eventId, lsn: recorded.lsn, kind, amount, balanceAfter, assetId, reference, at: iso(at) });
  };
  for (const recorded of log) {
    const event = decodeEvent(recorded.data);
    fold.types.add(event.type);
    switch (event.type) {
      case 'AssetRegistered': {
        const d = event.data;
        fold.assets.set(d.assetId, {
          assetId: d.assetId, name: d.name, assetType: d.assetType, status: 'pending', price: d.price, listed: true, royaltyBps: d.royaltyBps, contentHash: d.contentHash,
          metadata: d.metadata, creators: d.creators, owners: d.creators, sales: 0, lastSalePrice: null, registeredAt: iso(d.registeredAt), lsn: recorded.lsn,
        });
        break;
      }
      case 'AssetVerified':
        fold.assets.get(event.data.assetId)!.status = 'verified';
        break;
      case 'AssetRejected':
        Object.assign(fold.assets.get(event.data.assetId)!, { status: 'rejected', listed: false });
        break;
      case 'AssetPriceSet':
        fold.assets.get(event.data.assetId)!.price = event.data.price;
        break;
      case 'AssetListingSet':
        fold.assets.get(event.data.assetId)!.listed = event.data.listed;
        break;
      case 'AssetSold': {
        const d = event.data;
        const a = fold.assets.get(d.assetId)!;
        // The splits, recomputed here from the asset's creators and its owners before the sale.
        expect(d.sellers, `sellers at LSN ${recorded.lsn}`).toEqual(a.owners);
        expect(d.royaltyBps).toBe(a.royaltyBps);
        const royalty = Math.floor((d.price * a.royaltyBps) / 10_000);
        const royalties = referenceSplit(royalty, a.creators);
        const proceeds = referenceSplit(d.price - royalty, a.owners);
        expect(d.royalties, `royalties at LSN ${recorded.lsn}`).toEqual(royalties.payouts);
        expect(d.proceeds, `proceeds at LSN ${recorded.lsn}`).toEqual(proceeds.payouts);
        expect([...d.royalties, ...d.proceeds].reduce((sum, p) => sum + p.amount, 0)).toBe(d.price);
        fold.splits.checked += 1;
        fold.splits.tiesBroken += Number(royalties.tieBroken) + Number(proceeds.tieBroken);
        const owed = new Map<string, { royalty: number; proceeds: number }>();
        for (const p of d.royalties) owed.set(p.address, { royalty: (owed.get(p.address)?.royalty ?? 0) + p.amount, proceeds: 0 });
        for (const p of d.proceeds) owed.set(p.address, { royalty: owed.get(p.address)?.royalty ?? 0, proceeds: (owed.get(p.address)?.proceeds ?? 0) + p.amount });
        credits.set(d.purchaseId, owed);
        Object.assign(a, { owners: [{ address: d.buyer, shareBps: 10_000 }], listed: false, sales: a.sales + 1, lastSalePrice: d.price });
        fold.sales.push({ assetId: d.assetId, price: d.price, day: iso(d.soldAt).slice(0, 10) });
        break;
      }
      case 'PurchaseStarted':
      case 'PurchaseCancelled':
      case 'PurchaseVoided':
        break;
      case 'FundsDeposited':
        fold.deposits += event.data.amount;
        move(recorded, event.data.address, 'deposit', event.data.amount, event.data.balanceAfter, event.data.depositedAt, null, null);
        break;
      case 'FundsWithdrawn':
        fold.withdrawals += event.data.amount;
        move(recorded, event.data.address, 'withdrawal', -event.data.amount, event.data.balanceAfter, event.data.withdrawnAt, null, null);
        break;
      case 'PurchasePaid':
        fold.inFlight += event.data.amount;
        move(recorded, event.data.buyer, 'purchase', -event.data.amount, event.data.balanceAfter, event.data.paidAt, event.data.assetId, event.data.purchaseId);
        break;
      case 'SaleProceedsReceived': {
        const d = event.data;
        // Each payee is credited once, exactly what the sale owes it.
        const owed = credits.get(d.purchaseId)!;
        expect({ royalty: d.royalty, proceeds: d.proceeds }, `credit at LSN ${recorded.lsn}`).toEqual(owed.get(d.address));
        owed.delete(d.address);
        fold.inFlight -= d.royalty + d.proceeds;
        wallet(d.address).royaltiesEarned += d.royalty;
        wallet(d.address).salesProceeds += d.proceeds;
        move(recorded, d.address, 'sale_proceeds', d.royalty + d.proceeds, d.balanceAfter, d.receivedAt, d.assetId, d.purchaseId);
        break;
      }
      case 'StakeFunded':
        fold.inFlight += event.data.amount;
        fundedOn.set(event.data.stakeId, event.data.assetId);
        move(recorded, event.data.address, 'stake', -event.data.amount, event.data.balanceAfter, event.data.fundedAt, event.data.assetId, event.data.stakeId);
        break;
      case 'StakePayoutReceived': {
        const d = event.data;
        fold.inFlight -= d.principal + d.reward;
        wallet(d.address).rewardsClaimed += d.reward;
        move(recorded, d.address, 'stake_payout', d.principal + d.reward, d.balanceAfter, d.receivedAt, fundedOn.get(d.stakeId)!, d.stakeId);
        break;
      }
      case 'RewardPoolFunded':
        fold.deposits += event.data.amount;
        fold.pool += event.data.amount;
        expect(event.data.poolAfter).toBe(fold.pool);
        break;
      case 'StakeOpened': {
        const d = event.data;
        fold.inFlight -= d.amount;
        expect(d.aprBps).toBe({ 30: 500, 90: 800, 180: 1200, 365: 1500 }[d.durationDays]);
        expect(d.endsAt - d.startsAt).toBe(d.durationDays * DAY_MS);
        fold.stakes.set(d.stakeId, { assetId: d.assetId, staker: d.staker, amount: d.amount, aprBps: d.aprBps, startsAt: d.startsAt, endsAt: d.endsAt, claimed: 0, closed: false });
        break;
      }
      case 'StakeRewardsClaimed': {
        const d = event.data;
        const s = fold.stakes.get(d.stakeId)!;
        const accrued = Math.floor((s.amount * s.aprBps * Math.floor((Math.min(d.claimedAt, s.endsAt) - s.startsAt) / DAY_MS)) / (10_000 * 365));
        expect(d.amount, `claim at LSN ${recorded.lsn}`).toBe(accrued - s.claimed);
        s.claimed += d.amount;
        fold.pool -= d.amount;
        fold.inFlight += d.amount;
        expect(d).toMatchObject({ claimedTotal: s.claimed, poolAfter: fold.pool });
        break;
      }
      case 'StakeClosed': {
        const d = event.data;
        const s = fold.stakes.get(d.stakeId)!;
        const unclaimed = Math.floor((s.amount * s.aprBps * Math.floor((Math.min(d.closedAt, s.endsAt) - s.startsAt) / DAY_MS)) / (10_000 * 365)) - s.claimed;
        const early = d.closedAt < s.endsAt;
        expect(d, `close at LSN ${recorded.lsn}`).toMatchObject({ principal: s.amount, early, reward: early ? 0 : unclaimed, forfeited: early ? unclaimed : 0 });
        s.closed = true;
        fold.pool -= d.reward;
        fold.inFlight += d.principal + d.reward;
        expect(d.poolAfter).toBe(fold.pool);
        break;
      }
      default:
        break;
    }
    // Money is neither created nor lost at any point of the log, money in flight included.
    const balances = [...fold.wallets.values()].reduce((sum, w) => sum + w.balance, 0);
    expect(fold.deposits - fold.withdrawals, `supply after LSN ${recorded.lsn}`).toBe(balances + stakedOn(fold, () => true) + fold.pool + fold.inFlight);
    expect(fold.inFlight).toBeGreaterThanOrEqual(0);
  }
  for (const [purchaseId, owed] of credits) expect(owed.size, `payees of ${purchaseId} not credited`).toBe(0);
  // A wallet the read model shows: one with a balance movement, an asset part or an open stake.
  for (const a of fold.assets.values()) for (const owner of a.owners) wallet(owner.address);
  return fold;
}

const stakedOn = (fold: Fold, keep: (s: StakeFold) => boolean) => [...fold.stakes.values()].filter((s) => !s.closed && keep(s)).reduce((sum, s) => sum + s.amount, 0);
const assetView = (fold: Fold, a: AssetFold) => {
  const { lsn, ...view } = a;
  return { ...view, staked: stakedOn(fold, (s) => s.assetId === a.assetId) };
};

const pages = <T>(url: string, key: string, limit: number) => readSideQueries(fixture, ASSETS_PROJECTION).pages<T>(url, key, limit);

// ---------------------------------------------------------------------------------------------------------

const SEVEN: Array<[Name, number]> = [['c1', 1428], ['c2', 1428], ['c3', 1428], ['c4', 1428], ['c5', 1428], ['c6', 1428], ['c7', 1432]];
const THREE: Array<[Name, number]> = [['c1', 3333], ['c2', 3333], ['c3', 3334]];

describe('assets read side over Kafka', () => {
  it('takes creators, buyers and stakers through four UTC days of sales, resales, stakes, deposits and withdrawals', async () => {
    // Day 1: assets with 3, 7 and 1 creators (one rejected); deposits; the reward pool; a first sale; a refused purchase.
    await register('c2', 'athree', 7_777_777, 1234, THREE);
    await register('c7', 'aseven', 9_999_999, 5000, SEVEN);
    await register('c4', 'asolo', 1_000_000, 0, [['c4', 10_000]]);
    await register('c5', 'arejected', 3_000_000, 100, [['c5', 10_000]]);
    for (const id of ['athree', 'aseven', 'asolo']) await verify(id, 'verified');
    await verify('arejected', 'rejected');
    await deposit('b1', 50_000_000);
    await deposit('b2', 40_000_000);
    await deposit('b3', 30_000_000);
    await deposit('poor', 500_000);
    await post(treasury, '/v1/staking/pool/deposits', { amount: 5_000_000 });
    expect(await buy('b1', 'athree', 7_777_777)).toMatchObject({ buyer: address('b1'), balance: 50_000_000 - 7_777_777 });
    const headBefore = await fixture.headLsn();
    expect(await buy('poor', 'asolo', 1_000_000, [409])).toMatchObject({ error: 'insufficient_funds' });
    expect(await fixture.headLsn()).toBe(headBefore + 3); // started, voided, cancelled: nothing moved
    await list('c4', 'asolo', false);
    await list('c4', 'asolo', true);
    await withdraw('poor', 200_000);

    // Day 2: a price change (the stale price refused), three sales of which one a resale, stakes, a creator withdraws.
    now = Date.parse('2031-05-11T14:30:00Z');
    await setPrice('c4', 'asolo', 2_500_000);
    expect(await buy('b2', 'asolo', 1_000_000, [409])).toMatchObject({ error: 'price_changed' });
    await buy('b2', 'asolo', 2_500_000);
    await list('b1', 'athree', true);
    await setPrice('b1', 'athree', 12_345_678);
    await buy('b2', 'athree', 12_345_678);
    await buy('b3', 'aseven', 9_999_999);
    await stake('b3', 'aseven', 'st-b3', 10_000_000, 30);
    await stake('b1', 'asolo', 'st-b1', 5_000_000, 90);
    await stake('b2', 'athree', 'st-b2', 3_000_000, 30);
    await withdraw('c2', 100_000);

    // Day 12: a claim, an early unstake (rewards forfeited), a third sale of the three-creator asset.
    now = Date.parse('2031-05-21T09:15:00Z');
    expect(await post(await as('b3'), '/v1/stakes/st-b3/claim')).toMatchObject({ amount: Math.floor((10_000_000 * 500 * 9) / 3_650_000) });
    expect(await post(await as('b2'), '/v1/stakes/st-b2/unstake')).toMatchObject({ early: true, reward: 0, principal: 3_000_000 });
    await list('b2', 'athree', true);
    await setPrice('b2', 'athree', 8_000_000);
    await buy('b3', 'athree', 8_000_000);
    await deposit('c1', 1_000_000);

    // Day 41: st-b3 has ended: the principal and the unclaimed rewards; a resale of the seven-creator asset.
    now = Date.parse('2031-06-19T23:59:00Z');
    expect(await post(await as('b3'), '/v1/stakes/st-b3/unstake')).toMatchObject({ early: false, principal: 10_000_000 });
    await list('b3', 'aseven', true);
    await setPrice('b3', 'aseven', 15_000_001);
    await buy('b1', 'aseven', 15_000_001);
    await withdraw('c7', 50_000);

    const fold = await foldLog();
    // Every assets event type occurred (PurchaseVoided and PurchaseCancelled by the refused purchase).
    expect(assetsEventTypes.filter((type) => !fold.types.has(type))).toEqual([]);
    expect(fold.splits.checked).toBe(6);
  });

  it('split every sale exactly as recomputed here, some ties broken to the lower address, and credited each payee once', async () => {
    const fold = await foldLog(); // the fold asserts each sale's splits, sellers and credits
    expect(fold.splits.checked).toBe(6);
    expect(fold.splits.tiesBroken).toBeGreaterThan(0);
    const sevenSales = fold.log.filter((recorded) => recorded.type === 'AssetSold').map((recorded) => decodeEvent(recorded.data)).filter((event) => event.type === 'AssetSold' && event.data.assetId === 'aseven');
    expect(sevenSales).toHaveLength(2);
    for (const sale of sevenSales) if (sale.type === 'AssetSold') expect(sale.data.royalties).toHaveLength(7);
  });

  it('shows every asset as the fold of the log, one by one and listed by creator, owner, type and status, paged', async () => {
    await caughtUp();
    const fold = await foldLog();
    expect([...fold.assets.keys()].sort()).toEqual(['arejected', 'aseven', 'asolo', 'athree']);
    for (const a of fold.assets.values()) {
      const { asOfLsn, ...view } = await query(`/v1/assets/${a.assetId}`);
      expect(view, a.assetId).toEqual(assetView(fold, a));
    }
    expect(fold.assets.get('athree')).toMatchObject({ sales: 3, lastSalePrice: 8_000_000, owners: [{ address: address('b3'), shareBps: 10_000 }] });
    const newestFirst = (keep: (a: AssetFold) => boolean) => [...fold.assets.values()].filter(keep).sort((x, y) => y.lsn - x.lsn).map((a) => assetView(fold, a));
    expect(await pages('/v1/assets', 'assets', 3)).toEqual(newestFirst(() => true));
    for (const name of NAMES) {
      const addr = address(name);
      expect(await pages(`/v1/assets?creator=${addr}`, 'assets', 1), `creator ${name}`).toEqual(newestFirst((a) => a.creators.some((c) => c.address === addr)));
      expect(await pages(`/v1/assets?owner=${addr.toLowerCase()}`, 'assets', 2), `owner ${name}`).toEqual(newestFirst((a) => a.owners.some((o) => o.address === addr)));
    }
    expect(await pages('/v1/assets?status=verified&type=design', 'assets', 2)).toEqual(newestFirst((a) => a.status === 'verified'));
    expect(await pages('/v1/assets?status=rejected', 'assets', 2)).toEqual(newestFirst((a) => a.status === 'rejected'));
  });

  it('shows every wallet as the fold: balance, assets owned, royalties, proceeds, staked, rewards, and its transactions newest first, paged', async () => {
    await caughtUp();
    const fold = await foldLog();
    expect(fold.wallets.size).toBe(NAMES.length);
    for (const [addr, w] of fold.wallets) {
      const { asOfLsn, ...view } = await query(`/v1/wallets/${addr}`);
      const owned = [...fold.assets.values()].filter((a) => a.owners.some((o) => o.address === addr)).map((a) => a.assetId).sort();
      expect(view, addr).toEqual({ address: addr, balance: w.balance, assetsOwned: owned, royaltiesEarned: w.royaltiesEarned, salesProceeds: w.salesProceeds, staked: stakedOn(fold, (s) => s.staker === addr), rewardsClaimed: w.rewardsClaimed });
      expect(await pages(`/v1/wallets/${addr}/transactions`, 'transactions', 2), addr).toEqual(w.transactions);
    }
    // The creators of the seven-creator asset each earned royalties from both its sales.
    for (const [name] of SEVEN) expect(fold.wallets.get(address(name))!.royaltiesEarned, name).toBeGreaterThan(0);
    expect(fold.wallets.get(address('b3'))!.rewardsClaimed).toBe(Math.floor((10_000_000 * 500 * 30) / 3_650_000));
    expect(fold.wallets.get(address('poor'))!.balance).toBe(300_000);
  });

  it('sums the market per UTC day of sale (volume, sales, active assets and creators, average price), whole and by range', async () => {
    await caughtUp();
    const fold = await foldLog();
    const days = (from = '0000-00-00', to = '9999-99-99') => {
      const byDay = new Map<string, { volume: number; sales: number; assets: Set<string>; creators: Set<string> }>();
      for (const sale of fold.sales.filter((s) => s.day >= from && s.day <= to)) {
        const d = byDay.get(sale.day) ?? byDay.set(sale.day, { volume: 0, sales: 0, assets: new Set(), creators: new Set() }).get(sale.day)!;
        d.volume += sale.price;
        d.sales += 1;
        d.assets.add(sale.assetId);
        for (const c of fold.assets.get(sale.assetId)!.creators) d.creators.add(c.address);
      }
      return [...byDay.keys()].sort().map((day) => {
        const d = byDay.get(day)!;
        return { day, volume: d.volume, sales: d.sales, activeAssets: d.assets.size, activeCreators: d.creators.size, averagePrice: Math.floor(d.volume / d.sales) };
      });
    };
    expect(days().map((d) => d.day)).toEqual(['2031-05-10', '2031-05-11', '2031-05-21', '2031-06-19']);
    expect((await query('/v1/market/daily')).days).toEqual(days());
    expect((await query('/v1/market/daily?from=2031-05-11&to=2031-05-21')).days).toEqual(days('2031-05-11', '2031-05-21'));
    expect((await query('/v1/market/daily?from=2031-05-12&to=2031-05-20')).days).toEqual([]);
    expect(days('2031-05-11', '2031-05-11')[0]).toMatchObject({ sales: 3, activeAssets: 3, activeCreators: 7 });
  });

  it('keeps the money supply: deposits − withdrawals = balances + staked + pool + in flight, with nothing in flight at the end', async () => {
    await caughtUp();
    const fold = await foldLog();
    const balances = [...fold.wallets.values()].reduce((sum, w) => sum + w.balance, 0);
    const staked = stakedOn(fold, () => true);
    expect(fold.inFlight).toBe(0);
    expect(fold.deposits - fold.withdrawals).toBe(balances + staked + fold.pool + fold.inFlight);
    const { asOfLsn, ...supply } = await query('/v1/market/supply');
    expect(supply).toEqual({ deposits: fold.deposits, withdrawals: fold.withdrawals, balances, staked, pool: fold.pool, inFlight: 0 });
    expect(staked).toBe(5_000_000); // b1's 90-day stake is still open
  });

  it('answers each asset’s provenance as its stream’s events in order, paged', async () => {
    await caughtUp();
    const fold = await foldLog();
    for (const assetId of fold.assets.keys()) {
      const stream = fold.log.filter((recorded) => recorded.streamId === `assets-asset-${assetId}`);
      const expected = stream.map((recorded) => ({ eventId: recorded.eventId, lsn: recorded.lsn, revision: recorded.revision, type: recorded.type, recordedAt: recorded.recordedAt.toISOString(), data: decodeEvent(recorded.data).data, proof: null }));
      expect(expected.map((e) => e.revision)).toEqual(expected.map((_, i) => expected[0]!.revision + i));
      expect(await pages(`/v1/assets/${assetId}/provenance`, 'events', 4), assetId).toEqual(expected);
    }
    expect((await query('/v1/assets/athree/provenance?limit=500')).events.map((e: { type: string }) => e.type)).toEqual([
      'AssetRegistered', 'AssetVerified', 'PurchaseStarted', 'AssetSold',
      'AssetListingSet', 'AssetPriceSet', 'PurchaseStarted', 'AssetSold',
      'AssetListingSet', 'AssetPriceSet', 'PurchaseStarted', 'AssetSold',
    ]);
  });

  it('parked nothing, and every assets event went through Kafka, each stream on one partition', async () => {
    await caughtUp();
    const lsns = (await fixture.eventStore.readAll({ fromLsn: 1 })).filter((recorded) => (assetsEventTypes as readonly string[]).includes(recorded.type)).map((recorded) => recorded.lsn);
    await expectDeliveredOverKafka(fixture, assetsProjection, prefix, lsns);
  });
});
