// The assets read model from assets events: assets (status, price, listing, creators, owners, sales), each
// asset's provenance (its stream's events, decoded), purchases (the sale saga's parts, whichever first),
// wallets (balance, royalties, proceeds, rewards) and their transactions, stakes, stake fundings and
// payouts, the reward pool, and the money supply's counters. Market days are computed from the purchases
// sold (queries.ts). The tables and why each is order-proof: migrations.ts.
//
// Events are applied one by one, each with a few keyed statements (an assets batch is small next to impact's
// hot path); the supply counters of the whole batch are added once at its end. An event of an asset's stream
// for an asset the read model does not know, or a close of an unknown stake, throws: the runtime parks its
// stream.
import { assetsEventTypes, type AssetsEvent, type Payout, type Share } from '../../events-schema/assets/events.ts';
import { payeesOf, REFUND_PAYOUT_ID } from '../../events-schema/assets/rules.ts';
import type { SqlBinding, SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection, type ProjectedEvent } from '../projection.ts';
import { assetsMigrations } from './migrations.ts';

export const ASSETS_PROJECTION = 'assets';

/** `YYYY-MM-DD` of an instant, UTC. */
export const dayOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

type SupplyChange = { deposits: number; withdrawals: number; inFlight: number };

export const assetsProjection: Projection<AssetsEvent> = {
  name: ASSETS_PROJECTION,
  canHandle: assetsEventTypes,
  migrations: assetsMigrations,
  async applyBatch(events, trx) {
    const supply: SupplyChange = { deposits: 0, withdrawals: 0, inFlight: 0 };
    for (const projected of events) await applyOne(projected, trx, supply);
    if (supply.deposits !== 0 || supply.withdrawals !== 0 || supply.inFlight !== 0) {
      await trx.raw('update supply_totals set deposits = deposits + ?, withdrawals = withdrawals + ?, in_flight = in_flight + ? where id = 1', [
        supply.deposits,
        supply.withdrawals,
        supply.inFlight,
      ]);
    }
  },
};

