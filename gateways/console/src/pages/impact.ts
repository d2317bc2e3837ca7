// Players and leaderboards: the quests, a region's board (the first quest's region unless one is asked
// for) and a player (the board's leader unless one is asked for).
import { api, segment } from '../api.ts';
import { card, el, facts, lookup, micros, table } from '../dom.ts';
import { slot, type Page } from '../page.ts';

type Quest = { questId: string; title: string; category: string; region: string; difficulty: string; baseXp: number; tokenReward: number; status: string; completions: number };
type Board = { region: string; entries: { rank: number; playerId: string; xp: number }[] };
type Player = { playerId: string; level: number; tier: string; xp: number; tokens: number; questsCompleted: number; streakDays: number };

export const impactPage: Page = {
  path: 'impact',
  title: 'Players',
  open({ params, go }) {
    const asked = { region: params.get('region') ?? '', player: params.get('player') ?? '' };
    const quests = slot('quests');
    const board = slot('leaderboard');
    const player = slot('player');
    const node = el(
      'div',
      {},
      el(
        'div',
        { class: 'grid' },
        card('Leaderboard', lookup('Region', asked.region, 'lisbon', (value) => go({ ...asked, region: value }), 'region'), board.node),
        card('Player', lookup('Player id', asked.player, '0x…', (value) => go({ ...asked, player: value }), 'player'), player.node),
      ),
      card('Quests', quests.node),
    );
    return {
      node,
      live: true,
      async refresh() {
        let region = asked.region;
        try {
          const found = await api<{ quests: Quest[] }>('/v1/quests?limit=50');
          region ||= found.quests[0]?.region ?? '';
          quests.fill(
            table(
              [
                { label: 'quest', value: (row) => row.title },
                { label: 'region', value: (row) => row.region },
                { label: 'category', value: (row) => row.category },
                { label: 'difficulty', value: (row) => row.difficulty },
                { label: 'XP', value: (row) => row.baseXp, numeric: true },
                { label: 'tokens', value: (row) => micros(row.tokenReward), numeric: true },
                { label: 'completions', value: (row) => row.completions, numeric: true },
                { label: 'status', value: (row) => el('span', { class: `tag ${row.status}` }, row.status) },
              ],
              found.quests,
              'No quest yet.',
              'quests-table',
            ),
          );
        } catch (error) {
          quests.fail(error);
        }
        let playerId = asked.player;
        if (region) {
          try {
            const found = await api<Board>(`/v1/leaderboards/${segment(region)}?limit=20`);
            playerId ||= found.entries[0]?.playerId ?? '';
            board.fill(
              el('p', {}, 'Region ', el('strong', {}, found.region)),
              table(
                [
                  { label: '#', value: (row) => row.rank, numeric: true },
                  { label: 'player', value: (row) => el('code', {}, row.playerId) },
                  { label: 'XP', value: (row) => row.xp, numeric: true },
                ],
                found.entries,
                'No XP earned here yet.',
                'leaderboard-table',
              ),
            );
          } catch (error) {
            board.fail(error);
          }
        } else {
          board.fill(el('p', { class: 'empty' }, 'No region yet: enter one.'));
        }
        if (!playerId) return player.fill(el('p', { class: 'empty' }, 'Enter a player id (a wallet address).'));
        try {
          const found = await api<Player>(`/v1/players/${segment(playerId)}`);
          player.fill(
            facts(
              [
                ['player', el('code', {}, found.playerId)],
                ['level', `${found.level} (${found.tier})`],
                ['XP', found.xp],
                ['tokens', micros(found.tokens)],
                ['quests completed', found.questsCompleted],
                ['streak', `${found.streakDays} day${found.streakDays === 1 ? '' : 's'}`],
              ],
              'player-facts',
            ),
          );
        } catch (error) {
          player.fail(error);
        }
      },
    };
  },
};
