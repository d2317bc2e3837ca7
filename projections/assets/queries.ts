// What clients and the settlement process ask of the assets read model. bigint columns arrive as strings
// and are returned as exact JS numbers (the command side never records more than a safe integer).
import type { Knex } from 'knex';
import type { AssetType, Share } from '../../events-schema/assets/events.ts';
import type {
  AssetFilter,
  AssetStatus,
  AssetView,
  MarketDay,
  MoneySupply,
  PendingPurchase,
  ProvenanceEntry,
  WalletTransaction,
  WalletTransactionKind,
  WalletView,
} from '../../ports/read-models/assets.ts';
import type { Sql } from '../../ports/sql.ts';
import { InvalidCursorError, keysetCursor } from '../cursor.ts';
import { checkDay, exact } from '../read-model-values.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { ASSETS_PROJECTION } from './assets-projection.ts';

const schema = projectionSchema(ASSETS_PROJECTION);
const table = (knex: Sql, name: string) => knex.withSchema(schema).table(name);


// ---- Assets ------------------------------------------------------------------------------------------

type AssetRow = {
  asset_id: string;
  name: string;
  asset_type: AssetType;
  status: AssetStatus;
  price: string;
  listed: boolean;
  royalty_bps: number;
  content_hash: string;
  metadata: Record<string, string>;
  creators: Share[];
  sales: number;
  last_sale_price: string | null;
  registered_at: Date;
  registered_lsn: string;
};

/** The owners and open stakes of these assets, one query each. */
async function assetViews(knex: Sql, rows: readonly AssetRow[]): Promise<AssetView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.asset_id);
  const owners = (await table(knex, 'asset_owners').whereIn('asset_id', ids).orderBy(['asset_id', 'position']).select('asset_id', 'address', 'share_bps')) as Array<{
    asset_id: string;
    address: string;
    share_bps: number;
  }>;
  const staked = (await table(knex, 'stakes').whereIn('asset_id', ids).whereNull('closed_at').groupBy('asset_id').select('asset_id', knex.raw('sum(amount) as staked'))) as Array<{
    asset_id: string;
    staked: string;
  }>;
  const stakedBy = new Map(staked.map((row) => [row.asset_id, exact(row.staked)]));
  return rows.map((row) => ({
    assetId: row.asset_id,
    name: row.name,
    assetType: row.asset_type,
    status: row.status,
    price: exact(row.price),
    listed: row.listed,
    royaltyBps: row.royalty_bps,
    contentHash: row.content_hash,
    metadata: row.metadata,
    creators: row.creators,
    owners: owners.filter((owner) => owner.asset_id === row.asset_id).map((owner) => ({ address: owner.address, shareBps: owner.share_bps })),
    staked: stakedBy.get(row.asset_id) ?? 0,
    sales: row.sales,
    lastSalePrice: row.last_sale_price === null ? null : exact(row.last_sale_price),
    registeredAt: row.registered_at.toISOString(),
  }));
}

export async function asset(knex: Sql, assetId: string): Promise<AssetView | null> {
  const row = (await table(knex, 'assets').where({ asset_id: assetId }).first()) as AssetRow | undefined;
  return row ? (await assetViews(knex, [row]))[0]! : null;
}

const assetCursor = keysetCursor('asset');

/** Assets, newest first (by the LSN of their registration), filtered, keyset-paged. */
export async function listAssets(knex: Sql, options: AssetFilter & { limit: number; cursor?: string }): Promise<{ assets: AssetView[]; nextCursor: string | null }> {
  const query = table(knex, 'assets').orderBy('registered_lsn', 'desc').limit(options.limit + 1);
  if (options.type) query.where('asset_type', options.type);
  if (options.status) query.where('status', options.status);
  if (options.creator) query.whereIn('asset_id', table(knex, 'asset_creators').where('address', options.creator).select('asset_id'));
  if (options.owner) query.whereIn('asset_id', table(knex, 'asset_owners').where('address', options.owner).select('asset_id'));
  if (options.cursor) query.where('registered_lsn', '<', assetCursor.decode(options.cursor));
  const rows = (await query.select()) as AssetRow[];
  const page = rows.slice(0, options.limit);
  return { assets: await assetViews(knex, page), nextCursor: rows.length > options.limit ? assetCursor.encode(exact(page.at(-1)!.registered_lsn)) : null };
}

const provenanceCursor = keysetCursor('revision');

