// What the crawl read model answers (computed by projections/crawl/queries.ts and settlement.ts). Amounts are
// integer micro-units, exact JS numbers.

export type DayTotals = { day: string; crawls: number; billed: number; refunded: number; net: number };
export type Escrow = { platformId: string; deposited: number; billed: number; refunded: number; balance: number; crawls: number };
export type CrawlEntry = {
  crawlId: string;
  platformId: string;
  publisherId: string;
  url: string;
  bytes: number;
  amount: number;
  status: 'billed' | 'disputed' | 'refunded';
  billedAt: string;
  disputedAt: string | null;
  disputeReason: string | null;
  refundedAt: string | null;
  lsn: number;
};

/** Days `YYYY-MM-DD`, both ends included. */
export type DayRange = { from?: string; to?: string };

export type SettlementPayout = { publisherId: string; amount: number; leaf: `0x${string}` };
export type SettlementBatch = { day: string; root: `0x${string}` | null; total: number; payouts: SettlementPayout[] };
export type PayoutProof = { publisherId: string; day: string; amount: number; leaf: `0x${string}`; proof: `0x${string}`[]; root: `0x${string}` };

export type CrawlQueries = {
  /** The participant's role, or null when it is not in the read model (yet). */
  participantRole(participantId: string): Promise<string | null>;
  /** Null for a platform with no escrow row yet. */
  escrowOf(platformId: string): Promise<Escrow | null>;
  /** Per day of billing, oldest first, within the range; with the totals over those days. */
  dailyTotals(who: { publisherId: string } | { platformId: string }, range?: DayRange): Promise<{ days: DayTotals[]; total: Omit<DayTotals, 'day'> }>;
  /** The crawl ledger, newest first, keyset-paged (the cursor is opaque to clients). */
  listCrawls(options: { platformId?: string; publisherId?: string; limit: number; cursor?: string }): Promise<{ crawls: CrawlEntry[]; nextCursor: string | null }>;
  /** The day's payouts and their Merkle root. */
  settlementBatch(day: string): Promise<SettlementBatch>;
  /** A publisher's payout of the day with its proof; null when it is owed nothing that day. */
  payoutProof(publisherId: string, day: string): Promise<PayoutProof | null>;
};
