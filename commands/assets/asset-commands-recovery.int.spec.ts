// The assets use cases under concurrency and cut off between their appends, on the real PostgreSQL event
// store: buyers racing for one asset, one wallet drained by concurrent purchases, and settlePurchase /
// settleStakes finishing what a crashed request left, exactly once, even beside the request's own retry.
// Every test ends on the whole log folded in LSN order: no money created or lost after any event.
import { describe, expect, it } from 'vitest';
import { loadStream } from '../command-core.ts';
import { assetDecider, assetStreamId, type RegisteredAsset } from './asset.ts';
import { STAKING_STREAM_ID } from './staking.ts';
import { walletStreamId } from './wallet.ts';
import {
  ADA,
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
  T0,
  TREASURY,
  typesOf,
  useTestbed,
  verifiedAsset,
  wallet,
  walletEvents,
} from './testing/assets-testbed.ts';

const bed = useTestbed();
const PRICE = 1_000_000;
const count = (events: readonly { type: string }[], type: string) => events.filter((event) => event.type === type).length;
const asset = async (assetId: string) => (await loadStream(bed.store, assetDecider, assetStreamId(assetId))).state as RegisteredAsset;

describe('assets under concurrency', () => {
  it('50 buyers race for one asset: one wins, the others are refused and no money moves for them', async () => {
    await verifiedAsset(bed, 'a1');
    const buyers = Array.from({ length: 50 }, (_, index) => wallet(0x1000 + index));
    await Promise.all(buyers.map((buyer) => deposit(bed, buyer, PRICE)));
    const outcomes = await Promise.all(buyers.map((buyer, index) => codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: `race-${index}` }, as(buyer)))));
    expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(1);
    expect(outcomes.every((outcome) => ['ok', 'purchase_in_progress', 'asset_not_listed'].includes(outcome))).toBe(true);
    for (const [index, buyer] of buyers.entries()) {
      expect(typesOf(await walletEvents(bed, buyer))).toEqual(outcomes[index] === 'ok' ? ['FundsDeposited', 'PurchasePaid'] : ['FundsDeposited']);
    }
    const events = await assetEvents(bed, 'a1');
    expect([count(events, 'PurchaseStarted'), count(events, 'AssetSold'), count(events, 'PurchaseCancelled')]).toEqual([1, 1, 0]);
    expect((await asset('a1')).owners).toEqual([{ address: buyers[outcomes.indexOf('ok')]!.subject, shareBps: 10_000 }]);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0, moneyIn: 50 * PRICE });
  });

  it('100 concurrent purchases out of one wallet that covers some: never negative, refusals insufficient_funds, refused assets free and listed', async () => {
    const prices = Array.from({ length: 100 }, (_, index) => PRICE + index * 1_000);
    await Promise.all(prices.map((price, index) => verifiedAsset(bed, `a${index}`, { price })));
    const funds = 40_000_000;
    await deposit(bed, CAROL, funds);
    const outcomes = await Promise.all(prices.map((price, index) => codeOf(bed.assets.purchase(`a${index}`, { price, purchaseId: `p${index}` }, as(CAROL)))));
    const won = outcomes.flatMap((outcome, index) => (outcome === 'ok' ? [index] : []));
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(100);
    expect(outcomes.every((outcome) => outcome === 'ok' || outcome === 'insufficient_funds')).toBe(true);
    const spent = won.reduce((sum, index) => sum + prices[index]!, 0);
    expect(await balanceOf(bed, CAROL)).toBe(funds - spent);
    expect(await balanceOf(bed, CAROL)).toBeLessThan(Math.min(...outcomes.flatMap((outcome, index) => (outcome === 'ok' ? [] : [prices[index]!]))));
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome === 'ok') continue;
      expect((await assetEvents(bed, `a${index}`)).at(-1)).toMatchObject({ type: 'PurchaseCancelled', data: { purchaseId: `p${index}`, reason: 'insufficient_funds' } });
      expect(await asset(`a${index}`)).toMatchObject({ listed: true, purchase: null, owners: [{ address: ADA.subject, shareBps: 6000 }, { address: BOB.subject, shareBps: 4000 }] });
    }
    const carol = await walletEvents(bed, CAROL);
    expect([count(carol, 'PurchasePaid'), count(carol, 'PurchaseVoided')]).toEqual([won.length, 100 - won.length]);
    const folded = await foldMoney(bed); // the wallet's balanceAfter never negative, at any LSN
    expect(folded).toMatchObject({ inFlight: 0, moneyIn: funds });
    expect(folded.balances.get(ADA.subject)! + folded.balances.get(BOB.subject)!).toBe(spent);
  });

  it('purchases, stakes, claims and withdrawals all at once: the money folds at every LSN', async () => {
    await Promise.all(['m0', 'm1', 'm2', 'm3'].map((assetId) => verifiedAsset(bed, assetId)));
    await bed.assets.fundRewardPool(10_000_000, as(TREASURY));
    const people = [CAROL, DAN, wallet(0x77), wallet(0x78)];
    await Promise.all(people.map((person) => deposit(bed, person, 3 * PRICE)));
    await Promise.all(people.map((person, index) => bed.assets.stake(`m${index}`, { stakeId: `s${index}`, amount: 36_500_000 / 73, durationDays: 30 }, as(person))));
    bed.now = T0 + 3 * DAY_MS;
    const outcomes = await Promise.all([
      ...people.map((person, index) => codeOf(bed.assets.purchase(`m${(index + 1) % 4}`, { price: PRICE }, as(person)))),
      ...people.map((person, index) => codeOf(bed.assets.claim(`s${index}`, as(person)))),
      ...people.map((person) => codeOf(bed.assets.withdraw(person.subject, PRICE, as(person)))),
      codeOf(bed.assets.unstake('s0', as(CAROL))),
    ]);
    // Each is done or refused by a rule (the unstake may close s0 before its claim is decided); none fails.
    expect(outcomes.every((outcome) => ['ok', 'purchase_in_progress', 'asset_not_listed', 'insufficient_funds', 'stake_closed'].includes(outcome)), outcomes.join()).toBe(true);
    expect(outcomes.filter((outcome) => outcome === 'ok').length).toBeGreaterThanOrEqual(9);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });
});

