// What analysts and players ask of the impact read model. bigint columns arrive as strings and are returned
// as exact JS numbers (the command side never records more than a safe integer).
import { toHex, type Bytes32 } from '../../events-schema/leaf.ts';
import type {
  ImpactMetrics,
  ImpactPlayer,
  ImpactQuest,
  LeaderboardOptions,
  LeaderboardPage,
  LedgerEntry,
  LedgerProof,
  MetricsOptions,
  MetricsTotals,
  MonthRoot,
  QuestStatus,
  TokenTotals,
} from '../../ports/read-models/impact.ts';
import type { Knex } from 'knex';
import type { Sql } from '../../ports/sql.ts';
import { batchTree, merkleRoot } from '../anchoring/merkle-tree.ts';
import { InvalidCursorError, keysetCursor } from '../cursor.ts';
import { checkDay, dayOf, exact } from '../read-model-values.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { IMPACT_PROJECTION } from './impact-projection.ts';

const schema = projectionSchema(IMPACT_PROJECTION);
const table = (knex: Sql, name: string) => knex.withSchema(schema).table(name);

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function checkMonth(month: string): string {
  if (!MONTH.test(month)) throw new RangeError(`month must be YYYY-MM, got ${JSON.stringify(month)}`);
  return month;
}

// ---- Players -----------------------------------------------------------------------------------------

export async function player(knex: Sql, playerId: string): Promise<ImpactPlayer | null> {
  const row = (await table(knex, 'players').where({ player_id: playerId }).first()) as Record<string, string | number> | undefined;
  if (!row) return null;
  return {
    playerId,
    level: Number(row.level),
    tier: row.tier as ImpactPlayer['tier'],
    xp: exact(row.xp!),
    tokens: exact(row.tokens!),
    questsCompleted: exact(row.quests_completed!),
    streakDays: await streakDays(knex, playerId),
  };
}

/**
 * Consecutive UTC days ending at the latest day with a completion (gaps and islands: along the days in
 * descending order, day + position is constant within a run of consecutive days).
 */
async function streakDays(knex: Sql, playerId: string): Promise<number> {
  const result = (await knex.raw(
    `with days as (select day, day + (row_number() over (order by day desc))::int as run from ??.player_days where player_id = ?)
     select count(*)::int as streak from days where run = (select run from days order by day desc limit 1)`,
    [schema, playerId],
  )) as { rows: Array<{ streak: number }> };
  return result.rows[0]?.streak ?? 0;
}

// ---- Leaderboards ------------------------------------------------------------------------------------

type Board = { name: 'leaderboard_all' | 'leaderboard_day'; where: Record<string, string> };

function boardOf(region: string, options: LeaderboardOptions): Board {
  if (options.period === 'all') return { name: 'leaderboard_all', where: { region } };
  if (options.period !== 'day') throw new RangeError(`period must be day or all, got ${JSON.stringify((options as { period: unknown }).period)}`);
  return { name: 'leaderboard_day', where: { region, day: checkDay(options.date, 'date') } };
}

/** A leaderboard cursor: the (xp, playerId) of the last entry given, base64url of JSON. */
const leaderboardCursor = {
  encode: (xp: number, playerId: string) => Buffer.from(JSON.stringify(['lb', xp, playerId])).toString('base64url'),
  decode(cursor: string): { xp: number; playerId: string } {
    try {
      const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
      if (Array.isArray(value) && value.length === 3 && value[0] === 'lb' && Number.isSafeInteger(value[1]) && typeof value[2] === 'string') {
        return { xp: value[1] as number, playerId: value[2] as string };
      }
    } catch {
      // refused below
    }
    throw new InvalidCursorError(`invalid cursor ${JSON.stringify(cursor)}`);
  },
};

