// The assets read model from assets events: assets (status, price, listing, creators, owners, sales), each
// asset's provenance (its stream's events, decoded), purchases (the sale saga's parts, whichever first),
// wallets (balance, royalties, proceeds, rewards) and their transactions, stakes, stake fundings and
// payouts, the reward pool, and the money supply's counters. Market days are computed from the purchases
// sold (queries.ts). The tables and why each is order-proof: migrations.ts.
//
// A batch is folded in memory first, in LSN order, as impact's is; then each table gets one multi-row
// statement (inserts by unnest, upserts with keys sorted so two workers lock rows in the same order). What
// changes rows of earlier batches and needs an answer — the assets an asset stream's events change or only
// name, the stakes closed, the fundings refunded — is one statement first; every other row, counter and total
// the batch adds goes in one statement after it (writeTogether, ../sql-writes.ts): two round trips a batch.
//
// An event of an asset's stream for an asset the read model does not know, a close of a stake that is not
// open, or a refund of a stake the wallet never funded, throws (while folding when the batch itself says so,
// else after the first statement, naming the event's LSN): the runtime then applies the batch's events one by
// one and parks the stream of the one refused.
import { assetsEventTypes, type AssetsEvent, type Payout, type Share } from '../../events-schema/assets/events.ts';
import { payeesOf, REFUND_PAYOUT_ID } from '../../events-schema/assets/rules.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection, type ProjectedEvent } from '../projection.ts';
import { bind, writeTogether, type Write } from '../sql-writes.ts';
import { assetsAnalyticsViews } from './analytics.ts';
import { assetsMigrations } from './migrations.ts';
import { dayOf } from '../read-model-values.ts';

export const ASSETS_PROJECTION = 'assets';

const SEP = '\u0000';
const key = (...parts: string[]) => parts.join(SEP);
const sortedKeys = <V>(map: ReadonlyMap<string, V>) => [...map.keys()].sort();

type AssetRow = {
  asset_id: string;
  name: string;
  asset_type: string;
  status: string;
  price: number;
  listed: boolean;
  royalty_bps: number;
  content_hash: string;
  metadata: string;
  creators: string;
  sales: number;
  last_sale_price: number | null;
  registered_at: Date;
  registered_lsn: number;
};
type AssetUpdate = { status?: string; listed?: boolean; price?: number; sold?: number };
/** The changes of an asset of an earlier batch; `type` and `lsn` are its first event's in this batch. */
type AssetChange = { status: string | null; listed: boolean | null; price: number | null; sales: number; last_sale_price: number | null; type: string; lsn: number };
type HolderRow = { asset_id: string; address: string; share_bps: number; position: number };
type ProvenanceRow = { event_id: string; asset_id: string; lsn: number; revision: number; type: string; recorded_at: Date; data: string };
type PurchaseRow = {
  purchase_id: string;
  asset_id: string;
  buyer: string | null;
  price: number | null;
  started_at: Date | null;
  sold_at: Date | null;
  cancelled_at: Date | null;
  paid: number | null;
  payees: number | null;
  payees_credited: number;
  credited: number;
};
type PurchasePart = Partial<Pick<PurchaseRow, 'buyer' | 'price' | 'started_at' | 'sold_at' | 'cancelled_at' | 'paid' | 'payees'>>;
type WalletRow = { address: string; balance: number; balance_lsn: number; royalties_earned: number; sales_proceeds: number; rewards_claimed: number };
type WalletTransactionRow = {
  event_id: string;
  address: string;
  lsn: number;
  kind: string;
  amount: number;
  balance_after: number;
  asset_id: string | null;
  reference: string | null;
  at: Date;
};
type StakeRow = {
  stake_id: string;
  asset_id: string;
  staker: string;
  amount: number;
  duration_days: number;
  apr_bps: number;
  starts_at: Date;
  ends_at: Date;
  closed_at: Date | null;
};
type FundingRow = { stake_id: string; address: string; asset_id: string; amount: number; funded_at: Date | null; opened_at: Date | null; refunded_at: Date | null };
type PayoutRow = { stake_id: string; payout_id: string; decided_at: Date | null; received_at: Date | null };