describe('assets: a purchase cut off between its steps', () => {
  it('after PurchasePaid, before AssetSold: settlePurchase sells and credits it once, beside the retry', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, PRICE);
    crashBefore(bed, 'AssetSold');
    expect(await codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL, 'k1')))).toBe('Error');
    expect(await foldMoney(bed)).toMatchObject({ inFlight: PRICE }); // paid, not yet received by anyone
    const [settled, retried] = await Promise.all([bed.assets.settlePurchase('a1', 'p1'), bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL, 'k1'))]);
    expect(settled).toBe('sold');
    expect(retried).toMatchObject({ purchaseId: 'p1', balance: 0 });
    expect(await bed.assets.settlePurchase('a1', 'p1')).toBe('sold');
    expect(count(await assetEvents(bed, 'a1'), 'AssetSold')).toBe(1);
    expect([await balanceOf(bed, ADA), await balanceOf(bed, BOB), await balanceOf(bed, CAROL)]).toEqual([600_000, 400_000, 0]);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });

  it('before one payee’s credit: settlePurchase credits the missing one, once', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, PRICE);
    crashBefore(bed, 'SaleProceedsReceived', walletStreamId(BOB.subject));
    expect(await codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL)))).toBe('Error');
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 400_000 });
    await Promise.all([bed.assets.settlePurchase('a1', 'p1'), bed.assets.settlePurchase('a1', 'p1')]);
    expect(await bed.assets.settlePurchase('a1', 'p1')).toBe('sold');
    expect([count(await walletEvents(bed, ADA), 'SaleProceedsReceived'), count(await walletEvents(bed, BOB), 'SaleProceedsReceived')]).toEqual([1, 1]);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });

  it('after PurchaseStarted, before PurchasePaid: settlePurchase cancels it with nothing moved; the retry is told so', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, PRICE);
    await deposit(bed, DAN, PRICE);
    crashBefore(bed, 'PurchasePaid');
    expect(await codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL, 'k1')))).toBe('Error');
    expect(await bed.assets.settlePurchase('a1', 'p1')).toBe('cancelled');
    expect(await bed.assets.settlePurchase('a1', 'p1')).toBe('cancelled');
    expect(await codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL, 'k1')))).toBe('purchase_cancelled');
    expect(typesOf(await walletEvents(bed, CAROL))).toEqual(['FundsDeposited', 'PurchaseVoided']);
    expect((await assetEvents(bed, 'a1')).at(-1)).toMatchObject({ type: 'PurchaseCancelled', data: { reason: 'expired' } });
    expect(await bed.assets.purchase('a1', { price: PRICE }, as(DAN))).toMatchObject({ buyer: DAN.subject }); // free again
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });

  it('after PurchaseStarted: settlement and the retry side by side end it one way, paid and sold or voided and cancelled', async () => {
    for (let round = 0; round < 6; round++) {
      const assetId = `a${round}`;
      await verifiedAsset(bed, assetId);
      await deposit(bed, CAROL, PRICE);
      crashBefore(bed, 'PurchasePaid');
      expect(await codeOf(bed.assets.purchase(assetId, { price: PRICE, purchaseId: `p${round}` }, as(CAROL)))).toBe('Error');
      const [settled, retried] = await Promise.all([
        bed.assets.settlePurchase(assetId, `p${round}`),
        codeOf(bed.assets.purchase(assetId, { price: PRICE, purchaseId: `p${round}` }, as(CAROL))),
      ]);
      expect([settled, retried]).toEqual(settled === 'sold' ? ['sold', 'ok'] : ['cancelled', 'purchase_cancelled']);
      const events = await assetEvents(bed, assetId);
      expect(count(events, 'AssetSold') + count(events, 'PurchaseCancelled')).toBe(1);
    }
    const carol = await walletEvents(bed, CAROL);
    expect(count(carol, 'PurchasePaid') + count(carol, 'PurchaseVoided')).toBe(6);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });

  it('a retry offering another price than the purchase started at pays nothing', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, CAROL, PRICE);
    crashBefore(bed, 'PurchasePaid');
    expect(await codeOf(bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL)))).toBe('Error');
    expect(await codeOf(bed.assets.purchase('a1', { price: 1, purchaseId: 'p1' }, as(CAROL)))).toBe('price_changed');
    expect(typesOf(await walletEvents(bed, CAROL))).toEqual(['FundsDeposited']);
    expect(await bed.assets.purchase('a1', { price: PRICE, purchaseId: 'p1' }, as(CAROL))).toMatchObject({ price: PRICE, balance: 0 });
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0 });
  });
});

