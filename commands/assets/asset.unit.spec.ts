import { describe, expect, it } from 'vitest';
import type { AssetEvent, AssetRegistered } from '../../events-schema/assets/events.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { assetDecider, type AssetCommand, type RegisteredAsset, type RegisterAsset } from './asset.ts';

const now = Date.UTC(2030, 0, 10, 12);
const ADA = '0x00000000000000000000000000000000000000Aa';
const BOB = '0x00000000000000000000000000000000000000bB';
const CAROL = '0x00000000000000000000000000000000000000cC';
const BUYER = '0x00000000000000000000000000000000000000dD';
const registration: Omit<RegisterAsset['data'], 'by' | 'now'> = {
  assetId: 'a1',
  name: 'Delta survey',
  assetType: 'dataset',
  price: 1_000_000,
  royaltyBps: 1000,
  creators: [
    { address: ADA, shareBps: 6000 },
    { address: BOB, shareBps: 4000 },
  ],
  contentHash: `0x${'ab'.repeat(32)}`,
  metadata: {},
};
const register = (data: Partial<RegisterAsset['data']> = {}): AssetCommand => ({ type: 'RegisterAsset', data: { ...registration, by: ADA, now, ...data } });
const registered: AssetRegistered = { type: 'AssetRegistered', data: { ...registration, registeredBy: ADA, registeredAt: now - 10 } };
const verified: AssetEvent = { type: 'AssetVerified', data: { assetId: 'a1', reason: 'ok', verifiedBy: 'v', verifiedAt: now - 9 } };
const started = (purchaseId = 'p1', buyer = BUYER, price = 1_000_000): AssetEvent => ({ type: 'PurchaseStarted', data: { purchaseId, assetId: 'a1', buyer, price, startedAt: now - 5 } });
const start = (data: Partial<{ purchaseId: string; buyer: string; price: number }> = {}): AssetCommand => ({
  type: 'StartPurchase',
  data: { purchaseId: 'p1', assetId: 'a1', buyer: BUYER, price: 1_000_000, now, ...data },
});

describe('asset decider: registration and verification', () => {
  const spec = deciderSpec(assetDecider);
  it('registers an asset whose creators share exactly 10000, by one of them', () => {
    spec.given([]).when(register()).then([{ type: 'AssetRegistered', data: { ...registration, registeredBy: ADA, registeredAt: now } }]);
    spec.given([registered]).when(register()).thenThrows('asset_exists');
  });
  it('refuses shares summing to 9999 or 10001, a creator named twice, and a caller who is not a creator', () => {
    spec.given([]).when(register({ creators: [{ address: ADA, shareBps: 9999 }] })).thenThrows('invalid_shares', { total: 9999 });
    spec.given([]).when(register({ creators: [{ address: ADA, shareBps: 6001 }, { address: BOB, shareBps: 4000 }] })).thenThrows('invalid_shares', { total: 10_001 });
    spec.given([]).when(register({ creators: [{ address: ADA, shareBps: 5000 }, { address: ADA, shareBps: 5000 }] })).thenThrows('invalid_shares');
    spec.given([]).when(register({ by: CAROL })).thenThrows('forbidden');
  });
  it('starts pending and listed, owned by its creators by share', () => {
    const state = frozenFold(assetDecider, [registered]) as RegisteredAsset;
    expect(state).toMatchObject({ status: 'pending', listed: true, owners: registration.creators, purchase: null, sales: 0 });
  });
  it('is verified or rejected once', () => {
    spec.given([registered]).when({ type: 'DecideVerification', data: { assetId: 'a1', outcome: 'verified', reason: 'ok', by: 'v', now } }).then([
      { type: 'AssetVerified', data: { assetId: 'a1', reason: 'ok', verifiedBy: 'v', verifiedAt: now } },
    ]);
    spec.given([registered]).when({ type: 'DecideVerification', data: { assetId: 'a1', outcome: 'rejected', reason: 'prior art', by: 'v', now } }).then([
      { type: 'AssetRejected', data: { assetId: 'a1', reason: 'prior art', rejectedBy: 'v', rejectedAt: now } },
    ]);
    spec.given([registered, verified]).when({ type: 'DecideVerification', data: { assetId: 'a1', outcome: 'rejected', reason: 'x', by: 'v', now } }).thenThrows('verification_decided');
    spec.given([]).when({ type: 'DecideVerification', data: { assetId: 'a1', outcome: 'verified', reason: 'x', by: 'v', now } }).thenThrows('asset_not_found');
  });
});