type WalletMove = {
  address: string;
  kind: 'deposit' | 'withdrawal' | 'purchase' | 'sale_proceeds' | 'stake' | 'stake_payout';
  /** Signed: credits positive. */
  amount: number;
  balanceAfter: number;
  at: number;
  assetId?: string;
  reference?: string;
  royalty?: number;
  proceeds?: number;
  reward?: number;
};

/** What one batch changes, gathered before it is written. */
class BatchChanges {
  readonly newAssets = new Map<string, AssetRow>();
  readonly assetChanges = new Map<string, AssetChange>();
  readonly creators: HolderRow[] = [];
  /** Each asset's owners after the batch, for the assets it registered or sold; `replace`: drop the other owners of an earlier batch. */
  readonly owners = new Map<string, { replace: boolean; holders: readonly Share[] }>();
  readonly provenance: ProvenanceRow[] = [];
  readonly purchases = new Map<string, PurchaseRow>();
  readonly wallets = new Map<string, WalletRow>();
  readonly walletTransactions: WalletTransactionRow[] = [];
  readonly newStakes = new Map<string, StakeRow>();
  /** Closes of stakes of earlier batches. */
  readonly stakeClosures = new Map<string, { stake_id: string; closed_at: Date; lsn: number }>();
  readonly fundings = new Map<string, FundingRow>();
  /** Refunds of fundings of earlier batches; `lsn` is the first one's. */
  readonly refunds = new Map<string, { stake_id: string; address: string; refunded_at: Date; lsn: number }>();
  readonly payouts = new Map<string, PayoutRow>();
  pool: { pool: number; lsn: number } | null = null;
  readonly supply = { deposits: 0, withdrawals: 0, inFlight: 0 };

  provenanceOf(projected: ProjectedEvent<AssetsEvent>, assetId: string) {
    this.provenance.push({
      event_id: projected.eventId,
      asset_id: assetId,
      lsn: projected.lsn,
      revision: projected.revision,
      type: projected.event.type,
      recorded_at: projected.recordedAt,
      data: JSON.stringify(projected.event.data),
    });
  }

  register(projected: ProjectedEvent<AssetsEvent>, row: AssetRow, creators: readonly Share[]) {
    if (this.newAssets.has(row.asset_id)) throw new Error(`${projected.event.type} at LSN ${projected.lsn}: asset ${row.asset_id} is already registered in this batch`);
    this.newAssets.set(row.asset_id, row);
    creators.forEach((holder, position) => this.creators.push({ asset_id: row.asset_id, address: holder.address, share_bps: holder.shareBps, position }));
    this.owners.set(row.asset_id, { replace: false, holders: creators });
  }

  /** Changes an asset its stream registered earlier (an empty change only checks that it did). */
  changeAsset(projected: ProjectedEvent<AssetsEvent>, assetId: string, update: AssetUpdate) {
    const fresh = this.newAssets.get(assetId);
    if (fresh) {
      if (update.status !== undefined) fresh.status = update.status;
      if (update.listed !== undefined) fresh.listed = update.listed;
      if (update.price !== undefined) fresh.price = update.price;
      if (update.sold !== undefined) Object.assign(fresh, { sales: fresh.sales + 1, last_sale_price: update.sold });
      return;
    }
    let change = this.assetChanges.get(assetId);
    if (!change) {
      change = { status: null, listed: null, price: null, sales: 0, last_sale_price: null, type: projected.event.type, lsn: projected.lsn };
      this.assetChanges.set(assetId, change);
    }
    if (update.status !== undefined) change.status = update.status;
    if (update.listed !== undefined) change.listed = update.listed;
    if (update.price !== undefined) change.price = update.price;
    if (update.sold !== undefined) Object.assign(change, { sales: change.sales + 1, last_sale_price: update.sold });
  }

  /** Each part fills its own columns; the row is made by whichever part comes first. */
  purchase(purchaseId: string, assetId: string, part: PurchasePart, credited?: number) {
    let row = this.purchases.get(purchaseId);
    if (!row) {
      row = { purchase_id: purchaseId, asset_id: assetId, buyer: null, price: null, started_at: null, sold_at: null, cancelled_at: null, paid: null, payees: null, payees_credited: 0, credited: 0 };
      this.purchases.set(purchaseId, row);
    }
    fillNulls(row, part);
    if (credited !== undefined) Object.assign(row, { payees_credited: row.payees_credited + 1, credited: row.credited + credited });
  }