describe('assets: a stake cut off between its steps', () => {
  const STAKE = { amount: 36_500_000, durationDays: 30 as const }; // 5 000 a whole day

  it('funded, not opened: settleStakes opens it once, beside the request’s retry', async () => {
    await verifiedAsset(bed, 'a1');
    await deposit(bed, ADA, STAKE.amount);
    crashBefore(bed, 'StakeOpened');
    expect(await codeOf(bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA)))).toBe('Error');
    expect(await foldMoney(bed)).toMatchObject({ inFlight: STAKE.amount, staked: 0 });
    const settle = () => bed.assets.settleStakes([{ address: ADA.subject, stakeId: 's1' }], ['s1']);
    await Promise.all([settle(), bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA)), settle()]);
    await settle();
    expect(typesOf(await eventsOf(bed, STAKING_STREAM_ID))).toEqual(['StakeOpened']);
    expect(typesOf(await walletEvents(bed, ADA))).toEqual(['FundsDeposited', 'StakeFunded']);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0, staked: STAKE.amount });
  });

  it('a claim and an unstake decided, their payouts cut off: settleStakes pays each once', async () => {
    await verifiedAsset(bed, 'a1');
    await bed.assets.fundRewardPool(1_000_000, as(TREASURY));
    await deposit(bed, ADA, STAKE.amount);
    await bed.assets.stake('a1', { stakeId: 's1', ...STAKE }, as(ADA));
    bed.now = T0 + 2 * DAY_MS;
    crashBefore(bed, 'StakePayoutReceived');
    expect(await codeOf(bed.assets.claim('s1', as(ADA, 'claim-key')))).toBe('Error');
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 10_000 }); // decided, not received
    await Promise.all([bed.assets.settleStakes([], ['s1']), bed.assets.claim('s1', as(ADA, 'claim-key')), bed.assets.settleStakes([], ['s1'])]);
    expect(await balanceOf(bed, ADA)).toBe(10_000);

    bed.now = T0 + 31 * DAY_MS;
    crashBefore(bed, 'StakePayoutReceived');
    expect(await codeOf(bed.assets.unstake('s1', as(ADA)))).toBe('Error');
    expect(await foldMoney(bed)).toMatchObject({ inFlight: STAKE.amount + 140_000, staked: 0 });
    await Promise.all([bed.assets.settleStakes([], ['s1']), bed.assets.settleStakes([], ['s1'])]);
    await bed.assets.settleStakes([], ['s1']);
    expect(await balanceOf(bed, ADA)).toBe(STAKE.amount + 150_000);
    expect(typesOf(await walletEvents(bed, ADA))).toEqual(['FundsDeposited', 'StakeFunded', 'StakePayoutReceived', 'StakePayoutReceived']);
    expect(await foldMoney(bed)).toMatchObject({ inFlight: 0, pool: 850_000 });
  });
});
