// Decisions and their live results: totals, weighted totals and votes by class.
import { api, segment } from '../api.ts';
import { bar, card, el, facts, table, when } from '../dom.ts';
import { slot, type Page } from '../page.ts';

type DecisionSummary = { decisionId: string; title: string; status: string; closesAt: string | null; createdAt: string; votes: number };
type Results = { decisionId: string; title: string; status: string; totals: Record<string, number>; weighted: Record<string, number>; byClass: Record<string, Record<string, number>>; votes: number; lateVotes: number; asOfLsn: number };

const RESULTS_SHOWN = 6;

function resultsCard(results: Results): HTMLElement {
  const weightedTotal = Object.values(results.weighted).reduce((sum, value) => sum + value, 0);
  const classes = Object.keys(results.byClass);
  return card(
    results.title,
    facts([
      ['decision', el('code', {}, results.decisionId)],
      ['status', results.status],
      ['votes', results.votes],
    ]),
    table(
      [
        { label: 'option', value: ([option]) => option },
        { label: 'votes', value: ([option]) => results.totals[option] ?? 0, numeric: true },
        { label: 'weighted', value: ([option]) => results.weighted[option] ?? 0, numeric: true },
        { label: 'share (weighted)', value: ([option]) => bar(weightedTotal === 0 ? 0 : (results.weighted[option] ?? 0) / weightedTotal) },
        ...classes.map((voterClass) => ({ label: voterClass, value: ([option]: [string, number]) => results.byClass[voterClass]?.[option] ?? 0, numeric: true })),
      ],
      Object.entries(results.totals),
      'no options',
      `results-${results.decisionId}`,
    ),
  );
}

export const governancePage: Page = {
  path: 'governance',
  title: 'Decisions',
  open() {
    const list = slot('decisions');
    const results = slot('decision-results');
    const node = el('div', {}, card('Decisions', list.node), el('div', { class: 'grid' }, results.node));
    return {
      node,
      live: true,
      async refresh() {
        try {
          const { decisions } = await api<{ decisions: DecisionSummary[] }>('/v1/decisions?limit=50');
          list.fill(
            table(
              [
                { label: 'title', value: (row) => row.title },
                { label: 'id', value: (row) => el('code', {}, row.decisionId) },
                { label: 'status', value: (row) => el('span', { class: `tag ${row.status}` }, row.status) },
                { label: 'votes', value: (row) => row.votes, numeric: true },
                { label: 'closes', value: (row) => when(row.closesAt) },
                { label: 'opened', value: (row) => when(row.createdAt) },
              ],
              decisions,
              'No decision yet.',
              'decisions-table',
            ),
          );
          const shown = await Promise.all(decisions.slice(0, RESULTS_SHOWN).map((decision) => api<Results>(`/v1/decisions/${segment(decision.decisionId)}/results`)));
          results.fill(...shown.map(resultsCard));
        } catch (error) {
          list.fail(error);
        }
      },
    };
  },
};