  /** One movement of a wallet's balance: its transaction row, its balance (the latest event's), its earnings. */
  walletMoved(projected: ProjectedEvent<AssetsEvent>, move: WalletMove) {
    this.walletTransactions.push({
      event_id: projected.eventId,
      address: move.address,
      lsn: projected.lsn,
      kind: move.kind,
      amount: move.amount,
      balance_after: move.balanceAfter,
      asset_id: move.assetId ?? null,
      reference: move.reference ?? null,
      at: new Date(move.at),
    });
    let wallet = this.wallets.get(move.address);
    if (!wallet) {
      wallet = { address: move.address, balance: move.balanceAfter, balance_lsn: projected.lsn, royalties_earned: 0, sales_proceeds: 0, rewards_claimed: 0 };
      this.wallets.set(move.address, wallet);
    } else if (projected.lsn > wallet.balance_lsn) {
      Object.assign(wallet, { balance: move.balanceAfter, balance_lsn: projected.lsn });
    }
    wallet.royalties_earned += move.royalty ?? 0;
    wallet.sales_proceeds += move.proceeds ?? 0;
    wallet.rewards_claimed += move.reward ?? 0;
  }

  funding(change: Pick<FundingRow, 'stake_id' | 'address' | 'asset_id' | 'amount'> & Partial<Pick<FundingRow, 'funded_at' | 'opened_at'>>) {
    const k = key(change.stake_id, change.address);
    let row = this.fundings.get(k);
    if (!row) {
      row = { stake_id: change.stake_id, address: change.address, asset_id: change.asset_id, amount: change.amount, funded_at: null, opened_at: null, refunded_at: null };
      this.fundings.set(k, row);
    }
    fillNulls(row, { funded_at: change.funded_at, opened_at: change.opened_at });
  }

  /** A refund of a funding made earlier: in its row when this batch made it, else gathered for one update. */
  refund(lsn: number, stakeId: string, address: string, refundedAt: Date) {
    const k = key(stakeId, address);
    const fresh = this.fundings.get(k);
    if (fresh) {
      fresh.refunded_at = refundedAt;
      return;
    }
    const earlier = this.refunds.get(k);
    this.refunds.set(k, { stake_id: stakeId, address, refunded_at: refundedAt, lsn: earlier?.lsn ?? lsn });
  }

  payout(stakeId: string, payoutId: string, half: Partial<Pick<PayoutRow, 'decided_at' | 'received_at'>>) {
    const k = key(stakeId, payoutId);
    let row = this.payouts.get(k);
    if (!row) {
      row = { stake_id: stakeId, payout_id: payoutId, decided_at: null, received_at: null };
      this.payouts.set(k, row);
    }
    fillNulls(row, half);
  }

  setPool(lsn: number, poolAfter: number) {
    if (this.pool === null || lsn > this.pool.lsn) this.pool = { pool: poolAfter, lsn };
  }
}

/** Sets the columns still null (`coalesce(row.column, part.column)`). */
function fillNulls<T extends object>(row: T, part: Partial<T>) {
  for (const [column, value] of Object.entries(part) as Array<[keyof T, T[keyof T] | undefined]>) {
    if (value !== undefined && value !== null && row[column] === null) row[column] = value;
  }
}

export const assetsProjection: Projection<AssetsEvent> = {
  name: ASSETS_PROJECTION,
  canHandle: assetsEventTypes,
  migrations: assetsMigrations,
  analyticsViews: assetsAnalyticsViews,
  async applyBatch(events, trx) {
    const changes = new BatchChanges();
    for (const projected of events) applyOne(projected, changes);
    await changeEarlierRows(trx, changes);
    await writeTogether(trx, [
      ...assets(changes),
      ...provenance(changes.provenance),
      ...purchases(changes),
      ...wallets(changes),
      ...staking(changes),
      ...supplyTotals(changes.supply),
    ]);
  },
};

