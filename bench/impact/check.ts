// Verification, from the event log read back from the store and the impact read model (exit code 1 on any
// problem): every verified answer is one QuestCompleted in the log and one verified submission in the read
// model, and nothing else completed; each player's XP, completions and tokens in `players`, and their XP on
// the all-time and daily leaderboards, equal the fold of their XpAwarded / QuestCompleted / TokensMinted
// events; the token totals' minted = Σ TokensMinted = Σ balances; and every probe saw at least the XP the log
// had given its player up to the probed completion.
import { decodeEvent } from '../../events-schema/index.ts';
import type { Database } from '../../infra/db/database.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { IMPACT_PROJECTION } from '../../projections/impact/impact-projection.ts';
import { projectionSchema } from '../../projections/runtime/index.ts';
import type { LoadOutcome } from './load-generator.ts';
import { submissionIdOf, type World } from './world.ts';

const PAGE = 10_000;

export type Check = { events: number; completions: number; xp: number; minted: number; players: number; probesChecked: number; problems: string[] };

type Fold = { xp: number; minted: number; completed: number; awards: Array<{ lsn: number; xp: number }> };

export async function verify(store: EventStore, db: Database, world: World, outcome: LoadOutcome): Promise<Check> {
  const problems: string[] = [];
  const problem = (text: string) => problems.length < 20 && problems.push(text);

  // The log, folded per player.
  const folds = new Map<string, Fold>();
  const foldOf = (playerId: string) => folds.get(playerId) ?? folds.set(playerId, { xp: 0, minted: 0, completed: 0, awards: [] }).get(playerId)!;
  const completedIn = new Map<string, number>();
  const regionXp = new Map<string, number>();
  let events = 0;
  for (let from = 1; ; ) {
    const page = await store.readAll({ fromLsn: from, limit: PAGE });
    if (page.length === 0) break;
    for (const recorded of page) {
      events += 1;
      if (!recorded.streamId.startsWith('impact-player-')) continue;
      const event = decodeEvent(recorded.data);
      if (event.type === 'QuestCompleted') {
        completedIn.set(event.data.submissionId, (completedIn.get(event.data.submissionId) ?? 0) + 1);
        foldOf(event.data.playerId).completed += 1;
      } else if (event.type === 'XpAwarded') {
        const fold = foldOf(event.data.playerId);
        fold.xp += event.data.xp;
        fold.awards.push({ lsn: recorded.lsn, xp: fold.xp });
        const key = `${event.data.region}\u0000${event.data.playerId}`;
        regionXp.set(key, (regionXp.get(key) ?? 0) + event.data.xp);
      } else if (event.type === 'TokensMinted') {
        foldOf(event.data.playerId).minted += event.data.amount;
      }
    }
    from = page[page.length - 1]!.lsn + 1;
  }

  // Answers against the log.
  const answered = new Set(outcome.completions.map(([player, quest]) => submissionIdOf(world.runId, player, quest)));
  if (answered.size !== outcome.completions.length) problem(`${outcome.completions.length - answered.size} submissions answered verified twice`);
  for (const submissionId of answered) {
    const times = completedIn.get(submissionId) ?? 0;
    if (times !== 1) problem(`submission ${submissionId} answered verified, completed ${times} times in the log`);
  }
  for (const [submissionId, times] of completedIn) if (!answered.has(submissionId)) problem(`submission ${submissionId} completed ${times} times in the log, never answered verified`);

  // The read model against the log.
  const schema = projectionSchema(IMPACT_PROJECTION);
  const rows = async <T>(sql: string) => (await db.query<T & Record<string, unknown>>(sql)).rows;
  const verifiedRows = await rows<{ submission_id: string }>(`select submission_id from "${schema}".submissions where status = 'verified'`);
  const inReadModel = new Set(verifiedRows.map((row) => row.submission_id));
  if (inReadModel.size !== answered.size) problem(`${inReadModel.size} verified submissions in the read model, ${answered.size} answered verified`);
  for (const submissionId of answered) if (!inReadModel.has(submissionId)) problem(`submission ${submissionId} is not verified in the read model`);

  const players = await rows<{ player_id: string; xp: string; tokens: string; quests_completed: string }>(`select player_id, xp, tokens, quests_completed from "${schema}".players`);
  const seen = new Set<string>();
  for (const row of players) {
    seen.add(row.player_id);
    const fold = folds.get(row.player_id) ?? { xp: 0, minted: 0, completed: 0 };
    const shown = { xp: Number(row.xp), tokens: Number(row.tokens), completed: Number(row.quests_completed) };
    if (shown.xp !== fold.xp || shown.tokens !== fold.minted || shown.completed !== fold.completed) {
      problem(`player ${row.player_id}: read model xp ${shown.xp} tokens ${shown.tokens} completed ${shown.completed}; log ${fold.xp} / ${fold.minted} / ${fold.completed}`);
    }
  }
  for (const playerId of folds.keys()) if (!seen.has(playerId)) problem(`player ${playerId} has events in the log, no row in the read model`);

  for (const board of ['leaderboard_all', 'leaderboard_day']) {
    const entries = await rows<{ region: string; player_id: string; xp: string }>(`select region, player_id, sum(xp)::bigint as xp from "${schema}".${board} group by region, player_id`);
    if (entries.length !== regionXp.size) problem(`${board}: ${entries.length} (region, player) entries, the log has ${regionXp.size}`);
    for (const entry of entries) {
      const logged = regionXp.get(`${entry.region}\u0000${entry.player_id}`);
      if (Number(entry.xp) !== logged) problem(`${board}: ${entry.player_id} in ${entry.region} has ${entry.xp} XP, the log ${logged ?? 'none'}`);
    }
  }

  const minted = [...folds.values()].reduce((sum, fold) => sum + fold.minted, 0);
  const [totals] = await rows<{ minted: string; balances: string }>(`select t.minted, (select coalesce(sum(tokens), 0) from "${schema}".players) as balances from "${schema}".token_totals t where id = 1`);
  if (Number(totals?.minted) !== minted || Number(totals?.balances) !== minted) problem(`tokens: totals minted ${totals?.minted}, balances ${totals?.balances}; the log minted ${minted}`);

  // What the probes saw against the log.
  let probesChecked = 0;
  for (const probe of outcome.probes) {
    const playerId = world.players[probe.player]!.subject;
    if (probe.failure) {
      problem(`probe of ${playerId} (LSN ${probe.lsn}): ${probe.failure}`);
      continue;
    }
    const awards = folds.get(playerId)?.awards ?? [];
    const atLeast = awards.filter((award) => award.lsn <= probe.lsn).at(-1)?.xp ?? 0;
    const atMost = awards.at(-1)?.xp ?? 0;
    if (probe.xp === undefined || probe.xp < atLeast || probe.xp > atMost) problem(`probe of ${playerId} (LSN ${probe.lsn}) saw ${probe.xp} XP; the log had ${atLeast} by then, ${atMost} in all`);
    probesChecked += 1;
  }

  const completions = [...completedIn.values()].reduce((sum, n) => sum + n, 0);
  const xp = [...folds.values()].reduce((sum, fold) => sum + fold.xp, 0);
  return { events, completions, xp, minted, players: folds.size, probesChecked, problems };
}