describe('asset decider: price and listing (an owner of at least 50 %)', () => {
  const spec = deciderSpec(assetDecider);
  const coOwned: AssetRegistered = { type: 'AssetRegistered', data: { ...registered.data, creators: [{ address: ADA, shareBps: 5000 }, { address: BOB, shareBps: 4999 }, { address: CAROL, shareBps: 1 }] } };
  it('takes 5000 bps, not 4999', () => {
    spec.given([coOwned]).when({ type: 'SetPrice', data: { assetId: 'a1', price: 2, by: ADA, isAdmin: false, now } }).then([
      { type: 'AssetPriceSet', data: { assetId: 'a1', price: 2, previousPrice: 1_000_000, setBy: ADA, setAt: now } },
    ]);
    spec.given([coOwned]).when({ type: 'SetPrice', data: { assetId: 'a1', price: 2, by: BOB, isAdmin: false, now } }).thenThrows('forbidden');
    spec.given([coOwned]).when({ type: 'SetListing', data: { assetId: 'a1', listed: false, by: CAROL, isAdmin: false, now } }).thenThrows('forbidden');
    spec.given([coOwned]).when({ type: 'SetListing', data: { assetId: 'a1', listed: false, by: 'admin', isAdmin: true, now } }).then([
      { type: 'AssetListingSet', data: { assetId: 'a1', listed: false, setBy: 'admin', setAt: now } },
    ]);
  });
  it('records nothing when nothing changes', () => {
    spec.given([registered]).when({ type: 'SetPrice', data: { assetId: 'a1', price: 1_000_000, by: ADA, isAdmin: false, now } }).then([]);
    spec.given([registered]).when({ type: 'SetListing', data: { assetId: 'a1', listed: true, by: ADA, isAdmin: false, now } }).then([]);
  });
  it('never lists a rejected asset', () => {
    const rejected: AssetEvent = { type: 'AssetRejected', data: { assetId: 'a1', reason: 'x', rejectedBy: 'v', rejectedAt: now } };
    spec.given([registered, rejected]).when({ type: 'SetListing', data: { assetId: 'a1', listed: true, by: ADA, isAdmin: false, now } }).thenThrows('asset_not_verified');
  });
});