function applyOne(projected: ProjectedEvent<AssetsEvent>, changes: BatchChanges): void {
  const { event, lsn } = projected;
  const { supply } = changes;
  switch (event.type) {
    // ---- The asset stream ----
    case 'AssetRegistered': {
      const d = event.data;
      changes.provenanceOf(projected, d.assetId);
      changes.register(
        projected,
        {
          asset_id: d.assetId,
          name: d.name,
          asset_type: d.assetType,
          status: 'pending',
          price: d.price,
          listed: true,
          royalty_bps: d.royaltyBps,
          content_hash: d.contentHash,
          metadata: JSON.stringify(d.metadata),
          creators: JSON.stringify(d.creators),
          sales: 0,
          last_sale_price: null,
          registered_at: new Date(d.registeredAt),
          registered_lsn: lsn,
        },
        d.creators,
      );
      return;
    }
    case 'AssetVerified':
      changes.provenanceOf(projected, event.data.assetId);
      return changes.changeAsset(projected, event.data.assetId, { status: 'verified' });
    case 'AssetRejected':
      changes.provenanceOf(projected, event.data.assetId);
      return changes.changeAsset(projected, event.data.assetId, { status: 'rejected', listed: false });
    case 'AssetPriceSet':
      changes.provenanceOf(projected, event.data.assetId);
      return changes.changeAsset(projected, event.data.assetId, { price: event.data.price });
    case 'AssetListingSet':
      changes.provenanceOf(projected, event.data.assetId);
      return changes.changeAsset(projected, event.data.assetId, { listed: event.data.listed });
    case 'PurchaseStarted': {
      const { purchaseId, assetId, buyer, price, startedAt } = event.data;
      changes.provenanceOf(projected, assetId);
      changes.changeAsset(projected, assetId, {});
      changes.purchase(purchaseId, assetId, { buyer, price, started_at: new Date(startedAt) });
      return;
    }
    case 'AssetSold': {
      const { purchaseId, assetId, buyer, price, royalties, proceeds, soldAt } = event.data;
      changes.provenanceOf(projected, assetId);
      changes.changeAsset(projected, assetId, { listed: false, sold: price });
      // The buyer owns the whole asset after the sale.
      changes.owners.set(assetId, { replace: !changes.newAssets.has(assetId), holders: [{ address: buyer, shareBps: 10_000 }] });
      changes.purchase(purchaseId, assetId, { buyer, price, sold_at: new Date(soldAt), payees: countPayees(royalties, proceeds) });
      return;
    }
    case 'PurchaseCancelled': {
      const { purchaseId, assetId, buyer, cancelledAt } = event.data;
      changes.provenanceOf(projected, assetId);
      changes.changeAsset(projected, assetId, {});
      changes.purchase(purchaseId, assetId, { buyer, cancelled_at: new Date(cancelledAt) });
      return;
    }

    // ---- The wallet stream ----
    case 'FundsDeposited': {
      const { address, amount, balanceAfter, depositedAt } = event.data;
      supply.deposits += amount;
      changes.walletMoved(projected, { address, kind: 'deposit', amount, balanceAfter, at: depositedAt });
      return;
    }
    case 'FundsWithdrawn': {
      const { address, amount, balanceAfter, withdrawnAt } = event.data;
      supply.withdrawals += amount;
      changes.walletMoved(projected, { address, kind: 'withdrawal', amount: -amount, balanceAfter, at: withdrawnAt });
      return;
    }
    case 'PurchasePaid': {
      const { purchaseId, assetId, buyer, amount, balanceAfter, paidAt } = event.data;
      supply.inFlight += amount;
      changes.walletMoved(projected, { address: buyer, kind: 'purchase', amount: -amount, balanceAfter, at: paidAt, assetId, reference: purchaseId });
      changes.purchase(purchaseId, assetId, { buyer, paid: amount });
      return;
    }
    case 'PurchaseVoided':
      // Nothing moved: the asset's PurchaseCancelled ends the purchase.
      return;
    case 'SaleProceedsReceived': {
      const { purchaseId, assetId, address, royalty, proceeds, balanceAfter, receivedAt } = event.data;
      supply.inFlight -= royalty + proceeds;
      changes.walletMoved(projected, { address, kind: 'sale_proceeds', amount: royalty + proceeds, balanceAfter, at: receivedAt, assetId, reference: purchaseId, royalty, proceeds });
      changes.purchase(purchaseId, assetId, {}, royalty + proceeds);
      return;
    }
    case 'StakeFunded': {
      const { stakeId, assetId, address, amount, balanceAfter, fundedAt } = event.data;
      supply.inFlight += amount;
      changes.walletMoved(projected, { address, kind: 'stake', amount: -amount, balanceAfter, at: fundedAt, assetId, reference: stakeId });
      changes.funding({ stake_id: stakeId, address, asset_id: assetId, amount, funded_at: new Date(fundedAt) });
      return;
    }
    case 'StakePayoutReceived': {
      const { stakeId, payoutId, address, principal, reward, balanceAfter, receivedAt } = event.data;
      supply.inFlight -= principal + reward;
      changes.walletMoved(projected, { address, kind: 'stake_payout', amount: principal + reward, balanceAfter, at: receivedAt, reference: stakeId, reward });
      // A refund's StakeFunded came earlier on this same wallet stream.
      if (payoutId === REFUND_PAYOUT_ID) changes.refund(lsn, stakeId, address, new Date(receivedAt));
      else changes.payout(stakeId, payoutId, { received_at: new Date(receivedAt) });
      return;
    }

    // ---- The staking stream ----
    case 'RewardPoolFunded':
      supply.deposits += event.data.amount;
      return changes.setPool(lsn, event.data.poolAfter);
    case 'StakeOpened': {
      const d = event.data;
      supply.inFlight -= d.amount;
      if (changes.newStakes.has(d.stakeId) || changes.stakeClosures.has(d.stakeId)) throw new Error(`StakeOpened at LSN ${lsn}: stake ${d.stakeId} is already opened`);
      changes.newStakes.set(d.stakeId, {
        stake_id: d.stakeId,
        asset_id: d.assetId,
        staker: d.staker,
        amount: d.amount,
        duration_days: d.durationDays,
        apr_bps: d.aprBps,
        starts_at: new Date(d.startsAt),
        ends_at: new Date(d.endsAt),
        closed_at: null,
      });
      changes.funding({ stake_id: d.stakeId, address: d.staker, asset_id: d.assetId, amount: d.amount, opened_at: new Date(d.startsAt) });
      return;
    }
    case 'StakeRewardsClaimed': {
      const { stakeId, payoutId, amount, poolAfter, claimedAt } = event.data;
      supply.inFlight += amount;
      changes.setPool(lsn, poolAfter);
      changes.payout(stakeId, payoutId, { decided_at: new Date(claimedAt) });
      return;
    }
    case 'StakeClosed': {
      const { stakeId, payoutId, principal, reward, poolAfter, closedAt } = event.data;
      supply.inFlight += principal + reward;
      const fresh = changes.newStakes.get(stakeId);
      const notOpen = () => new Error(`StakeClosed at LSN ${lsn}: stake ${stakeId} is not open`);
      if (fresh) {
        if (fresh.closed_at !== null) throw notOpen();
        fresh.closed_at = new Date(closedAt);
      } else {
        if (changes.stakeClosures.has(stakeId)) throw notOpen();
        changes.stakeClosures.set(stakeId, { stake_id: stakeId, closed_at: new Date(closedAt), lsn });
      }
      changes.setPool(lsn, poolAfter);
      changes.payout(stakeId, payoutId, { decided_at: new Date(closedAt) });
      return;
    }
    default:
      return unhandledEvent(event);
  }
}

