// Company scores (by id) and the public watch list.
import { api, segment } from '../api.ts';
import { bar, card, el, facts, lookup, table, when } from '../dom.ts';
import { slot, type Page } from '../page.ts';

type Score =
  | { companyId: string; name: string; status: 'published'; sampleSize: number; overallScore: number; components: Record<string, number>; confidenceInterval: { level: number; lower: number; upper: number; marginOfError: number } }
  | { companyId: string; name: string; status: 'insufficient_data'; sampleSize: number; minimumSampleSize: number };
type Listed = { companyId: string; name: string; reason: string; since: string; score: number | null; scoreAtListing: number | null };

function scoreCard(score: Score): HTMLElement {
  if (score.status !== 'published') {
    return card(`${score.name}`, facts([['company', el('code', {}, score.companyId)], ['score', `not published: ${score.sampleSize} of ${score.minimumSampleSize} submissions`]], 'company-score'));
  }
  const { confidenceInterval: interval } = score;
  return card(
    score.name,
    facts(
      [
        ['company', el('code', {}, score.companyId)],
        ['overall score', el('strong', {}, score.overallScore.toFixed(1))],
        ['submissions', score.sampleSize],
        [`${Math.round(interval.level * 100)}% interval`, `${interval.lower.toFixed(1)} – ${interval.upper.toFixed(1)} (±${interval.marginOfError.toFixed(1)})`],
      ],
      'company-score',
    ),
    table(
      [
        { label: 'component', value: ([name]) => name },
        { label: 'score', value: ([, value]) => value.toFixed(1), numeric: true },
        { label: '', value: ([, value]) => bar(value / 100) },
      ],
      Object.entries(score.components),
      'no components',
    ),
  );
}

export const workplacePage: Page = {
  path: 'workplace',
  title: 'Workplace',
  open({ params, go }) {
    const company = params.get('company') ?? '';
    const score = slot('score');
    const watchList = slot('watch-list');
    const node = el(
      'div',
      {},
      card('Company score', lookup('Company id', company, 'acme', (value) => go({ company: value }), 'company'), score.node),
      card('Watch list', watchList.node),
    );
    return {
      node,
      live: true,
      async refresh() {
        await Promise.all([
          company
            ? api<Score>(`/v1/companies/${segment(company)}/score`).then((found) => score.fill(scoreCard(found)), score.fail)
            : Promise.resolve(score.fill(el('p', { class: 'empty' }, 'Enter a company id to see its score.'))),
          api<{ companies: Listed[] }>('/v1/watch-list?limit=100').then(
            ({ companies }) =>
              watchList.fill(
                table(
                  [
                    { label: 'company', value: (row) => row.name },
                    { label: 'id', value: (row) => el('code', {}, row.companyId) },
                    { label: 'reason', value: (row) => el('span', { class: 'tag closed' }, row.reason) },
                    { label: 'since', value: (row) => when(row.since) },
                    { label: 'score', value: (row) => row.score?.toFixed(1) ?? '—', numeric: true },
                  ],
                  companies,
                  'No company is on the watch list.',
                  'watch-list-table',
                ),
              ),
            watchList.fail,
          ),
        ]);
      },
    };
  },
};