async function applyOne(projected: ProjectedEvent<AssetsEvent>, trx: SqlTransaction, supply: SupplyChange): Promise<void> {
  const { event, lsn } = projected;
  switch (event.type) {
    // ---- The asset stream ----
    case 'AssetRegistered': {
      const d = event.data;
      await recordProvenance(trx, projected, d.assetId);
      await trx('assets').insert({
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
      });
      await insertHolders(trx, 'asset_creators', d.assetId, d.creators);
      await insertHolders(trx, 'asset_owners', d.assetId, d.creators);
      return;
    }
    case 'AssetVerified':
      await recordProvenance(trx, projected, event.data.assetId);
      return updateAsset(trx, projected, event.data.assetId, { status: 'verified' });
    case 'AssetRejected':
      await recordProvenance(trx, projected, event.data.assetId);
      return updateAsset(trx, projected, event.data.assetId, { status: 'rejected', listed: false });
    case 'AssetPriceSet':
      await recordProvenance(trx, projected, event.data.assetId);
      return updateAsset(trx, projected, event.data.assetId, { price: event.data.price });
    case 'AssetListingSet':
      await recordProvenance(trx, projected, event.data.assetId);
      return updateAsset(trx, projected, event.data.assetId, { listed: event.data.listed });
    case 'PurchaseStarted': {
      const { purchaseId, assetId, buyer, price, startedAt } = event.data;
      await recordProvenance(trx, projected, assetId);
      await updateAsset(trx, projected, assetId, {});
      await upsertPurchase(trx, { purchase_id: purchaseId, asset_id: assetId, buyer, price, started_at: new Date(startedAt) });
      return;
    }
    case 'AssetSold': {
      const { purchaseId, assetId, buyer, price, royalties, proceeds, soldAt } = event.data;
      await recordProvenance(trx, projected, assetId);
      await updateAsset(trx, projected, assetId, { listed: false, sales: trx.raw('sales + 1'), last_sale_price: price });
      // The buyer owns the whole asset after the sale.
      await trx('asset_owners').where({ asset_id: assetId }).delete();
      await insertHolders(trx, 'asset_owners', assetId, [{ address: buyer, shareBps: 10_000 }]);
      await upsertPurchase(trx, { purchase_id: purchaseId, asset_id: assetId, buyer, price, sold_at: new Date(soldAt), payees: countPayees(royalties, proceeds) });
      return;
    }
    case 'PurchaseCancelled': {
      const { purchaseId, assetId, buyer, cancelledAt } = event.data;
      await recordProvenance(trx, projected, assetId);
      await updateAsset(trx, projected, assetId, {});
      await upsertPurchase(trx, { purchase_id: purchaseId, asset_id: assetId, buyer, cancelled_at: new Date(cancelledAt) });
      return;
    }

    // ---- The wallet stream ----
    case 'FundsDeposited': {
      const { address, amount, balanceAfter, depositedAt } = event.data;
      supply.deposits += amount;
      await walletMoved(trx, projected, { address, kind: 'deposit', amount, balanceAfter, at: depositedAt });
      return;
    }
    case 'FundsWithdrawn': {
      const { address, amount, balanceAfter, withdrawnAt } = event.data;
      supply.withdrawals += amount;
      await walletMoved(trx, projected, { address, kind: 'withdrawal', amount: -amount, balanceAfter, at: withdrawnAt });
      return;
    }
    case 'PurchasePaid': {
      const { purchaseId, assetId, buyer, amount, balanceAfter, paidAt } = event.data;
      supply.inFlight += amount;
      await walletMoved(trx, projected, { address: buyer, kind: 'purchase', amount: -amount, balanceAfter, at: paidAt, assetId, reference: purchaseId });
      await upsertPurchase(trx, { purchase_id: purchaseId, asset_id: assetId, buyer, paid: amount });
      return;
    }
    case 'PurchaseVoided':
      // Nothing moved: the asset's PurchaseCancelled ends the purchase.
      return;
    case 'SaleProceedsReceived': {
      const { purchaseId, assetId, address, royalty, proceeds, balanceAfter, receivedAt } = event.data;
      supply.inFlight -= royalty + proceeds;
      await walletMoved(trx, projected, { address, kind: 'sale_proceeds', amount: royalty + proceeds, balanceAfter, at: receivedAt, assetId, reference: purchaseId, royalty, proceeds });
      await trx.raw(
        `insert into purchases (purchase_id, asset_id, payees_credited, credited) values (?, ?, 1, ?)
         on conflict (purchase_id) do update set payees_credited = purchases.payees_credited + 1, credited = purchases.credited + excluded.credited`,
        [purchaseId, assetId, royalty + proceeds],
      );
      return;
    }
    case 'StakeFunded': {
      const { stakeId, assetId, address, amount, balanceAfter, fundedAt } = event.data;
      supply.inFlight += amount;
      await walletMoved(trx, projected, { address, kind: 'stake', amount: -amount, balanceAfter, at: fundedAt, assetId, reference: stakeId });
      await upsertFunding(trx, { stake_id: stakeId, address, asset_id: assetId, amount, funded_at: new Date(fundedAt) });
      return;
    }
    case 'StakePayoutReceived': {
      const { stakeId, payoutId, address, principal, reward, balanceAfter, receivedAt } = event.data;
      supply.inFlight -= principal + reward;
      await walletMoved(trx, projected, { address, kind: 'stake_payout', amount: principal + reward, balanceAfter, at: receivedAt, reference: stakeId, reward });
      if (payoutId === REFUND_PAYOUT_ID) {
        // Its StakeFunded came earlier on this same wallet stream.
        const refunded = await trx('stake_fundings').where({ stake_id: stakeId, address }).update({ refunded_at: new Date(receivedAt) });
        if (refunded === 0) throw new Error(`StakePayoutReceived (refund) at LSN ${lsn}: stake ${stakeId} was never funded by ${address}`);
      } else {
        await upsertPayout(trx, stakeId, payoutId, { received_at: new Date(receivedAt) });
      }
      return;
    }

    // ---- The staking stream ----
    case 'RewardPoolFunded':
      supply.deposits += event.data.amount;
      return setPool(trx, lsn, event.data.poolAfter);
    case 'StakeOpened': {
      const d = event.data;
      supply.inFlight -= d.amount;
      await trx('stakes').insert({
        stake_id: d.stakeId,
        asset_id: d.assetId,
        staker: d.staker,
        amount: d.amount,
        duration_days: d.durationDays,
        apr_bps: d.aprBps,
        starts_at: new Date(d.startsAt),
        ends_at: new Date(d.endsAt),
      });
      await upsertFunding(trx, { stake_id: d.stakeId, address: d.staker, asset_id: d.assetId, amount: d.amount, opened_at: new Date(d.startsAt) });
      return;
    }
    case 'StakeRewardsClaimed': {
      const { stakeId, payoutId, amount, poolAfter, claimedAt } = event.data;
      supply.inFlight += amount;
      await setPool(trx, lsn, poolAfter);
      await upsertPayout(trx, stakeId, payoutId, { decided_at: new Date(claimedAt) });
      return;
    }
    case 'StakeClosed': {
      const { stakeId, payoutId, principal, reward, poolAfter, closedAt } = event.data;
      supply.inFlight += principal + reward;
      const closed = await trx('stakes').where({ stake_id: stakeId }).whereNull('closed_at').update({ closed_at: new Date(closedAt) });
      if (closed === 0) throw new Error(`StakeClosed at LSN ${lsn}: stake ${stakeId} is not open`);
      await setPool(trx, lsn, poolAfter);
      await upsertPayout(trx, stakeId, payoutId, { decided_at: new Date(closedAt) });
      return;
    }
    default:
      return unhandledEvent(event);
  }
}