const countPayees = (royalties: readonly Payout[], proceeds: readonly Payout[]) => payeesOf(royalties, proceeds).length;

/**
 * The rows of earlier batches this one changes and must find, in one statement: the assets its asset-stream
 * events change (or only name), the stakes it closes (open ones only), the fundings it refunds. Throws naming
 * the first event whose row is not there.
 */
async function changeEarlierRows(trx: SqlTransaction, changes: BatchChanges) {
  const ctes: string[] = [];
  const found: string[] = [];
  const bindings: unknown[] = [];
  const assetIds = sortedKeys(changes.assetChanges);
  if (assetIds.length > 0) {
    const pick = <K extends keyof AssetChange>(k: K) => assetIds.map((id) => changes.assetChanges.get(id)![k]);
    ctes.push(
      `asset_changes as (select * from unnest(?::text[], ?::text[], ?::boolean[], ?::bigint[], ?::int[], ?::bigint[])
         as u(asset_id, status, listed, price, sales, last_sale_price))`,
      `assets_changed as (update assets a set
         status = coalesce(u.status, a.status), listed = coalesce(u.listed, a.listed), price = coalesce(u.price, a.price),
         sales = a.sales + u.sales, last_sale_price = coalesce(u.last_sale_price, a.last_sale_price)
       from asset_changes u
       where a.asset_id = u.asset_id and (u.status is not null or u.listed is not null or u.price is not null or u.sales <> 0))`,
    );
    bindings.push(assetIds, pick('status'), pick('listed'), pick('price'), pick('sales'), pick('last_sale_price'));
    found.push(`select 'asset' as kind, a.asset_id as id, null::text as address from assets a join asset_changes u on u.asset_id = a.asset_id`);
  }
  const stakeIds = sortedKeys(changes.stakeClosures);
  if (stakeIds.length > 0) {
    ctes.push(
      `stakes_closed as (update stakes s set closed_at = u.closed_at from unnest(?::text[], ?::timestamptz[]) as u(stake_id, closed_at)
       where s.stake_id = u.stake_id and s.closed_at is null returning s.stake_id)`,
    );
    bindings.push(stakeIds, stakeIds.map((id) => changes.stakeClosures.get(id)!.closed_at));
    found.push(`select 'stake' as kind, stake_id as id, null::text as address from stakes_closed`);
  }
  const refundKeys = sortedKeys(changes.refunds);
  if (refundKeys.length > 0) {
    const refunds = refundKeys.map((k) => changes.refunds.get(k)!);
    ctes.push(
      `fundings_refunded as (update stake_fundings f set refunded_at = u.refunded_at
       from unnest(?::text[], ?::text[], ?::timestamptz[]) as u(stake_id, address, refunded_at)
       where f.stake_id = u.stake_id and f.address = u.address returning f.stake_id, f.address)`,
    );
    bindings.push(
      refunds.map((r) => r.stake_id),
      refunds.map((r) => r.address),
      refunds.map((r) => r.refunded_at),
    );
    found.push(`select 'funding' as kind, stake_id as id, address from fundings_refunded`);
  }
  if (ctes.length === 0) return;
  const { rows } = (await trx.raw(`with ${ctes.join(',\n')}\n${found.join('\nunion all\n')}`, bind(bindings))) as {
    rows: Array<{ kind: 'asset' | 'stake' | 'funding'; id: string; address: string | null }>;
  };
  const there = new Set(rows.map((row) => key(row.kind, row.id, row.address ?? '')));
  const missing: Array<{ lsn: number; message: string }> = [];
  for (const [assetId, change] of changes.assetChanges) {
    if (!there.has(key('asset', assetId, ''))) missing.push({ lsn: change.lsn, message: `${change.type} at LSN ${change.lsn} for unknown asset ${assetId}` });
  }
  for (const [stakeId, closure] of changes.stakeClosures) {
    if (!there.has(key('stake', stakeId, ''))) missing.push({ lsn: closure.lsn, message: `StakeClosed at LSN ${closure.lsn}: stake ${stakeId} is not open` });
  }
  for (const refund of changes.refunds.values()) {
    if (!there.has(key('funding', refund.stake_id, refund.address))) {
      missing.push({ lsn: refund.lsn, message: `StakePayoutReceived (refund) at LSN ${refund.lsn}: stake ${refund.stake_id} was never funded by ${refund.address}` });
    }
  }
  if (missing.length > 0) throw new Error(missing.sort((a, b) => a.lsn - b.lsn)[0]!.message);
}

