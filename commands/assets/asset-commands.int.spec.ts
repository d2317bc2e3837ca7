// The assets use cases on the real PostgreSQL event store (a fresh database per test): who may do what,
// every refusal by its code, sales and their splits, retries, wallets and stakes. Concurrency and crash
// recovery are in asset-commands-recovery.int.spec.ts. Each test ends on the whole log folded for money.
import { describe, expect, it } from 'vitest';
import { assetStreamId } from './asset.ts';
import { STAKING_STREAM_ID } from './staking.ts';
import {
  ADA,
  ADMIN,
  as,
  assetEvents,
  balanceOf,
  BOB,
  CAROL,
  codeOf,
  crashBefore,
  DAN,
  DAY_MS,
  deposit,
  eventsOf,
  foldMoney,
  registration,
  T0,
  TREASURY,
  typesOf,
  useTestbed,
  VERIFIER,
  verifiedAsset,
  walletEvents,
} from './testing/assets-testbed.ts';

const bed = useTestbed();
const logLength = async () => (await bed.store.readAll({ fromLsn: 1, limit: 100_000 })).length;

describe('assets use cases: registration, verification, price and listing', () => {
  it('an asset is registered by one of its creators, with shares summing to 10000', async () => {
    expect(await codeOf(bed.assets.register(registration('a1'), as(CAROL)))).toBe('forbidden');
    expect(await codeOf(bed.assets.register(registration('a1'), as(VERIFIER)))).toBe('forbidden'); // not a wallet
    const badShares = { ...registration('a1'), creators: [{ address: ADA.subject, shareBps: 9999 }] };
    expect(await codeOf(bed.assets.register(badShares, as(ADA)))).toBe('invalid_shares');
    expect(await bed.assets.register(registration('a1'), as(BOB))).toMatchObject({ assetId: 'a1', streamId: assetStreamId('a1'), status: 'pending' });
    expect(await codeOf(bed.assets.register(registration('a1'), as(ADA)))).toBe('asset_exists');
  });

  it('a verifier or an admin decides verification, once; nobody else', async () => {
    await bed.assets.register(registration('a1'), as(ADA));
    await bed.assets.register(registration('a2'), as(ADA));
    expect(await codeOf(bed.assets.decideVerification('a1', { outcome: 'verified', reason: 'mine' }, as(ADA)))).toBe('forbidden');
    expect(await codeOf(bed.assets.decideVerification('a1', { outcome: 'verified', reason: 'x' }, as(TREASURY)))).toBe('forbidden');
    expect(await bed.assets.decideVerification('a1', { outcome: 'verified', reason: 'ok' }, as(VERIFIER))).toMatchObject({ status: 'verified' });
    expect(await bed.assets.decideVerification('a2', { outcome: 'rejected', reason: 'prior art' }, as(ADMIN))).toMatchObject({ status: 'rejected' });
    expect(await codeOf(bed.assets.decideVerification('a1', { outcome: 'rejected', reason: 'x' }, as(VERIFIER)))).toBe('verification_decided');
    expect(await codeOf(bed.assets.decideVerification('nope', { outcome: 'verified', reason: 'x' }, as(VERIFIER)))).toBe('asset_not_found');
    // A rejected asset can never be listed again.
    expect(await codeOf(bed.assets.setListing('a2', true, as(ADA)))).toBe('asset_not_verified');
  });

  it('price and listing are set by an owner of at least half (or an admin)', async () => {
    await verifiedAsset(bed, 'a1'); // ADA 60 %, BOB 40 %
    expect(await codeOf(bed.assets.setPrice('a1', 2_000_000, as(BOB)))).toBe('forbidden');
    expect(await codeOf(bed.assets.setListing('a1', false, as(CAROL)))).toBe('forbidden');
    expect(await bed.assets.setPrice('a1', 2_000_000, as(ADA))).toMatchObject({ price: 2_000_000 });
    expect(await bed.assets.setListing('a1', false, as(ADMIN))).toMatchObject({ listed: false });
    expect(typesOf(await assetEvents(bed, 'a1'))).toEqual(['AssetRegistered', 'AssetVerified', 'AssetPriceSet', 'AssetListingSet']);
    // Co-owned 50/50: either owner controls it.
    await verifiedAsset(bed, 'a3', { creators: [{ address: CAROL.subject, shareBps: 5000 }, { address: DAN.subject, shareBps: 5000 }] });
    expect(await bed.assets.setPrice('a3', 5, as(DAN))).toMatchObject({ price: 5 });
  });
});