const bind = (values: unknown[]) => values as unknown as readonly SqlBinding[];

async function recordProvenance(trx: SqlTransaction, projected: ProjectedEvent<AssetsEvent>, assetId: string) {
  await trx('provenance').insert({
    event_id: projected.eventId,
    asset_id: assetId,
    lsn: projected.lsn,
    revision: projected.revision,
    type: projected.event.type,
    recorded_at: projected.recordedAt,
    data: JSON.stringify(projected.event.data),
  });
}

/** Changes an asset its stream registered earlier (an empty change only checks that it did). */
async function updateAsset(trx: SqlTransaction, projected: ProjectedEvent<AssetsEvent>, assetId: string, change: Record<string, unknown>) {
  const found =
    Object.keys(change).length === 0
      ? await trx('assets').where({ asset_id: assetId }).count({ n: '*' }).first().then((row) => Number(row?.n ?? 0))
      : await trx('assets').where({ asset_id: assetId }).update(change);
  if (found === 0) throw new Error(`${projected.event.type} at LSN ${projected.lsn} for unknown asset ${assetId}`);
}

async function insertHolders(trx: SqlTransaction, table: 'asset_creators' | 'asset_owners', assetId: string, holders: readonly Share[]) {
  if (holders.length === 0) return;
  await trx(table).insert(holders.map((holder, position) => ({ asset_id: assetId, address: holder.address, share_bps: holder.shareBps, position })));
}

const countPayees = (royalties: readonly Payout[], proceeds: readonly Payout[]) => payeesOf(royalties, proceeds).length;

type PurchaseChange = {
  purchase_id: string;
  asset_id: string;
  buyer?: string;
  price?: number;
  started_at?: Date;
  sold_at?: Date;
  cancelled_at?: Date;
  paid?: number;
  payees?: number;
};