function assets(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  const fresh = [...changes.newAssets.values()];
  if (fresh.length > 0) {
    const column = <K extends keyof AssetRow>(k: K) => fresh.map((row) => row[k]);
    writes.push({
      sql: `insert into assets (asset_id, name, asset_type, status, price, listed, royalty_bps, content_hash, metadata, creators, sales, last_sale_price,
         registered_at, registered_lsn)
       select u.asset_id, u.name, u.asset_type, u.status, u.price, u.listed, u.royalty_bps, u.content_hash, u.metadata::jsonb, u.creators::jsonb,
         u.sales, u.last_sale_price, u.registered_at, u.registered_lsn
       from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::boolean[], ?::int[], ?::text[], ?::text[], ?::text[], ?::int[], ?::bigint[],
         ?::timestamptz[], ?::bigint[])
         as u(asset_id, name, asset_type, status, price, listed, royalty_bps, content_hash, metadata, creators, sales, last_sale_price,
           registered_at, registered_lsn)`,
      bindings: [
        column('asset_id'),
        column('name'),
        column('asset_type'),
        column('status'),
        column('price'),
        column('listed'),
        column('royalty_bps'),
        column('content_hash'),
        column('metadata'),
        column('creators'),
        column('sales'),
        column('last_sale_price'),
        column('registered_at'),
        column('registered_lsn'),
      ],
    });
  }
  if (changes.creators.length > 0) writes.push(holders('asset_creators', changes.creators, false));
  const owned = sortedKeys(changes.owners);
  const replaced = owned.filter((assetId) => changes.owners.get(assetId)!.replace);
  if (replaced.length > 0) {
    // The rows of the earlier owners an asset's sales in this batch replaced (the buyer's own row is upserted).
    writes.push({
      sql: `delete from asset_owners o using unnest(?::text[], ?::text[]) as u(asset_id, address) where o.asset_id = u.asset_id and o.address <> u.address`,
      bindings: [replaced, replaced.map((assetId) => changes.owners.get(assetId)!.holders[0]!.address)],
    });
  }
  const owners = owned.flatMap((assetId) =>
    changes.owners.get(assetId)!.holders.map((holder, position) => ({ asset_id: assetId, address: holder.address, share_bps: holder.shareBps, position })),
  );
  if (owners.length > 0) writes.push(holders('asset_owners', owners, true));
  return writes;
}