describe('assets use cases: purchases', () => {
  it('a sale pays royalties to the creators and proceeds to the owners; the next sale pays the new owner', async () => {
    await verifiedAsset(bed, 'a1'); // 1 000 000, royalty 10 %, ADA 60 % / BOB 40 %
    await deposit(bed, CAROL, 2_000_000);
    const first = await bed.assets.purchase('a1', { price: 1_000_000 }, as(CAROL));
    expect(first).toMatchObject({
      buyer: CAROL.subject,
      price: 1_000_000,
      royalties: [{ address: ADA.subject, amount: 60_000 }, { address: BOB.subject, amount: 40_000 }],
      proceeds: [{ address: ADA.subject, amount: 540_000 }, { address: BOB.subject, amount: 360_000 }],
      balance: 1_000_000,
    });
    expect(typesOf(await assetEvents(bed, 'a1')).slice(2)).toEqual(['PurchaseStarted', 'AssetSold']);
    expect(await codeOf(bed.assets.setPrice('a1', 2_000_000, as(ADA)))).toBe('forbidden'); // no longer hers

    await bed.assets.setPrice('a1', 2_000_000, as(CAROL));
    expect(await codeOf(bed.assets.purchase('a1', { price: 2_000_000 }, as(DAN)))).toBe('asset_not_listed'); // a sale unlists it
    await bed.assets.setListing('a1', true, as(CAROL));
    expect(await codeOf(bed.assets.purchase('a1', { price: 2_000_000 }, as(CAROL)))).toBe('already_owner');
    await deposit(bed, DAN, 2_000_000);
    const second = await bed.assets.purchase('a1', { price: 2_000_000 }, as(DAN));
    expect(second).toMatchObject({
      royalties: [{ address: ADA.subject, amount: 120_000 }, { address: BOB.subject, amount: 80_000 }],
      proceeds: [{ address: CAROL.subject, amount: 1_800_000 }],
      balance: 0,
    });
    expect([await balanceOf(bed, ADA), await balanceOf(bed, BOB), await balanceOf(bed, CAROL), await balanceOf(bed, DAN)]).toEqual([720_000, 480_000, 2_800_000, 0]);
    expect((await bed.assets.loadWallet(CAROL.subject)).state.proceedsReceived.size).toBe(1);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0, moneyIn: 4_000_000 });
  });

  it('refuses an unverified, unlisted or repriced asset with nothing recorded', async () => {
    await bed.assets.register(registration('pending'), as(ADA));
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, 5_000_000);
    const before = await logLength();
    expect(await codeOf(bed.assets.purchase('pending', { price: 1_000_000 }, as(CAROL)))).toBe('asset_not_verified');
    expect(await codeOf(bed.assets.purchase('a1', { price: 999_999 }, as(CAROL)))).toBe('price_changed');
    expect(await codeOf(bed.assets.purchase('nope', { price: 1_000_000 }, as(CAROL)))).toBe('asset_not_found');
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000 }, as(TREASURY)))).toBe('forbidden'); // not a wallet
    await bed.assets.setListing('a1', false, as(ADA));
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000 }, as(CAROL)))).toBe('asset_not_listed');
    expect(await logLength()).toBe(before + 1); // the unlisting only
  });

  it('insufficient_funds moves nothing: the wallet records the purchase voided, the asset is free again', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, DAN, 999_999);
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000, purchaseId: 'p-dan' }, as(DAN)))).toBe('insufficient_funds');
    const danEvents = await walletEvents(bed, DAN);
    expect(typesOf(danEvents)).toEqual(['FundsDeposited', 'PurchaseVoided']);
    expect(danEvents[1]!.data).toMatchObject({ purchaseId: 'p-dan', reason: 'insufficient_funds' });
    expect(await balanceOf(bed, DAN)).toBe(999_999);
    expect((await assetEvents(bed, 'a1')).at(-1)).toMatchObject({ type: 'PurchaseCancelled', data: { purchaseId: 'p-dan', reason: 'insufficient_funds' } });
    await deposit(bed, CAROL, 1_000_000);
    expect(await bed.assets.purchase('a1', { price: 1_000_000 }, as(CAROL))).toMatchObject({ buyer: CAROL.subject, balance: 0 });
    // Its retry is told the same; nothing new is recorded.
    const before = await logLength();
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000, purchaseId: 'p-dan' }, as(DAN)))).toBe('purchase_cancelled');
    expect(await logLength()).toBe(before);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });

  it('a second buyer is refused purchase_in_progress while a purchase is under way', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, 1_000_000);
    await deposit(bed, DAN, 1_000_000);
    crashBefore(bed, 'PurchasePaid');
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000, purchaseId: 'p-carol' }, as(CAROL)))).toBe('Error');
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000 }, as(DAN)))).toBe('purchase_in_progress');
    expect(typesOf(await walletEvents(bed, DAN))).toEqual(['FundsDeposited']);
  });

  it('a retry with the same Idempotency-Key records nothing new and answers as the first time', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, 3_000_000);
    const first = await bed.assets.purchase('a1', { price: 1_000_000 }, as(CAROL, 'buy-1'));
    expect(first.lsn).toBe(await logLength());
    await deposit(bed, CAROL, 500_000); // the balance moves on; the answer to the retry does not
    const before = await logLength();
    expect(await bed.assets.purchase('a1', { price: 1_000_000 }, as(CAROL, 'buy-1'))).toEqual(first);
    expect(await bed.assets.purchase('a1', { price: 1_000_000, purchaseId: first.purchaseId }, as(CAROL))).toEqual(first);
    expect(await logLength()).toBe(before);
  });

  it('a purchase id is its buyer’s: another wallet naming it is refused purchase_exists', async () => {
    await verifiedAsset(bed, 'a1');
    await verifiedAsset(bed, 'a2');
    await deposit(bed, CAROL, 1_000_000);
    await deposit(bed, DAN, 1_000_000);
    await bed.assets.purchase('a1', { price: 1_000_000, purchaseId: 'p1' }, as(CAROL));
    await bed.assets.setListing('a1', true, as(CAROL));
    expect(await codeOf(bed.assets.purchase('a1', { price: 1_000_000, purchaseId: 'p1' }, as(DAN)))).toBe('purchase_exists');
    expect(await codeOf(bed.assets.purchase('a2', { price: 1_000_000, purchaseId: 'p1' }, as(DAN)))).toBe('purchase_exists');
    expect(typesOf(await walletEvents(bed, DAN))).toEqual(['FundsDeposited']);
  });
});

