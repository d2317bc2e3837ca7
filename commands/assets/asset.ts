// An IP asset (`assets-asset-<assetId>`): registered by one of its creators, verified or rejected by a
// verifier, priced and listed by an owner holding at least half of it, and bought whole by one buyer at a
// time. The asset is the arbiter of who buys it: a purchase starts here (another buyer is refused until it
// ends), and ends here, sold — with the royalty and proceeds split exactly — or cancelled unpaid.
import { Map as PersistentMap } from 'immutable';
import type { AssetEvent, AssetRegistered, AssetSold, PurchaseCancelReason, Share } from '../../events-schema/assets/events.ts';
import { controls, saleSplits, WHOLE_BPS } from '../../events-schema/assets/rules.ts';
import { forbidden } from '../actor.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type RegisterAsset = Command<'RegisterAsset', Omit<AssetRegistered['data'], 'registeredBy' | 'registeredAt'> & { by: string; now: number }>;
export type DecideVerification = Command<'DecideVerification', { assetId: string; outcome: 'verified' | 'rejected'; reason: string; by: string; now: number }>;
/** `isAdmin`: an admin acts for the owners. */
export type SetPrice = Command<'SetPrice', { assetId: string; price: number; by: string; isAdmin: boolean; now: number }>;
export type SetListing = Command<'SetListing', { assetId: string; listed: boolean; by: string; isAdmin: boolean; now: number }>;
/** `price`: what the buyer agreed to; refused when the asset's price is no longer it. */
export type StartPurchase = Command<'StartPurchase', { purchaseId: string; assetId: string; buyer: string; price: number; now: number }>;
/** The buyer's wallet paid the purchase: the asset is sold. */
export type CompleteSale = Command<'CompleteSale', { purchaseId: string; assetId: string; now: number }>;
/** The buyer's wallet will never pay it: the asset is free again. */
export type CancelPurchase = Command<'CancelPurchase', { purchaseId: string; assetId: string; reason: PurchaseCancelReason; now: number }>;
export type AssetCommand = RegisterAsset | DecideVerification | SetPrice | SetListing | StartPurchase | CompleteSale | CancelPurchase;

export type OpenPurchase = { purchaseId: string; buyer: string; price: number; startedAt: number };
export type PurchaseOutcome = { outcome: 'sold'; sale: AssetSold['data'] } | { outcome: 'cancelled'; reason: PurchaseCancelReason; buyer: string };

export type RegisteredAsset = Omit<AssetRegistered['data'], 'price'> & {
  status: 'pending' | 'verified' | 'rejected';
  price: number;
  listed: boolean;
  owners: readonly Share[];
  /** The purchase under way, if any: no other starts until it ends. */
  purchase: OpenPurchase | null;
  /** How every purchase of it ended, by purchase id: a retry finds its outcome. */
  outcomes: PersistentMap<string, PurchaseOutcome>;
  sales: number;
  lastSalePrice: number | null;
};
export type AssetState = { status: 'none' } | RegisteredAsset;

export const assetStreamId = (assetId: string) => `assets-asset-${assetId}`;

function requireAsset(state: AssetState, assetId: string): RegisteredAsset {
  if (state.status === 'none') throw new DomainError('asset_not_found', `asset ${assetId} does not exist`, { assetId });
  return state;
}

function requireControl(asset: RegisteredAsset, by: string, isAdmin: boolean, doing: string): void {
  if (!isAdmin && !controls(asset.owners, by)) {
    throw forbidden(`${by} may not ${doing} of asset ${asset.assetId}: only an owner of at least half of it may`, { subject: by, assetId: asset.assetId });
  }
}

