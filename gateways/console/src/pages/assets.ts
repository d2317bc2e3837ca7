// The IP asset registry: the newest assets with their creators and owners, and the money supply.
import { api } from '../api.ts';
import { card, el, facts, micros, shortHex, table } from '../dom.ts';
import { slot, type Page } from '../page.ts';

type Share = { address: string; shareBps: number };
type Asset = { assetId: string; name: string; assetType: string; status: string; price: number; listed: boolean; royaltyBps: number; contentHash: string; creators: Share[]; owners: Share[] };
type Supply = { deposits: number; withdrawals: number; balances: number; staked: number; pool: number; inFlight: number };

const shares = (list: Share[]) => el('span', {}, ...list.map((share) => el('span', { class: 'share' }, shortHex(share.address), ` ${(share.shareBps / 100).toFixed(2)}%`)));

export const assetsPage: Page = {
  path: 'assets',
  title: 'Assets',
  open() {
    const assets = slot('assets');
    const supply = slot('supply');
    const node = el('div', {}, card('Assets', assets.node), card('Money supply', supply.node));
    return {
      node,
      live: true,
      async refresh() {
        await Promise.all([
          api<{ assets: Asset[] }>('/v1/assets?limit=50').then(
            (found) =>
              assets.fill(
                table(
                  [
                    { label: 'asset', value: (row) => row.name },
                    { label: 'id', value: (row) => el('code', {}, row.assetId) },
                    { label: 'type', value: (row) => row.assetType },
                    { label: 'status', value: (row) => el('span', { class: `tag ${row.status}` }, row.status) },
                    { label: 'price', value: (row) => (row.listed ? micros(row.price) : 'not listed'), numeric: true },
                    { label: 'royalty', value: (row) => `${(row.royaltyBps / 100).toFixed(2)}%`, numeric: true },
                    { label: 'creators', value: (row) => shares(row.creators) },
                    { label: 'owners', value: (row) => shares(row.owners) },
                    { label: 'content', value: (row) => shortHex(row.contentHash) },
                  ],
                  found.assets,
                  'No asset registered yet.',
                  'assets-table',
                ),
              ),
            assets.fail,
          ),
          api<Supply>('/v1/market/supply').then(
            (found) =>
              supply.fill(
                facts(
                  [
                    ['deposits', micros(found.deposits)],
                    ['withdrawals', micros(found.withdrawals)],
                    ['balances', micros(found.balances)],
                    ['staked', micros(found.staked)],
                    ['staking pool', micros(found.pool)],
                    ['in flight', micros(found.inFlight)],
                  ],
                  'supply-facts',
                ),
              ),
            supply.fail,
          ),
        ]);
      },
    };
  },
};