/** Top players by XP (desc), ties by playerId (asc), keyset-paged on that order. */
export async function leaderboard(knex: Sql, region: string, options: LeaderboardOptions & { limit: number; cursor?: string }): Promise<LeaderboardPage> {
  const board = boardOf(region, options);
  const after = options.cursor ? leaderboardCursor.decode(options.cursor) : null;
  const query = table(knex, board.name).where(board.where).orderBy([{ column: 'xp', order: 'desc' }, { column: 'player_id', order: 'asc' }]).limit(options.limit + 1);
  // Entries after the cursor: less XP, or as much and a later player id.
  if (after) query.where((q) => q.where('xp', '<', after.xp).orWhere((tie) => tie.where('xp', after.xp).where('player_id', '>', after.playerId)));
  const rows = (await query.select('player_id', 'xp')) as Array<{ player_id: string; xp: string }>;
  const page = rows.slice(0, options.limit);
  // The first entry's rank: 1 + the entries before it (those at or before the cursor).
  const firstRank = after ? 1 + (await aheadOf(knex, board, after.xp, after.playerId, true)) : 1;
  const last = page.at(-1);
  return {
    entries: page.map((row, i) => ({ rank: firstRank + i, playerId: row.player_id, xp: exact(row.xp) })),
    nextCursor: rows.length > options.limit && last ? leaderboardCursor.encode(exact(last.xp), last.player_id) : null,
  };
}

/** The entries ranked before (xp, playerId): more XP, or as much and a smaller player id (and itself when `inclusive`). */
async function aheadOf(knex: Sql, board: Board, xp: number, playerId: string, inclusive: boolean): Promise<number> {
  const row = (await table(knex, board.name)
    .where(board.where)
    .where((q) => q.where('xp', '>', xp).orWhere((tie) => tie.where('xp', xp).where('player_id', inclusive ? '<=' : '<', playerId)))
    .count({ count: '*' })
    .first()) as { count: string | number };
  return Number(row.count);
}

export async function playerRank(knex: Sql, region: string, playerId: string, options: LeaderboardOptions): Promise<{ rank: number; xp: number } | null> {
  const board = boardOf(region, options);
  const row = (await table(knex, board.name).where({ ...board.where, player_id: playerId }).first('xp')) as { xp: string } | undefined;
  if (!row) return null;
  const xp = exact(row.xp);
  return { rank: 1 + (await aheadOf(knex, board, xp, playerId, false)), xp };
}

// ---- Quests ------------------------------------------------------------------------------------------

function questOf(row: Record<string, unknown>): ImpactQuest {
  const iso = (value: unknown) => (value as Date | null)?.toISOString() ?? null;
  return {
    questId: row.quest_id as string,
    title: row.title as string,
    category: row.category as string,
    zoneId: row.zone_id as string,
    region: row.region as string,
    difficulty: row.difficulty as string,
    baseXp: exact(row.base_xp as string),
    tokenReward: exact(row.token_reward as string),
    opensAt: iso(row.opens_at),
    closesAt: iso(row.closes_at),
    witnessesRequired: Number(row.witnesses_required),
    status: row.status as QuestStatus,
    createdAt: (row.created_at as Date).toISOString(),
    closedAt: iso(row.closed_at),
    completions: exact((row.completions as string | null) ?? 0),
  };
}

const questsWithCompletions = (knex: Sql) =>
  knex
    .withSchema(schema)
    .from('quests as q')
    .leftJoin('quest_completions as c', 'c.quest_id', 'q.quest_id')
    .select('q.*', 'c.completions');

/** Quests, newest first, keyset-paged by the LSN of their creation. */
export async function listQuests(
  knex: Sql,
  options: { zoneId?: string; category?: string; status?: QuestStatus; limit: number; cursor?: string },
): Promise<{ quests: ImpactQuest[]; nextCursor: string | null }> {
  const query = questsWithCompletions(knex).orderBy('q.created_lsn', 'desc').limit(options.limit + 1);
  if (options.zoneId) query.where('q.zone_id', options.zoneId);
  if (options.category) query.where('q.category', options.category);
  if (options.status) query.where('q.status', options.status);
  if (options.cursor) query.where('q.created_lsn', '<', questCursor.decode(options.cursor));
  const rows = (await query) as Array<Record<string, unknown>>;
  const page = rows.slice(0, options.limit);
  return {
    quests: page.map(questOf),
    nextCursor: rows.length > options.limit ? questCursor.encode(exact(page.at(-1)!.created_lsn as string)) : null,
  };
}

