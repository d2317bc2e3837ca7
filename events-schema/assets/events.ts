// Assets events (seed 002, IPheron): an IP asset registry with co-creator shares, royalties on every sale,
// wallets, staking on assets from a reward pool, and provenance anyone can prove.
//
// No floats in any event: money is integer micro-units (Avro long, at most MAX_ASSETS_INTEGER), shares,
// royalty rates and APRs are basis points (10000 = 100 %), times are epoch ms. Addresses are checksummed.
//
// Streams:
//   `assets-asset-<assetId>`   the asset: registration, verification, price and listing, and every purchase
//                              of it (started, sold or cancelled) — the asset decides who may buy it;
//   `assets-wallet-<address>`  one wallet's balance: deposits, withdrawals, purchases paid (or voided),
//                              sale proceeds and royalties received, stakes funded and stake payouts;
//   `assets-staking`           the reward pool and every stake: one stream, so a claim is decided against
//                              the pool and the stake together.
// A sale spans three of them (see commands/assets/asset-commands.ts): the asset records the purchase as
// started (no other buyer until it ends), the buyer's wallet pays it (or voids it: never both), the asset
// records it sold with every split, and each payee's wallet receives its share under an event id derived
// from the purchase, once.
import { eventTypesOf, type Event } from '../event.ts';

export type AssetType = 'patent' | 'design' | 'trademark' | 'copyright' | 'dataset' | 'model' | 'other';
export const assetTypes: readonly AssetType[] = ['patent', 'design', 'trademark', 'copyright', 'dataset', 'model', 'other'];

/** The largest integer (an amount, a balance) an assets event records: avsc writes a long from a JS number only up to 2^53 − 2. */
export const MAX_ASSETS_INTEGER = Number.MAX_SAFE_INTEGER - 1;

/** A holder's part of a whole, in basis points (the parts of a whole sum to 10000). */
export type Share = { address: string; shareBps: number };
/** Micro-units paid to one address. */
export type Payout = { address: string; amount: number };

export type PurchaseCancelReason = 'insufficient_funds' | 'expired';

// ---- The asset stream ----------------------------------------------------------------------------------

export type AssetRegistered = Event<
  'AssetRegistered',
  {
    assetId: string;
    name: string;
    assetType: AssetType;
    /** The listed price, micro-units. */
    price: number;
    royaltyBps: number;
    /** The creators and their shares (sum 10000), in the order given; the first owners, by the same shares. */
    creators: Share[];
    /** The content's hash or IPFS CID, validated, never fetched. */
    contentHash: string;
    metadata: Record<string, string>;
    registeredBy: string;
    registeredAt: number;
  }
>;

export type AssetVerified = Event<'AssetVerified', { assetId: string; reason: string; verifiedBy: string; verifiedAt: number }>;

export type AssetRejected = Event<'AssetRejected', { assetId: string; reason: string; rejectedBy: string; rejectedAt: number }>;

export type AssetPriceSet = Event<'AssetPriceSet', { assetId: string; price: number; previousPrice: number; setBy: string; setAt: number }>;

export type AssetListingSet = Event<'AssetListingSet', { assetId: string; listed: boolean; setBy: string; setAt: number }>;

export type PurchaseStarted = Event<'PurchaseStarted', { purchaseId: string; assetId: string; buyer: string; price: number; startedAt: number }>;

export type AssetSold = Event<
  'AssetSold',
  {
    purchaseId: string;
    assetId: string;
    buyer: string;
    price: number;
    royaltyBps: number;
    /** The royalty (price × royaltyBps / 10000, floored) split among the creators by share. */
    royalties: Payout[];
    /** The rest of the price split among the sellers by ownership. */
    proceeds: Payout[];
    /** The owners before the sale; the buyer owns the whole asset after it. */
    sellers: Share[];
    soldAt: number;
  }
>;

export type PurchaseCancelled = Event<
  'PurchaseCancelled',
  { purchaseId: string; assetId: string; buyer: string; reason: PurchaseCancelReason; cancelledAt: number }