describe('assets use cases: wallets', () => {
  it('deposits take role treasury; withdrawals only the wallet itself or an admin, never below zero', async () => {
    expect(await codeOf(deposit(bed, ADA, 100))).toBe('ok');
    expect(await codeOf(bed.assets.deposit(ADA.subject, 100, as(ADA)))).toBe('forbidden');
    expect(await codeOf(bed.assets.deposit(ADA.subject, 100, as(VERIFIER)))).toBe('forbidden');
    expect(await bed.assets.deposit(ADA.subject, 900, as(ADMIN))).toMatchObject({ balance: 1000 });
    expect(await codeOf(bed.assets.withdraw(ADA.subject, 1, as(BOB)))).toBe('forbidden');
    expect(await codeOf(bed.assets.withdraw(ADA.subject, 1, as(TREASURY)))).toBe('forbidden');
    expect(await codeOf(bed.assets.withdraw(ADA.subject, 1001, as(ADA)))).toBe('insufficient_funds');
    expect(await bed.assets.withdraw(ADA.subject, 400, as(ADMIN))).toMatchObject({ balance: 600 });
    expect(await bed.assets.withdraw(ADA.subject, 600, as(ADA))).toMatchObject({ balance: 0 });
    expect(await codeOf(bed.assets.withdraw(ADA.subject, 1, as(ADA)))).toBe('insufficient_funds');
    expect(await foldMoney(bed)).toMatchObject({ moneyIn: 0, inFlight: 0 });
  });
});