export async function quest(knex: Sql, questId: string): Promise<ImpactQuest | null> {
  const row = (await questsWithCompletions(knex).where('q.quest_id', questId).first()) as Record<string, unknown> | undefined;
  return row ? questOf(row) : null;
}

const questCursor = keysetCursor('quest');

/** The player who submitted it (witnesses and reviews are decided on that player's stream); null when unknown. */
export async function submitterOf(knex: Sql, submissionId: string): Promise<string | null> {
  const row = (await table(knex, 'submissions').where({ submission_id: submissionId }).first('player_id')) as { player_id: string } | undefined;
  return row?.player_id ?? null;
}

// ---- The impact ledger and its monthly roots ---------------------------------------------------------

type LedgerRow = { entry_id: string; month: string; kind: LedgerEntry['kind']; player_id: string; amount: string; at: Date; lsn: string; leaf: Buffer };

const entryOf = (row: LedgerRow): LedgerEntry => ({
  entryId: row.entry_id,
  month: row.month,
  kind: row.kind,
  playerId: row.player_id,
  amount: exact(row.amount),
  at: row.at.toISOString(),
  lsn: exact(row.lsn),
  leaf: toHex(Uint8Array.from(row.leaf)),
});

/** The month's entries, oldest first (by LSN), keyset-paged by LSN. */
export async function ledger(knex: Sql, options: { month: string; limit: number; cursor?: string }): Promise<{ entries: LedgerEntry[]; nextCursor: string | null }> {
  const query = table(knex, 'ledger').where({ month: checkMonth(options.month) }).orderBy('lsn').limit(options.limit + 1);
  if (options.cursor) query.where('lsn', '>', ledgerCursor.decode(options.cursor));
  const rows = (await query.select()) as LedgerRow[];
  const page = rows.slice(0, options.limit);
  return { entries: page.map(entryOf), nextCursor: rows.length > options.limit ? ledgerCursor.encode(exact(page.at(-1)!.lsn)) : null };
}

const ledgerCursor = keysetCursor('lsn');

/** The month's leaves in tree order (by LSN). */
async function monthLeaves(knex: Sql, month: string): Promise<Array<{ entryId: string; leaf: Bytes32 }>> {
  const rows = (await table(knex, 'ledger').where({ month }).orderBy('lsn').select('entry_id', 'leaf')) as Array<{ entry_id: string; leaf: Buffer }>;
  return rows.map((row) => ({ entryId: row.entry_id, leaf: Uint8Array.from(row.leaf) }));
}

/** The Merkle root over the month's ledger leaves (impact-leaf.ts), null for a month without entries. */
export async function monthRoot(knex: Sql, month: string): Promise<MonthRoot> {
  const leaves = await monthLeaves(knex, checkMonth(month));
  return { month, root: leaves.length === 0 ? null : toHex(merkleRoot(leaves.map((l) => l.leaf))), entries: leaves.length };
}

/** An entry's leaf and its proof up to its month's root; null for an unknown entry (or an id that is not a UUID). */
export async function ledgerProof(knex: Sql, entryId: string): Promise<LedgerProof | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(entryId)) return null;
  const entry = (await table(knex, 'ledger').where({ entry_id: entryId }).first('entry_id', 'month', 'lsn')) as { entry_id: string; month: string; lsn: string } | undefined;
  if (!entry) return null;
  const leaves = await monthLeaves(knex, entry.month);
  const index = leaves.findIndex((l) => l.entryId === entry.entry_id);
  const tree = batchTree(leaves.map((l) => l.leaf));
  return { entryId: entry.entry_id, month: entry.month, leaf: toHex(leaves[index]!.leaf), proof: tree.proof(index), root: toHex(tree.root), lsn: exact(entry.lsn) };
}

// ---- Metrics and totals ------------------------------------------------------------------------------