describe('asset decider: a purchase', () => {
  const spec = deciderSpec(assetDecider);
  it('starts at the listed price on a verified, listed asset', () => {
    spec.given([registered, verified]).when(start()).then([{ type: 'PurchaseStarted', data: { purchaseId: 'p1', assetId: 'a1', buyer: BUYER, price: 1_000_000, startedAt: now } }]);
  });
  it('is refused on a pending asset, an unlisted one, at a changed price, while another is under way, and to the sole owner', () => {
    spec.given([registered]).when(start()).thenThrows('asset_not_verified');
    const unlisted: AssetEvent = { type: 'AssetListingSet', data: { assetId: 'a1', listed: false, setBy: ADA, setAt: now } };
    spec.given([registered, verified, unlisted]).when(start()).thenThrows('asset_not_listed');
    spec.given([registered, verified]).when(start({ price: 999_999 })).thenThrows('price_changed', { price: 1_000_000, offered: 999_999 });
    spec.given([registered, verified, started('p0', CAROL)]).when(start()).thenThrows('purchase_in_progress');
    const solo: AssetRegistered = { type: 'AssetRegistered', data: { ...registered.data, creators: [{ address: BUYER, shareBps: 10_000 }] } };
    spec.given([solo, verified]).when(start()).thenThrows('already_owner');
  });
  it('a retry of a started or ended purchase records nothing', () => {
    spec.given([registered, verified, started()]).when(start()).then([]);
    const cancelled: AssetEvent = { type: 'PurchaseCancelled', data: { purchaseId: 'p1', assetId: 'a1', buyer: BUYER, reason: 'insufficient_funds', cancelledAt: now } };
    spec.given([registered, verified, started(), cancelled]).when(start()).then([]);
  });
  it('sells: royalty to the creators by share, the rest to the owners, the buyer owns it all, unlisted', () => {
    const events = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }, frozenFold(assetDecider, [registered, verified, started()]));
    expect(events).toEqual([
      {
        type: 'AssetSold',
        data: {
          purchaseId: 'p1',
          assetId: 'a1',
          buyer: BUYER,
          price: 1_000_000,
          royaltyBps: 1000,
          royalties: [
            { address: ADA, amount: 60_000 },
            { address: BOB, amount: 40_000 },
          ],
          proceeds: [
            { address: ADA, amount: 540_000 },
            { address: BOB, amount: 360_000 },
          ],
          sellers: registration.creators,
          soldAt: now,
        },
      },
    ]);
    const after = frozenFold(assetDecider, [registered, verified, started(), ...events]) as RegisteredAsset;
    expect(after).toMatchObject({ owners: [{ address: BUYER, shareBps: 10_000 }], listed: false, purchase: null, sales: 1, lastSalePrice: 1_000_000 });
  });
  it('a second sale pays the royalty to the creators and the proceeds to the new owner', () => {
    const firstSale = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }, frozenFold(assetDecider, [registered, verified, started()]));
    const relisted: AssetEvent = { type: 'AssetListingSet', data: { assetId: 'a1', listed: true, setBy: BUYER, setAt: now } };
    const history = [registered, verified, started(), ...firstSale, relisted, started('p2', CAROL)];
    const [sold] = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p2', assetId: 'a1', now } }, frozenFold(assetDecider, history));
    expect(sold).toMatchObject({ data: { royalties: [{ address: ADA, amount: 60_000 }, { address: BOB, amount: 40_000 }], proceeds: [{ address: BUYER, amount: 900_000 }] } });
  });
  it('royalty 0 and 5000 bps at the edges; 3 and 7 creators split exactly', () => {
    for (const royaltyBps of [0, 5000]) {
      const asset: AssetRegistered = { type: 'AssetRegistered', data: { ...registered.data, royaltyBps, price: 1_000_003 } };
      const [sold] = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }, frozenFold(assetDecider, [asset, verified, started('p1', BUYER, 1_000_003)]));
      const data = (sold as Extract<AssetEvent, { type: 'AssetSold' }>).data;
      const royalty = data.royalties.reduce((sum, payout) => sum + payout.amount, 0);
      expect(royalty).toBe(royaltyBps === 0 ? 0 : 500_001);
      expect(royalty + data.proceeds.reduce((sum, payout) => sum + payout.amount, 0)).toBe(1_000_003);
    }
    for (const shares of [[3334, 3333, 3333], [1429, 1429, 1429, 1429, 1428, 1428, 1428]]) {
      const creators = shares.map((shareBps, index) => ({ address: `0x${String(index + 1).padStart(40, '0')}`, shareBps }));
      const asset: AssetRegistered = { type: 'AssetRegistered', data: { ...registered.data, creators, price: 1_000_001 } };
      const [sold] = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }, frozenFold(assetDecider, [asset, verified, started('p1', BUYER, 1_000_001)]));
      const data = (sold as Extract<AssetEvent, { type: 'AssetSold' }>).data;
      expect(data.royalties.reduce((sum, payout) => sum + payout.amount, 0)).toBe(100_000);
      expect(data.proceeds.reduce((sum, payout) => sum + payout.amount, 0)).toBe(900_001);
    }
  });
  it('completes only the purchase under way; a completed one again records nothing', () => {
    spec.given([registered, verified]).when({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }).thenThrows('purchase_not_found');
    const sold = assetDecider.decide({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }, frozenFold(assetDecider, [registered, verified, started()]));
    spec.given([registered, verified, started(), ...sold]).when({ type: 'CompleteSale', data: { purchaseId: 'p1', assetId: 'a1', now } }).then([]);
  });
  it('cancels the purchase under way, frees the asset, and ignores one already ended', () => {
    const cancel: AssetCommand = { type: 'CancelPurchase', data: { purchaseId: 'p1', assetId: 'a1', reason: 'insufficient_funds', now } };
    spec.given([registered, verified, started()]).when(cancel).then([
      { type: 'PurchaseCancelled', data: { purchaseId: 'p1', assetId: 'a1', buyer: BUYER, reason: 'insufficient_funds', cancelledAt: now } },
    ]);
    spec.given([registered, verified]).when(cancel).then([]);
    const cancelled: AssetEvent = { type: 'PurchaseCancelled', data: { purchaseId: 'p1', assetId: 'a1', buyer: BUYER, reason: 'insufficient_funds', cancelledAt: now } };
    spec.given([registered, verified, started(), cancelled]).when(start({ purchaseId: 'p2', buyer: CAROL })).then([
      { type: 'PurchaseStarted', data: { purchaseId: 'p2', assetId: 'a1', buyer: CAROL, price: 1_000_000, startedAt: now } },
    ]);
  });
});