describe('assets use cases: stakes', () => {
  // 36 500 000 for 30 days at 5 %: exactly 5 000 a whole day.
  const STAKE = { amount: 36_500_000, durationDays: 30 as const };

  it('a stake needs a verified asset and its staker’s money; the pool is the treasury’s', async () => {
    await bed.assets.register(registration('pending'), as(ADA));
    await deposit(bed, ADA, STAKE.amount);
    expect(await codeOf(bed.assets.stake('pending', { stakeId: 's1', ...STAKE }, as(ADA)))).toBe('asset_not_verified');
    expect(await codeOf(bed.assets.stake('nope', { stakeId: 's1', ...STAKE }, as(ADA)))).toBe('asset_not_found');
    await verifiedAsset(bed, 'a1');
    expect(await codeOf(bed.assets.stake('a1', { stakeId: 's1', ...STAKE, amount: STAKE.amount + 1 }, as(ADA)))).toBe('insufficient_funds');
    expect(await codeOf(bed.assets.fundRewardPool(1000, as(ADA)))).toBe('forbidden');
    expect(typesOf(await walletEvents(bed, ADA))).toEqual(['FundsDeposited']);
    expect(await eventsOf(bed, STAKING_STREAM_ID)).toEqual([]);
  });

  it('claims pay whole days out of the pool; reward_pool_empty moves nothing; at the end the unstake returns principal and unclaimed rewards', async () => {
    await verifiedAsset(bed, 'a1');
    await bed.assets.fundRewardPool(12_000, as(TREASURY));
    await deposit(bed, ADA, 100_000_000);
    expect(await bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA))).toMatchObject({ aprBps: 500, startsAt: T0, endsAt: T0 + 30 * DAY_MS, balance: 63_500_000 });
    expect(await codeOf(bed.assets.claim('s1', as(ADA)))).toBe('nothing_to_claim');
    bed.now = T0 + DAY_MS - 1;
    expect(await codeOf(bed.assets.claim('s1', as(ADA)))).toBe('nothing_to_claim');
    bed.now = T0 + DAY_MS;
    expect(await codeOf(bed.assets.claim('s1', as(BOB)))).toBe('forbidden');
    expect(await bed.assets.claim('s1', as(ADA))).toMatchObject({ amount: 5_000, claimedTotal: 5_000, balance: 63_505_000 });
    bed.now = T0 + 2.5 * DAY_MS;
    expect(await bed.assets.claim('s1', as(ADA))).toMatchObject({ amount: 5_000, claimedTotal: 10_000 }); // pool 2 000 left
    bed.now = T0 + 3 * DAY_MS;
    const [staking, wallet] = [await eventsOf(bed, STAKING_STREAM_ID), await walletEvents(bed, ADA)];
    expect(await codeOf(bed.assets.claim('s1', as(ADA)))).toBe('reward_pool_empty');
    expect([await eventsOf(bed, STAKING_STREAM_ID), await walletEvents(bed, ADA)]).toEqual([staking, wallet]);

    await bed.assets.fundRewardPool(1_000_000, as(TREASURY));
    bed.now = T0 + 40 * DAY_MS; // past the end: 30 days accrued, 10 000 claimed
    expect(await bed.assets.unstake('s1', as(ADA))).toMatchObject({ principal: 36_500_000, reward: 140_000, forfeited: 0, early: false, balance: 100_150_000 });
    expect(await codeOf(bed.assets.unstake('s1', as(ADA)))).toBe('stake_closed');
    expect(await codeOf(bed.assets.claim('s1', as(ADA)))).toBe('stake_closed');
    expect(await foldMoney(bed)).toMatchObject({ staked: 0, pool: 1_012_000 - 150_000, inFlight: 0 });
  });

  it('an early unstake returns the principal only, the unclaimed rewards forfeited', async () => {
    await verifiedAsset(bed, 'a1');
    await bed.assets.fundRewardPool(1_000_000, as(TREASURY));
    await deposit(bed, BOB, STAKE.amount);
    await bed.assets.stake('a1', { stakeId: 's2', ...STAKE }, as(BOB));
    bed.now = T0 + 10.5 * DAY_MS;
    expect(await bed.assets.unstake('s2', as(BOB))).toMatchObject({ principal: STAKE.amount, reward: 0, forfeited: 50_000, early: true, balance: STAKE.amount });
    expect(await foldMoney(bed)).toMatchObject({ staked: 0, pool: 1_000_000, inFlight: 0 });
  });

  it('stake_exists: a stake id taken by another staker, or by the same staker on other terms, moves no money', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, ADA, STAKE.amount);
    await deposit(bed, BOB, 50_000_000);
    await bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA));
    expect(await codeOf(bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(BOB)))).toBe('stake_exists');
    expect(await balanceOf(bed, BOB)).toBe(50_000_000);
    expect(await codeOf(bed.assets.stake('a1', { stakeId: 's1', ...STAKE, amount: 1_000_000 }, as(ADA)))).toBe('stake_exists');
    expect(await codeOf(bed.assets.stake('a1', { stakeId: 's1', ...STAKE, durationDays: 90 }, as(ADA)))).toBe('stake_exists');
    expect(await balanceOf(bed, ADA)).toBe(0);
    // The same stake again is its retry: answered, nothing moved.
    expect(await bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA))).toMatchObject({ stakeId: 's1', amount: STAKE.amount, balance: 0 });
    expect(typesOf(await walletEvents(bed, ADA))).toEqual(['FundsDeposited', 'StakeFunded']);
    expect(await foldMoney(bed)).toMatchObject({ staked: STAKE.amount, inFlight: 0 });
  });
});