function holders(table: 'asset_creators' | 'asset_owners', rows: readonly HolderRow[], upsert: boolean): Write {
  const onConflict = upsert ? ` on conflict (asset_id, address) do update set share_bps = excluded.share_bps, position = excluded.position` : '';
  return {
    sql: `insert into ${table} (asset_id, address, share_bps, position) select * from unnest(?::text[], ?::text[], ?::int[], ?::int[])${onConflict}`,
    bindings: [rows.map((row) => row.asset_id), rows.map((row) => row.address), rows.map((row) => row.share_bps), rows.map((row) => row.position)],
  };
}

function provenance(rows: readonly ProvenanceRow[]): Write[] {
  if (rows.length === 0) return [];
  const column = <K extends keyof ProvenanceRow>(k: K) => rows.map((row) => row[k]);
  return [
    {
      sql: `insert into provenance (event_id, asset_id, lsn, revision, type, recorded_at, data)
       select u.event_id, u.asset_id, u.lsn, u.revision, u.type, u.recorded_at, u.data::jsonb
       from unnest(?::uuid[], ?::text[], ?::bigint[], ?::int[], ?::text[], ?::timestamptz[], ?::text[]) as u(event_id, asset_id, lsn, revision, type, recorded_at, data)`,
      bindings: [column('event_id'), column('asset_id'), column('lsn'), column('revision'), column('type'), column('recorded_at'), column('data')],
    },
  ];
}

function purchases(changes: BatchChanges): Write[] {
  if (changes.purchases.size === 0) return [];
  const rows = sortedKeys(changes.purchases).map((id) => changes.purchases.get(id)!);
  const column = <K extends keyof PurchaseRow>(k: K) => rows.map((row) => row[k]);
  return [
    {
      sql: `insert into purchases (purchase_id, asset_id, buyer, price, started_at, sold_at, cancelled_at, paid, payees, payees_credited, credited)
       select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[], ?::bigint[], ?::int[],
         ?::int[], ?::bigint[])
       on conflict (purchase_id) do update set
         buyer = coalesce(purchases.buyer, excluded.buyer), price = coalesce(purchases.price, excluded.price),
         started_at = coalesce(purchases.started_at, excluded.started_at), sold_at = coalesce(purchases.sold_at, excluded.sold_at),
         cancelled_at = coalesce(purchases.cancelled_at, excluded.cancelled_at), paid = coalesce(purchases.paid, excluded.paid),
         payees = coalesce(purchases.payees, excluded.payees),
         payees_credited = purchases.payees_credited + excluded.payees_credited, credited = purchases.credited + excluded.credited`,
      bindings: [
        column('purchase_id'),
        column('asset_id'),
        column('buyer'),
        column('price'),
        column('started_at'),
        column('sold_at'),
        column('cancelled_at'),
        column('paid'),
        column('payees'),
        column('payees_credited'),
        column('credited'),
      ],
    },
  ];
}

