// What the impact read model answers (computed by projections/impact/queries.ts). Tokens are integer
// micro-units, XP integer points, days `YYYY-MM-DD` and months `YYYY-MM` (UTC), all exact JS numbers.
import type { Tier } from '../../events-schema/impact/events.ts';

export type ImpactPlayer = {
  playerId: string;
  level: number;
  tier: Tier;
  xp: number;
  /** Balance, micro-units. */
  tokens: number;
  questsCompleted: number;
  /**
   * Consecutive UTC days, ending at the day of the player's latest verified completion (that day included),
   * each with at least one verified completion; 0 before any. It does not drop to 0 when days pass without
   * a completion: it describes the latest run.
   */
  streakDays: number;
};

export type LeaderboardPeriod = 'day' | 'all';
/** The all-time board, or one UTC day's (`YYYY-MM-DD`; the gateway names today by its own clock when a client leaves it out). */
export type LeaderboardOptions = { period: 'all' } | { period: 'day'; date: string };
export type LeaderboardEntry = { rank: number; playerId: string; xp: number };
/** Ranked by XP descending, ties broken by playerId ascending: ranks are distinct positions 1, 2, 3, … */
export type LeaderboardPage = { entries: LeaderboardEntry[]; nextCursor: string | null };

export type QuestStatus = 'open' | 'closed';
export type ImpactQuest = {
  questId: string;
  title: string;
  category: string;
  zoneId: string;
  region: string;
  difficulty: string;
  baseXp: number;
  tokenReward: number;
  opensAt: string | null;
  closesAt: string | null;
  witnessesRequired: number;
  status: QuestStatus;
  createdAt: string;
  closedAt: string | null;
  completions: number;
};

export type LedgerKind = 'xp' | 'mint' | 'send' | 'receive' | 'redeem';
export type LedgerEntry = { entryId: string; month: string; kind: LedgerKind; playerId: string; amount: number; at: string; lsn: number; leaf: `0x${string}` };
export type MonthRoot = { month: string; root: `0x${string}` | null; entries: number };
export type LedgerProof = { entryId: string; month: string; leaf: `0x${string}`; proof: `0x${string}`[]; root: `0x${string}`; lsn: number };

export type MetricsOptions = { region?: string; from?: string; to?: string };
export type MetricsRow = { category: string; day: string; completions: number; xp: number; tokens: number; distinctPlayers: number };
export type MetricsTotals = { completions: number; xp: number; tokens: number; distinctPlayers: number };
export type ImpactMetrics = {
  /** Per category and day (over every region unless one is named), oldest day first, then by category. */
  days: MetricsRow[];
  /** Per category over the whole range. */
  categories: Array<{ category: string } & MetricsTotals>;
  /** Over the whole range; distinctPlayers counts each player once. */
  total: MetricsTotals;
};

/** minted − burned = balances + inTransit (sent, not yet received), at every checkpoint. */
export type TokenTotals = { minted: number; burned: number; inTransit: number; balances: number };

export type ImpactQueries = {
  /** Null when the player has nothing in the read model (yet). */
  player(playerId: string): Promise<ImpactPlayer | null>;
  leaderboard(region: string, options: LeaderboardOptions & { limit: number; cursor?: string }): Promise<LeaderboardPage>;
  /** Null when the player has no XP on that leaderboard. */
  playerRank(region: string, playerId: string, options: LeaderboardOptions): Promise<{ rank: number; xp: number } | null>;
  /** Newest first, keyset-paged. */
  listQuests(options: { zoneId?: string; category?: string; status?: QuestStatus; limit: number; cursor?: string }): Promise<{ quests: ImpactQuest[]; nextCursor: string | null }>;
  quest(questId: string): Promise<ImpactQuest | null>;
  /** The player who submitted it; null when the read model does not know it (yet). */
  submitterOf(submissionId: string): Promise<string | null>;
  /** The month's entries, oldest first (by LSN), keyset-paged. */
  ledger(options: { month: string; limit: number; cursor?: string }): Promise<{ entries: LedgerEntry[]; nextCursor: string | null }>;
  monthRoot(month: string): Promise<MonthRoot>;
  ledgerProof(entryId: string): Promise<LedgerProof | null>;
  metrics(options?: MetricsOptions): Promise<ImpactMetrics>;
  tokenTotals(): Promise<TokenTotals>;
};
