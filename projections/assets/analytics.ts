// The assets read model as analysts query it (schema `analytics`, see runtime/analytics-views.ts). Money is
// integer micro-units of the platform's currency (events-schema/assets/events.ts), shares and rates basis
// points (10000 = 100 %). Staked amounts are the open stakes, as the asset and wallet APIs count them.
import type { AnalyticsView } from '../projection.ts';

const assets: AnalyticsView = {
  name: 'assets_registry',
  comment: 'One row per registered IP asset: status, price, royalty, sales and what is staked on it.',
  columns: {
    asset_id: 'The asset id.',
    name: 'Its name.',
    asset_type: 'Its type.',
    status: 'pending, verified or rejected.',
    price_micro_units: 'Its listed price, in micro-units (1 unit = 1000000).',
    listed: 'Whether it is for sale.',
    royalty_bps: 'Royalty on each sale to its creators, in basis points (10000 = 100 %).',
    sales: 'Times sold.',
    last_sale_price_micro_units: 'The price of its last sale, in micro-units; null if never sold.',
    staked_micro_units: 'Σ open stakes on it, in micro-units.',
    registered_at: 'When it was registered.',
    registered_lsn: 'Log sequence number of its registration (orders the registry).',
  },
  select: `
    select a.asset_id, a.name, a.asset_type, a.status, a.price, a.listed, a.royalty_bps, a.sales, a.last_sale_price,
           coalesce((select sum(s.amount) from stakes s where s.asset_id = a.asset_id and s.closed_at is null), 0)::bigint,
           a.registered_at, a.registered_lsn
      from assets a`,
};

const wallets: AnalyticsView = {
  name: 'assets_wallets',
  comment: 'One row per wallet with a balance movement: its balance and what it earned, as the wallet API gives them.',
  columns: {
    address: 'The wallet address (checksummed).',
    balance_micro_units: 'Its balance, in micro-units (1 unit = 1000000).',
    royalties_earned_micro_units: 'Σ royalties received, in micro-units.',
    sales_proceeds_micro_units: 'Σ received from selling assets, in micro-units.',
    rewards_claimed_micro_units: 'Σ staking rewards received, in micro-units.',
    staked_micro_units: 'Σ its open stakes, in micro-units.',
  },
  select: `
    select w.address, w.balance, w.royalties_earned, w.sales_proceeds, w.rewards_claimed,
           coalesce((select sum(s.amount) from stakes s where s.staker = w.address and s.closed_at is null), 0)::bigint
      from wallets w`,
};

const marketDays: AnalyticsView = {
  name: 'assets_market_days',
  comment: 'One row per UTC day with a sale: volume, sales, distinct assets sold and their distinct creators, as GET /v1/market/daily.',
  columns: {
    sold_on: 'The UTC day of the sales.',
    volume_micro_units: 'Σ sale prices, in micro-units (1 unit = 1000000).',
    sales: 'Sales.',
    active_assets: 'Distinct assets sold.',
    active_creators: 'Distinct creators of those assets.',
    average_price_micro_units: 'volume / sales, floored to the micro-unit.',
  },
  select: `
    select s.day, sum(s.price)::bigint, count(*), count(distinct s.asset_id),
           (select count(distinct c.address) from purchases p join asset_creators c on c.asset_id = p.asset_id
             where p.sold_at is not null and (p.sold_at at time zone 'UTC')::date = s.day),
           div(sum(s.price), count(*))::bigint
      from (select asset_id, price, (sold_at at time zone 'UTC')::date as day from purchases where sold_at is not null) s
     group by s.day`,
};

export const assetsAnalyticsViews: readonly AnalyticsView[] = [assets, wallets, marketDays];