/** The asset stream's events in stream order, keyset-paged by revision. */
export async function provenance(knex: Sql, assetId: string, options: { limit: number; cursor?: string }): Promise<{ events: ProvenanceEntry[]; nextCursor: string | null }> {
  const query = table(knex, 'provenance').where({ asset_id: assetId }).orderBy('revision').limit(options.limit + 1);
  if (options.cursor) query.where('revision', '>', provenanceCursor.decode(options.cursor));
  const rows = (await query.select()) as Array<{ event_id: string; lsn: string; revision: number; type: string; recorded_at: Date; data: Record<string, unknown> }>;
  const page = rows.slice(0, options.limit);
  return {
    events: page.map((row) => ({ eventId: row.event_id, lsn: exact(row.lsn), revision: row.revision, type: row.type, recordedAt: row.recorded_at.toISOString(), data: row.data })),
    nextCursor: rows.length > options.limit ? provenanceCursor.encode(page.at(-1)!.revision) : null,
  };
}

// ---- Wallets -----------------------------------------------------------------------------------------

export async function wallet(knex: Sql, address: string): Promise<WalletView | null> {
  const row = (await table(knex, 'wallets').where({ address }).first()) as Record<string, string> | undefined;
  const owned = (await table(knex, 'asset_owners').where({ address }).orderBy('asset_id').select('asset_id')) as Array<{ asset_id: string }>;
  const staked = (await table(knex, 'stakes').where({ staker: address }).whereNull('closed_at').first(knex.raw('sum(amount) as staked'))) as { staked: string | null } | undefined;
  if (!row && owned.length === 0 && staked?.staked == null) return null;
  return {
    address,
    balance: row ? exact(row.balance!) : 0,
    assetsOwned: owned.map((o) => o.asset_id),
    royaltiesEarned: row ? exact(row.royalties_earned!) : 0,
    salesProceeds: row ? exact(row.sales_proceeds!) : 0,
    staked: staked?.staked == null ? 0 : exact(staked.staked),
    rewardsClaimed: row ? exact(row.rewards_claimed!) : 0,
  };
}

const transactionCursor = keysetCursor('lsn');

/**
 * A wallet's balance movements, newest first, keyset-paged by LSN. A stake payout names no asset: it is
 * the asset its stake was funded on.
 */
export async function walletTransactions(knex: Sql, address: string, options: { limit: number; cursor?: string }): Promise<{ transactions: WalletTransaction[]; nextCursor: string | null }> {
  const query = knex
    .withSchema(schema)
    .from('wallet_transactions as t')
    .leftJoin('stake_fundings as f', (join) => join.on('f.stake_id', 't.reference').andOn('f.address', 't.address').andOnVal('t.kind', 'stake_payout'))
    .where('t.address', address)
    .orderBy('t.lsn', 'desc')
    .limit(options.limit + 1)
    .select('t.*', knex.raw('coalesce(t.asset_id, f.asset_id) as asset'));
  if (options.cursor) query.where('t.lsn', '<', transactionCursor.decode(options.cursor));
  const rows = (await query) as Array<{ event_id: string; lsn: string; kind: WalletTransactionKind; amount: string; balance_after: string; asset: string | null; reference: string | null; at: Date }>;
  const page = rows.slice(0, options.limit);
  return {
    transactions: page.map((row) => ({
      eventId: row.event_id,
      lsn: exact(row.lsn),
      kind: row.kind,
      amount: exact(row.amount),
      balanceAfter: exact(row.balance_after),
      assetId: row.asset,
      reference: row.reference,
      at: row.at.toISOString(),
    })),
    nextCursor: rows.length > options.limit ? transactionCursor.encode(exact(page.at(-1)!.lsn)) : null,
  };
}

// ---- The market and the money supply -----------------------------------------------------------------

/** Per UTC day of a sale (AssetSold's time), oldest first: volume, sales, distinct assets sold and their distinct creators. */
export async function marketDaily(knex: Sql, options: { from?: string; to?: string } = {}): Promise<MarketDay[]> {
  const range = (query: Knex.QueryBuilder) => {
    if (options.from) query.where('day', '>=', checkDay(options.from, 'from'));
    if (options.to) query.where('day', '<=', checkDay(options.to, 'to'));
    return query;
  };
  const sold = knex.withSchema(schema).from('purchases').whereNotNull('sold_at').select('asset_id', 'price', knex.raw(`to_char(sold_at at time zone 'UTC', 'YYYY-MM-DD') as day`));
  const days = (await range(knex.from(sold.as('s')))
    .groupBy('day')
    .orderBy('day')
    .select('day', knex.raw('sum(price) as volume'), knex.raw('count(*) as sales'), knex.raw('count(distinct asset_id) as assets'))) as Array<Record<string, string>>;
  const creators = (await range(knex.from(sold.as('s')))
    .join(knex.raw('??.asset_creators as c', [schema]), 'c.asset_id', 's.asset_id')
    .groupBy('day')
    .select('day', knex.raw('count(distinct c.address) as creators'))) as Array<Record<string, string>>;
  const creatorsBy = new Map(creators.map((row) => [row.day!, Number(row.creators)]));
  return days.map((row) => {
    const volume = exact(row.volume!);
    const sales = Number(row.sales);
    return { day: row.day!, volume, sales, activeAssets: Number(row.assets), activeCreators: creatorsBy.get(row.day!) ?? 0, averagePrice: sales === 0 ? null : Math.floor(volume / sales) };
  });
}

