// Crawl billing: the newest crawls, a platform's escrow, and a day's settlement batch.
import { api, segment } from '../api.ts';
import { card, el, facts, lookup, micros, shortHex, table, when } from '../dom.ts';
import { slot, type Page } from '../page.ts';

type Crawl = { crawlId: string; platformId: string; publisherId: string; url: string; bytes: number; amount: number; status: string; billedAt: string };
type Escrow = { platformId: string; deposited: number; billed: number; refunded: number; balance: number; crawls: number };
type Settlement = { day: string; root: string | null; total: number; payouts: { publisherId: string; amount: number; leaf: string }[] };

const today = () => new Date().toISOString().slice(0, 10);

export const crawlPage: Page = {
  path: 'crawl',
  title: 'Crawls',
  open({ params, go }) {
    const platform = params.get('platform') ?? '';
    const day = params.get('day') ?? today();
    const escrow = slot('escrow');
    const settlement = slot('settlement');
    const crawls = slot('crawls');
    const node = el(
      'div',
      {},
      el(
        'div',
        { class: 'grid' },
        card('Escrow', lookup('Platform id', platform, 'crawler', (value) => go({ platform: value, day }), 'platform'), escrow.node),
        card('Settlement', lookup('Day (UTC)', day, 'YYYY-MM-DD', (value) => go({ platform, day: value }), 'day'), settlement.node),
      ),
      card('Newest crawls', crawls.node),
    );
    return {
      node,
      live: true,
      async refresh() {
        await Promise.all([
          platform
            ? api<Escrow>(`/v1/platforms/${segment(platform)}/escrow`).then(
                (found) =>
                  escrow.fill(
                    facts(
                      [
                        ['platform', el('code', {}, found.platformId)],
                        ['balance', el('strong', {}, micros(found.balance))],
                        ['deposited', micros(found.deposited)],
                        ['billed', micros(found.billed)],
                        ['refunded', micros(found.refunded)],
                        ['crawls', found.crawls],
                      ],
                      'escrow-facts',
                    ),
                  ),
                escrow.fail,
              )
            : Promise.resolve(escrow.fill(el('p', { class: 'empty' }, 'Enter a platform id to see its escrow.'))),
          /^\d{4}-\d{2}-\d{2}$/.test(day)
            ? api<Settlement>(`/v1/settlements/${segment(day)}`).then(
                (found) =>
                  settlement.fill(
                    facts([['day', found.day], ['total', micros(found.total)], ['payouts root', found.root ? shortHex(found.root) : 'none (nothing to pay)']], 'settlement-facts'),
                    table(
                      [
                        { label: 'publisher', value: (row) => row.publisherId },
                        { label: 'amount', value: (row) => micros(row.amount), numeric: true },
                        { label: 'leaf', value: (row) => shortHex(row.leaf) },
                      ],
                      found.payouts,
                      'No payout that day.',
                    ),
                  ),
                settlement.fail,
              )
            : Promise.resolve(settlement.fill(el('p', { class: 'error' }, 'A day is YYYY-MM-DD.'))),
          api<{ crawls: Crawl[] }>('/v1/crawls?limit=20').then(
            (found) =>
              crawls.fill(
                table(
                  [
                    { label: 'crawl', value: (row) => el('code', {}, row.crawlId) },
                    { label: 'platform', value: (row) => row.platformId },
                    { label: 'publisher', value: (row) => row.publisherId },
                    { label: 'url', value: (row) => row.url },
                    { label: 'amount', value: (row) => micros(row.amount), numeric: true },
                    { label: 'status', value: (row) => el('span', { class: `tag ${row.status}` }, row.status) },
                    { label: 'billed', value: (row) => when(row.billedAt) },
                  ],
                  found.crawls,
                  'No crawl billed yet.',
                  'crawls-table',
                ),
              ),
            crawls.fail,
          ),
        ]);
      },
    };
  },
};