/** Totals by category and day, within [from, to] (days, both included), in one region or all of them. */
export async function metrics(knex: Sql, options: MetricsOptions = {}): Promise<ImpactMetrics> {
  const range = (query: Knex.QueryBuilder) => {
    if (options.region) query.where('region', '=', options.region);
    if (options.from) query.where('day', '>=', checkDay(options.from, 'from'));
    if (options.to) query.where('day', '<=', checkDay(options.to, 'to'));
    return query;
  };
  const sums = (await range(table(knex, 'daily_metrics'))
    .groupBy('category', 'day')
    .orderBy(['day', 'category'])
    .select(
      'category',
      knex.raw(`to_char(day, 'YYYY-MM-DD') as day`),
      knex.raw('sum(completions) as completions'),
      knex.raw('sum(xp) as xp'),
      knex.raw('sum(tokens) as tokens'),
      knex.raw('sum(distinct_players) as distinct_players'),
    )) as Array<Record<string, string>>;
  // Over several regions a player may count in each: distinct players are counted from their own rows.
  const distinctByDay = options.region
    ? null
    : new Map(
        ((await range(table(knex, 'metric_players'))
          .groupBy('category', 'day')
          .select('category', knex.raw(`to_char(day, 'YYYY-MM-DD') as day`), knex.raw('count(distinct player_id) as players'))) as Array<Record<string, string>>).map((row) => [
          `${row.category}\u0000${row.day}`,
          Number(row.players),
        ]),
      );
  const days = sums.map((row) => ({
    category: row.category!,
    day: row.day!,
    completions: exact(row.completions!),
    xp: exact(row.xp!),
    tokens: exact(row.tokens!),
    distinctPlayers: distinctByDay ? (distinctByDay.get(`${row.category}\u0000${row.day}`) ?? 0) : exact(row.distinct_players!),
  }));
  const perCategory = (await range(table(knex, 'metric_players'))
    .groupBy('category')
    .select('category', knex.raw('count(distinct player_id) as players'))) as Array<Record<string, string>>;
  const overall = (await range(table(knex, 'metric_players')).first(knex.raw('count(distinct player_id) as players'))) as Record<string, string> | undefined;
  const zero = (): MetricsTotals => ({ completions: 0, xp: 0, tokens: 0, distinctPlayers: 0 });
  const categories = new Map<string, MetricsTotals>();
  const total = zero();
  for (const day of days) {
    const sum = categories.get(day.category) ?? zero();
    for (const target of [sum, total]) {
      target.completions += day.completions;
      target.xp += day.xp;
      target.tokens += day.tokens;
    }
    categories.set(day.category, sum);
  }
  for (const row of perCategory) {
    const sum = categories.get(row.category!) ?? zero();
    sum.distinctPlayers = Number(row.players);
    categories.set(row.category!, sum);
  }
  total.distinctPlayers = Number(overall?.players ?? 0);
  return {
    days,
    categories: [...categories.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([category, sums]) => ({ category, ...sums })),
    total,
  };
}

export async function tokenTotals(knex: Sql): Promise<TokenTotals> {
  const totals = (await table(knex, 'token_totals').where({ id: 1 }).first()) as Record<string, string> | undefined;
  const balances = (await table(knex, 'players').first(knex.raw('coalesce(sum(tokens), 0) as balances'))) as Record<string, string>;
  const [minted, burned, sent, received] = totals ? [exact(totals.minted!), exact(totals.burned!), exact(totals.sent!), exact(totals.received!)] : [0, 0, 0, 0];
  return { minted, burned, inTransit: sent - received, balances: exact(balances.balances!) };
}

// ---- Transfers in flight -----------------------------------------------------------------------------

/** Transfers debited at or before `sentBefore` and not credited, oldest first (the transfer completion process's port). */
export async function pendingTransfers(
  knex: Sql,
  sentBefore: number,
  limit: number,
  after?: { transferId: string; sentAt: number },
): Promise<Array<{ transferId: string; from: string; sentAt: number }>> {
  const query = table(knex, 'transfers').whereNull('received_at').andWhere('sent_at', '<=', new Date(sentBefore));
  if (after) query.andWhereRaw('(sent_at, transfer_id) > (?, ?)', [new Date(after.sentAt), after.transferId]);
  const rows = (await query
    .orderBy([{ column: 'sent_at' }, { column: 'transfer_id' }])
    .limit(limit)
    .select('transfer_id', 'from_player', 'sent_at')) as Array<{ transfer_id: string; from_player: string; sent_at: Date }>;
  return rows.map((row) => ({ transferId: row.transfer_id, from: row.from_player, sentAt: row.sent_at.getTime() }));
}