/** deposits − withdrawals = balances + staked + pool + inFlight (each part read from its own table). */
export async function moneySupply(knex: Sql): Promise<MoneySupply> {
  const totals = (await table(knex, 'supply_totals').where({ id: 1 }).first()) as Record<string, string> | undefined;
  const balances = (await table(knex, 'wallets').first(knex.raw('coalesce(sum(balance), 0) as sum'))) as { sum: string };
  const staked = (await table(knex, 'stakes').whereNull('closed_at').first(knex.raw('coalesce(sum(amount), 0) as sum'))) as { sum: string };
  const pool = (await table(knex, 'staking').where({ id: 1 }).first('pool')) as { pool: string } | undefined;
  return {
    deposits: totals ? exact(totals.deposits!) : 0,
    withdrawals: totals ? exact(totals.withdrawals!) : 0,
    balances: exact(balances.sum),
    staked: exact(staked.sum),
    pool: pool ? exact(pool.pool) : 0,
    inFlight: totals ? exact(totals.in_flight!) : 0,
  };
}

// ---- What the settlement process finishes ------------------------------------------------------------

/**
 * Purchases started before `startedBefore` that are still under way (neither sold nor cancelled), or sold
 * with fewer payees credited than the sale named; oldest first (started, then purchase id). `after` is the
 * purchase id of the last one of the previous page.
 */
export async function pendingPurchases(knex: Sql, startedBefore: number, limit: number, after?: string): Promise<PendingPurchase[]> {
  const query = table(knex, 'purchases')
    .whereNotNull('started_at')
    .whereNull('cancelled_at')
    .where('started_at', '<', new Date(startedBefore))
    .where((pending) => pending.whereNull('sold_at').orWhere((sold) => sold.whereNotNull('payees').whereRaw('payees_credited < payees')));
  if (after !== undefined) {
    const last = (await table(knex, 'purchases').where({ purchase_id: after }).first('started_at')) as { started_at: Date | null } | undefined;
    if (!last?.started_at) throw new InvalidCursorError(`invalid cursor: unknown purchase ${JSON.stringify(after)}`);
    query.whereRaw('(started_at, purchase_id) > (?, ?)', [last.started_at, after]);
  }
  const rows = (await query.orderBy([{ column: 'started_at' }, { column: 'purchase_id' }]).limit(limit).select('asset_id', 'purchase_id', 'started_at')) as Array<{
    asset_id: string;
    purchase_id: string;
    started_at: Date;
  }>;
  return rows.map((row) => ({ assetId: row.asset_id, purchaseId: row.purchase_id, startedAt: row.started_at.getTime() }));
}

/**
 * Stakes half done since before `before`: principals locked whose stake neither opened nor was refunded
 * (oldest first), and stakes with a claim or close decided whose payout the wallet has not received.
 */
export async function pendingStakes(knex: Sql, before: number, limit: number): Promise<{ unopened: Array<{ address: string; stakeId: string }>; unpaid: string[] }> {
  const unopened = (await table(knex, 'stake_fundings')
    .whereNotNull('funded_at')
    .whereNull('opened_at')
    .whereNull('refunded_at')
    .where('funded_at', '<', new Date(before))
    .orderBy([{ column: 'funded_at' }, { column: 'stake_id' }])
    .limit(limit)
    .select('address', 'stake_id')) as Array<{ address: string; stake_id: string }>;
  const unpaid = (await table(knex, 'stake_payouts')
    .whereNotNull('decided_at')
    .whereNull('received_at')
    .where('decided_at', '<', new Date(before))
    .groupBy('stake_id')
    .orderByRaw('min(decided_at), stake_id')
    .limit(limit)
    .select('stake_id')) as Array<{ stake_id: string }>;
  return { unopened: unopened.map((row) => ({ address: row.address, stakeId: row.stake_id })), unpaid: unpaid.map((row) => row.stake_id) };
}