function wallets(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  const moves = changes.walletTransactions;
  if (moves.length > 0) {
    const column = <K extends keyof WalletTransactionRow>(k: K) => moves.map((row) => row[k]);
    writes.push({
      sql: `insert into wallet_transactions (event_id, address, lsn, kind, amount, balance_after, asset_id, reference, at)
       select * from unnest(?::uuid[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::timestamptz[])`,
      bindings: [column('event_id'), column('address'), column('lsn'), column('kind'), column('amount'), column('balance_after'), column('asset_id'), column('reference'), column('at')],
    });
  }
  if (changes.wallets.size > 0) {
    const rows = sortedKeys(changes.wallets).map((address) => changes.wallets.get(address)!);
    const column = <K extends keyof WalletRow>(k: K) => rows.map((row) => row[k]);
    writes.push({
      sql: `insert into wallets (address, balance, balance_lsn, royalties_earned, sales_proceeds, rewards_claimed)
       select * from unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
       on conflict (address) do update set
         balance = case when excluded.balance_lsn > wallets.balance_lsn then excluded.balance else wallets.balance end,
         balance_lsn = greatest(wallets.balance_lsn, excluded.balance_lsn),
         royalties_earned = wallets.royalties_earned + excluded.royalties_earned,
         sales_proceeds = wallets.sales_proceeds + excluded.sales_proceeds,
         rewards_claimed = wallets.rewards_claimed + excluded.rewards_claimed`,
      bindings: [column('address'), column('balance'), column('balance_lsn'), column('royalties_earned'), column('sales_proceeds'), column('rewards_claimed')],
    });
  }
  return writes;
}

function staking(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  if (changes.newStakes.size > 0) {
    const rows = [...changes.newStakes.values()];
    const column = <K extends keyof StakeRow>(k: K) => rows.map((row) => row[k]);
    writes.push({
      sql: `insert into stakes (stake_id, asset_id, staker, amount, duration_days, apr_bps, starts_at, ends_at, closed_at)
       select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::int[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[])`,
      bindings: [column('stake_id'), column('asset_id'), column('staker'), column('amount'), column('duration_days'), column('apr_bps'), column('starts_at'), column('ends_at'), column('closed_at')],
    });
  }
  if (changes.fundings.size > 0) {
    const rows = sortedKeys(changes.fundings).map((k) => changes.fundings.get(k)!);
    const column = <K extends keyof FundingRow>(k: K) => rows.map((row) => row[k]);
    // Funded and opened: whichever first; refunded: the latest refund (a refund of an earlier batch's funding was
    // written by changeEarlierRows and is kept).
    writes.push({
      sql: `insert into stake_fundings (stake_id, address, asset_id, amount, funded_at, opened_at, refunded_at)
       select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[])
       on conflict (stake_id, address) do update set
         funded_at = coalesce(stake_fundings.funded_at, excluded.funded_at), opened_at = coalesce(stake_fundings.opened_at, excluded.opened_at),
         refunded_at = coalesce(excluded.refunded_at, stake_fundings.refunded_at)`,
      bindings: [column('stake_id'), column('address'), column('asset_id'), column('amount'), column('funded_at'), column('opened_at'), column('refunded_at')],
    });
  }
  if (changes.payouts.size > 0) {
    const rows = sortedKeys(changes.payouts).map((k) => changes.payouts.get(k)!);
    const column = <K extends keyof PayoutRow>(k: K) => rows.map((row) => row[k]);
    writes.push({
      sql: `insert into stake_payouts (stake_id, payout_id, decided_at, received_at)
       select * from unnest(?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[])
       on conflict (stake_id, payout_id) do update set
         decided_at = coalesce(stake_payouts.decided_at, excluded.decided_at), received_at = coalesce(stake_payouts.received_at, excluded.received_at)`,
      bindings: [column('stake_id'), column('payout_id'), column('decided_at'), column('received_at')],
    });
  }
  if (changes.pool !== null) {
    // The reward pool: the latest staking event's poolAfter, whatever order batches come in.
    writes.push({ sql: `update staking set pool = ?, pool_lsn = ? where id = 1 and pool_lsn < ?`, bindings: [changes.pool.pool, changes.pool.lsn, changes.pool.lsn] });
  }
  return writes;
}

function supplyTotals(supply: BatchChanges['supply']): Write[] {
  if (supply.deposits === 0 && supply.withdrawals === 0 && supply.inFlight === 0) return [];
  return [{ sql: `update supply_totals set deposits = deposits + ?, withdrawals = withdrawals + ?, in_flight = in_flight + ? where id = 1`, bindings: [supply.deposits, supply.withdrawals, supply.inFlight] }];
}