>;

// ---- The wallet stream ---------------------------------------------------------------------------------

export type FundsDeposited = Event<'FundsDeposited', { address: string; amount: number; balanceAfter: number; depositedBy: string; depositedAt: number }>;

export type FundsWithdrawn = Event<'FundsWithdrawn', { address: string; amount: number; balanceAfter: number; withdrawnAt: number }>;

export type PurchasePaid = Event<'PurchasePaid', { purchaseId: string; assetId: string; buyer: string; amount: number; balanceAfter: number; paidAt: number }>;

/** The purchase will never be paid from this wallet (too little in it, or it expired unpaid). */
export type PurchaseVoided = Event<
  'PurchaseVoided',
  { purchaseId: string; assetId: string; buyer: string; reason: PurchaseCancelReason; voidedAt: number }
>;

export type SaleProceedsReceived = Event<
  'SaleProceedsReceived',
  { purchaseId: string; assetId: string; address: string; royalty: number; proceeds: number; balanceAfter: number; receivedAt: number }
>;

/** The stake's terms ride along, so a stake whose opening was cut off can be opened from its wallet's record. */
export type StakeFunded = Event<'StakeFunded', { stakeId: string; assetId: string; address: string; amount: number; durationDays: number; balanceAfter: number; fundedAt: number }>;

/** A stake paid out to its wallet: a claim (reward), an unstake (principal and reward), or a refund of a stake that could not open. */
export type StakePayoutReceived = Event<
  'StakePayoutReceived',
  { stakeId: string; payoutId: string; address: string; principal: number; reward: number; balanceAfter: number; receivedAt: number }
>;

// ---- The staking stream --------------------------------------------------------------------------------

export type RewardPoolFunded = Event<'RewardPoolFunded', { amount: number; poolAfter: number; fundedBy: string; fundedAt: number }>;

export type StakeOpened = Event<
  'StakeOpened',
  { stakeId: string; assetId: string; staker: string; amount: number; durationDays: number; aprBps: number; startsAt: number; endsAt: number }
>;

export type StakeRewardsClaimed = Event<
  'StakeRewardsClaimed',
  { stakeId: string; staker: string; payoutId: string; amount: number; claimedTotal: number; poolAfter: number; claimedAt: number }
>;

export type StakeClosed = Event<
  'StakeClosed',
  {
    stakeId: string;
    staker: string;
    payoutId: string;
    principal: number;
    /** Unclaimed rewards paid with the principal (at or after the end), else 0. */
    reward: number;
    /** Unclaimed rewards given up by an unstake before the end, else 0. */
    forfeited: number;
    early: boolean;
    poolAfter: number;
    closedAt: number;
  }
>;

export type AssetEvent = AssetRegistered | AssetVerified | AssetRejected | AssetPriceSet | AssetListingSet | PurchaseStarted | AssetSold | PurchaseCancelled;
export type WalletEvent = FundsDeposited | FundsWithdrawn | PurchasePaid | PurchaseVoided | SaleProceedsReceived | StakeFunded | StakePayoutReceived;
export type StakingEvent = RewardPoolFunded | StakeOpened | StakeRewardsClaimed | StakeClosed;
export type AssetsEvent = AssetEvent | WalletEvent | StakingEvent;

export const assetsEventTypes = eventTypesOf<AssetsEvent>({
  AssetRegistered: true,
  AssetVerified: true,
  AssetRejected: true,
  AssetPriceSet: true,
  AssetListingSet: true,
  PurchaseStarted: true,
  AssetSold: true,
  PurchaseCancelled: true,
  FundsDeposited: true,
  FundsWithdrawn: true,
  PurchasePaid: true,
  PurchaseVoided: true,
  SaleProceedsReceived: true,
  StakeFunded: true,
  StakePayoutReceived: true,
  RewardPoolFunded: true,
  StakeOpened: true,
  StakeRewardsClaimed: true,
  StakeClosed: true,
});
