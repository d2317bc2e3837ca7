// What the assets read model answers (computed by projections/assets/queries.ts). Money is integer
// micro-units, shares and rates basis points, days `YYYY-MM-DD` (UTC), instants ISO 8601, all exact JS numbers.
import type { AssetType, Payout, Share } from '../../events-schema/assets/events.ts';

export type AssetStatus = 'pending' | 'verified' | 'rejected';

export type AssetView = {
  assetId: string;
  name: string;
  assetType: AssetType;
  status: AssetStatus;
  /** The listed price, micro-units. */
  price: number;
  listed: boolean;
  royaltyBps: number;
  contentHash: string;
  metadata: Record<string, string>;
  creators: Share[];
  /** The owners now and their ownership (sum 10000). */
  owners: Share[];
  /** Principal of the open stakes on it, micro-units. */
  staked: number;
  sales: number;
  lastSalePrice: number | null;
  registeredAt: string;
};

export type AssetFilter = { creator?: string; owner?: string; type?: AssetType; status?: AssetStatus };

/** An event of the asset's stream, as the log records it; `proof` is filled in by the route from the audit's anchoring. */
export type ProvenanceEntry = { eventId: string; lsn: number; revision: number; type: string; recordedAt: string; data: Record<string, unknown> };

export type WalletView = {
  address: string;
  balance: number;
  /** Asset ids it owns a part of. */
  assetsOwned: string[];
  royaltiesEarned: number;
  salesProceeds: number;
  /** Principal of its open stakes. */
  staked: number;
  rewardsClaimed: number;
};

export type WalletTransactionKind = 'deposit' | 'withdrawal' | 'purchase' | 'sale_proceeds' | 'stake' | 'stake_payout';
/** One movement of a wallet's balance: `amount` signed (credits positive). */
export type WalletTransaction = {
  eventId: string;
  lsn: number;
  kind: WalletTransactionKind;
  amount: number;
  balanceAfter: number;
  assetId: string | null;
  /** The purchase or stake it belongs to, if any. */
  reference: string | null;
  at: string;
};

export type MarketDay = { day: string; volume: number; sales: number; activeAssets: number; activeCreators: number; averagePrice: number | null };

/** deposits − withdrawals = balances + staked principal + pool + in flight (paid, not yet credited), at every checkpoint. */
export type MoneySupply = { deposits: number; withdrawals: number; balances: number; staked: number; pool: number; inFlight: number };

/** A purchase started and not ended, or sold with payees still to credit: what the settlement process finishes. */
export type PendingPurchase = { assetId: string; purchaseId: string; startedAt: number };

export type AssetsQueries = {
  /** Null when the read model does not know the asset (yet). */
  asset(assetId: string): Promise<AssetView | null>;
  /** Newest first, keyset-paged. */
  listAssets(options: AssetFilter & { limit: number; cursor?: string }): Promise<{ assets: AssetView[]; nextCursor: string | null }>;
  /** Every event of the asset's stream in order, paged; empty when unknown. */
  provenance(assetId: string, options: { limit: number; cursor?: string }): Promise<{ events: ProvenanceEntry[]; nextCursor: string | null }>;
  /** Null when the wallet has nothing in the read model (yet). */
  wallet(address: string): Promise<WalletView | null>;
  /** Newest first, keyset-paged. */
  walletTransactions(address: string, options: { limit: number; cursor?: string }): Promise<{ transactions: WalletTransaction[]; nextCursor: string | null }>;
  /** Per UTC day with a sale, oldest first, from..to inclusive. */
  marketDaily(options: { from?: string; to?: string }): Promise<MarketDay[]>;
  moneySupply(): Promise<MoneySupply>;
  /**
   * Purchases under way (or sold, payees not all credited) since before `startedBefore` (epoch ms), oldest first;
   * `after` is the purchase id of the last one of the previous page.
   */
  pendingPurchases(startedBefore: number, limit: number, after?: string): Promise<PendingPurchase[]>;
  /**
   * Stakes a request left half done, since before `before` (epoch ms): principals locked whose stake never
   * opened, and stakes with a claim or unstake decided whose wallet payout is missing.
   */
  pendingStakes(before: number, limit: number): Promise<{ unopened: Array<{ address: string; stakeId: string }>; unpaid: string[] }>;
};