export function decide(command: AssetCommand, state: AssetState): AssetEvent[] {
  switch (command.type) {
    case 'RegisterAsset': {
      const { by, now, ...asset } = command.data;
      if (state.status !== 'none') throw new DomainError('asset_exists', `asset ${asset.assetId} already exists`, { assetId: asset.assetId });
      const total = asset.creators.reduce((sum, creator) => sum + creator.shareBps, 0);
      if (total !== WHOLE_BPS) throw new DomainError('invalid_shares', `the creators' shares sum to ${total}, not ${WHOLE_BPS}`, { field: 'creators', total });
      if (new Set(asset.creators.map((creator) => creator.address)).size !== asset.creators.length) {
        throw new DomainError('invalid_shares', 'a creator is named twice', { field: 'creators' });
      }
      if (!asset.creators.some((creator) => creator.address === by)) {
        throw forbidden(`${by} may not register asset ${asset.assetId}: the caller must be one of its creators`, { subject: by, assetId: asset.assetId });
      }
      return [{ type: 'AssetRegistered', data: { ...asset, registeredBy: by, registeredAt: now } }];
    }
    case 'DecideVerification': {
      const { assetId, outcome, reason, by, now } = command.data;
      const asset = requireAsset(state, assetId);
      if (asset.status !== 'pending') throw new DomainError('verification_decided', `asset ${assetId} is already ${asset.status}`, { assetId, status: asset.status });
      return outcome === 'verified'
        ? [{ type: 'AssetVerified', data: { assetId, reason, verifiedBy: by, verifiedAt: now } }]
        : [{ type: 'AssetRejected', data: { assetId, reason, rejectedBy: by, rejectedAt: now } }];
    }
    case 'SetPrice': {
      const { assetId, price, by, isAdmin, now } = command.data;
      const asset = requireAsset(state, assetId);
      requireControl(asset, by, isAdmin, 'set the price');
      if (asset.price === price) return [];
      return [{ type: 'AssetPriceSet', data: { assetId, price, previousPrice: asset.price, setBy: by, setAt: now } }];
    }
    case 'SetListing': {
      const { assetId, listed, by, isAdmin, now } = command.data;
      const asset = requireAsset(state, assetId);
      requireControl(asset, by, isAdmin, 'list or unlist');
      if (listed && asset.status === 'rejected') throw new DomainError('asset_not_verified', `asset ${assetId} was rejected and can never be sold`, { assetId, status: asset.status });
      if (asset.listed === listed) return [];
      return [{ type: 'AssetListingSet', data: { assetId, listed, setBy: by, setAt: now } }];
    }
    case 'StartPurchase': {
      const { purchaseId, assetId, buyer, price, now } = command.data;
      const asset = requireAsset(state, assetId);
      if (asset.purchase?.purchaseId === purchaseId || asset.outcomes.has(purchaseId)) return []; // a retry: the use case reads how it went
      if (asset.status !== 'verified') throw new DomainError('asset_not_verified', `asset ${assetId} is ${asset.status}: only a verified asset can be sold`, { assetId, status: asset.status });
      if (!asset.listed) throw new DomainError('asset_not_listed', `asset ${assetId} is not listed for sale`, { assetId });
      if (asset.price !== price) throw new DomainError('price_changed', `asset ${assetId} is priced ${asset.price}, not ${price}`, { assetId, price: asset.price, offered: price });
      if (asset.purchase) throw new DomainError('purchase_in_progress', `asset ${assetId} is being bought by another buyer`, { assetId });
      if (asset.owners.length === 1 && asset.owners[0]!.address === buyer) throw new DomainError('already_owner', `${buyer} already owns asset ${assetId}`, { assetId });
      return [{ type: 'PurchaseStarted', data: { purchaseId, assetId, buyer, price, startedAt: now } }];
    }
    case 'CompleteSale': {
      const { purchaseId, assetId, now } = command.data;
      const asset = requireAsset(state, assetId);
      const purchase = asset.purchase;
      if (!purchase || purchase.purchaseId !== purchaseId) {
        if (asset.outcomes.get(purchaseId)?.outcome === 'sold') return [];
        throw new DomainError('purchase_not_found', `no purchase ${purchaseId} is under way on asset ${asset.assetId}`, { assetId: asset.assetId, purchaseId });
      }
      const { royalties, proceeds } = saleSplits(purchase.price, asset.royaltyBps, asset.creators, asset.owners);
      return [
        {
          type: 'AssetSold',
          data: {
            purchaseId,
            assetId: asset.assetId,
            buyer: purchase.buyer,
            price: purchase.price,
            royaltyBps: asset.royaltyBps,
            royalties,
            proceeds,
            sellers: [...asset.owners],
            soldAt: now,
          },
        },
      ];
    }
    case 'CancelPurchase': {
      const { purchaseId, assetId, reason, now } = command.data;
      const asset = requireAsset(state, assetId);
      if (asset.purchase?.purchaseId !== purchaseId) return []; // ended already (or never started here)
      return [{ type: 'PurchaseCancelled', data: { purchaseId, assetId: asset.assetId, buyer: asset.purchase.buyer, reason, cancelledAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: AssetState, event: AssetEvent): AssetState {
  if (event.type === 'AssetRegistered') {
    return { ...event.data, status: 'pending', listed: true, owners: event.data.creators, purchase: null, outcomes: PersistentMap(), sales: 0, lastSalePrice: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'AssetVerified':
      return { ...state, status: 'verified' };
    case 'AssetRejected':
      return { ...state, status: 'rejected', listed: false };
    case 'AssetPriceSet':
      return { ...state, price: event.data.price };
    case 'AssetListingSet':
      return { ...state, listed: event.data.listed };
    case 'PurchaseStarted': {
      const { purchaseId, buyer, price, startedAt } = event.data;
      return { ...state, purchase: { purchaseId, buyer, price, startedAt } };
    }
    case 'AssetSold':
      return {
        ...state,
        owners: [{ address: event.data.buyer, shareBps: WHOLE_BPS }],
        listed: false,
        purchase: null,
        outcomes: state.outcomes.set(event.data.purchaseId, { outcome: 'sold', sale: event.data }),
        sales: state.sales + 1,
        lastSalePrice: event.data.price,
      };
    case 'PurchaseCancelled':
      return { ...state, purchase: null, outcomes: state.outcomes.set(event.data.purchaseId, { outcome: 'cancelled', reason: event.data.reason, buyer: event.data.buyer }) };
    default:
      return assertNever(event);
  }
}

export const assetDecider: Decider<AssetState, AssetCommand, AssetEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'none' }),
};