/** Each part fills its own columns; the row is made by whichever part comes first. */
async function upsertPurchase(trx: SqlTransaction, change: PurchaseChange) {
  const value = <K extends keyof PurchaseChange>(k: K) => change[k] ?? null;
  await trx.raw(
    `insert into purchases (purchase_id, asset_id, buyer, price, started_at, sold_at, cancelled_at, paid, payees, payees_credited, credited)
     values (?, ?, ?, ?::bigint, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?::bigint, ?::int, 0, 0)
     on conflict (purchase_id) do update set
       buyer = coalesce(purchases.buyer, excluded.buyer), price = coalesce(purchases.price, excluded.price),
       started_at = coalesce(purchases.started_at, excluded.started_at), sold_at = coalesce(purchases.sold_at, excluded.sold_at),
       cancelled_at = coalesce(purchases.cancelled_at, excluded.cancelled_at), paid = coalesce(purchases.paid, excluded.paid),
       payees = coalesce(purchases.payees, excluded.payees)`,
    bind([
      change.purchase_id,
      change.asset_id,
      value('buyer'),
      value('price'),
      value('started_at'),
      value('sold_at'),
      value('cancelled_at'),
      value('paid'),
      value('payees'),
    ]),
  );
}

type FundingChange = { stake_id: string; address: string; asset_id: string; amount: number; funded_at?: Date; opened_at?: Date };

async function upsertFunding(trx: SqlTransaction, change: FundingChange) {
  await trx.raw(
    `insert into stake_fundings (stake_id, address, asset_id, amount, funded_at, opened_at) values (?, ?, ?, ?, ?::timestamptz, ?::timestamptz)
     on conflict (stake_id, address) do update set
       funded_at = coalesce(stake_fundings.funded_at, excluded.funded_at), opened_at = coalesce(stake_fundings.opened_at, excluded.opened_at)`,
    bind([change.stake_id, change.address, change.asset_id, change.amount, change.funded_at ?? null, change.opened_at ?? null]),
  );
}

async function upsertPayout(trx: SqlTransaction, stakeId: string, payoutId: string, half: { decided_at: Date } | { received_at: Date }) {
  const decided = 'decided_at' in half ? half.decided_at : null;
  const received = 'received_at' in half ? half.received_at : null;
  await trx.raw(
    `insert into stake_payouts (stake_id, payout_id, decided_at, received_at) values (?, ?, ?::timestamptz, ?::timestamptz)
     on conflict (stake_id, payout_id) do update set
       decided_at = coalesce(stake_payouts.decided_at, excluded.decided_at), received_at = coalesce(stake_payouts.received_at, excluded.received_at)`,
    bind([stakeId, payoutId, decided, received]),
  );
}

async function setPool(trx: SqlTransaction, lsn: number, poolAfter: number) {
  await trx('staking').where({ id: 1 }).where('pool_lsn', '<', lsn).update({ pool: poolAfter, pool_lsn: lsn });
}

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

/** One movement of a wallet's balance: its transaction row, its balance (the latest event's), its earnings. */
async function walletMoved(trx: SqlTransaction, projected: ProjectedEvent<AssetsEvent>, move: WalletMove) {
  await trx('wallet_transactions').insert({
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
  await trx.raw(
    `insert into wallets (address, balance, balance_lsn, royalties_earned, sales_proceeds, rewards_claimed) values (?, ?, ?, ?, ?, ?)
     on conflict (address) do update set
       balance = case when excluded.balance_lsn > wallets.balance_lsn then excluded.balance else wallets.balance end,
       balance_lsn = greatest(wallets.balance_lsn, excluded.balance_lsn),
       royalties_earned = wallets.royalties_earned + excluded.royalties_earned,
       sales_proceeds = wallets.sales_proceeds + excluded.sales_proceeds,
       rewards_claimed = wallets.rewards_claimed + excluded.rewards_claimed`,
    [move.address, move.balanceAfter, projected.lsn, move.royalty ?? 0, move.proceeds ?? 0, move.reward ?? 0],
  );
}
