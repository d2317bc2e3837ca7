// The impact read model from impact events: zones, quests and their completions, submissions, players (XP,
// level, tokens, completions, the days they completed on), leaderboards per region (all-time and per UTC
// day), the impact ledger (one entry per XP or token event, with its Merkle leaf), daily metrics by region,
// category and day, the token totals, and each transfer's two halves (the ones debited but not yet credited
// are what the transfer completion process asks for).
//
// A batch is folded in memory first; then each table gets one multi-row statement (inserts by unnest,
// counters added by upsert, keys sorted so two workers lock rows in the same order), and the statements that
// need no answer go to the server together, as one (writeTogether, ../sql-writes.ts): a batch of completions is one round trip.
// Reads during a batch are one query per kind at most: the submissions of earlier batches a batch's votes,
// reviews and completions change, and those its mints were for (a TokensMinted names its submission only; the
// metrics need the submission's region and category).
import { impactEventTypes, type ImpactEvent, type Tier } from '../../events-schema/impact/events.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection, type ProjectedEvent } from '../projection.ts';
import { bind, writeTogether, type Write } from '../sql-writes.ts';
import { ledgerLeaf, monthOf, type LedgerKind } from './impact-leaf.ts';
import { impactAnalyticsViews } from './analytics.ts';
import { impactMigrations } from './migrations.ts';
import { dayOf } from '../read-model-values.ts';

export const IMPACT_PROJECTION = 'impact';

const SEP = '\u0000';
const key = (...parts: string[]) => parts.join(SEP);
const split = (k: string) => k.split(SEP);

type SubmissionRow = {
  submission_id: string;
  quest_id: string;
  player_id: string;
  zone_id: string;
  region: string;
  category: string;
  sha256: string;
  status: string;
  flags: string[];
  witnesses_required: number;
  approvals: number;
  rejections: number;
  review_decision: string | null;
  rejection_reason: string | null;
  captured_at: Date;
  received_at: Date;
  decided_at: Date | null;
  submitted_lsn: number;
};
type SubmissionChange = Pick<SubmissionRow, 'approvals' | 'rejections'> & Partial<Pick<SubmissionRow, 'status' | 'review_decision' | 'rejection_reason' | 'decided_at'>>;
type QuestRow = {
  quest_id: string;
  title: string;
  category: string;
  zone_id: string;
  region: string;
  difficulty: string;
  base_xp: number;
  token_reward: number;
  opens_at: Date | null;
  closes_at: Date | null;
  witnesses_required: number;
  status: string;
  created_at: Date;
  closed_at: Date | null;
  created_lsn: number;
};
type PlayerChange = { xp: number; tokens: number; completed: number; level: number; tier: Tier };
type MetricChange = { completions: number; xp: number; tokens: number };
type LedgerRow = { entry_id: string; month: string; kind: LedgerKind; player_id: string; amount: number; lsn: number; at: Date; leaf: Buffer };
type PendingMint = { lsn: number; submissionId: string; day: string; amount: number };
type TransferRow = { transfer_id: string; from_player: string; to_player: string; amount: number; sent_at: Date | null; received_at: Date | null };

/** What one batch changes, gathered before it is written. */
class BatchChanges {
  readonly zones = new Map<string, Record<string, unknown>>();
  readonly newQuests = new Map<string, QuestRow>();
  readonly questClosures = new Map<string, { lsn: number; closedAt: Date }>();
  readonly questCompletions = new Map<string, number>();
  readonly claims = new Map<string, { sha256: string; submission_id: string; player_id: string; claimed_at: Date }>();
  readonly newSubmissions = new Map<string, SubmissionRow>();
  readonly submissionChanges = new Map<string, SubmissionChange & { lsn: number }>();
  /** Region and category of the submissions this batch knows without a read. */
  readonly submissionFacts = new Map<string, { region: string; category: string }>();
  readonly players = new Map<string, PlayerChange>();
  readonly playerDays = new Set<string>();
  readonly leaderboardAll = new Map<string, number>();
  readonly leaderboardDay = new Map<string, number>();
  readonly ledger: LedgerRow[] = [];
  readonly metrics = new Map<string, MetricChange>();
  readonly metricPlayers = new Set<string>();
  readonly mints: PendingMint[] = [];
  readonly tokens = { minted: 0, burned: 0, sent: 0, received: 0 };
  /** The halves of transfers this batch saw, by transfer id. */
  readonly transfers = new Map<string, TransferRow>();

  player(playerId: string): PlayerChange {
    let change = this.players.get(playerId);
    if (!change) {
      change = { xp: 0, tokens: 0, completed: 0, level: 1, tier: 'bronze' };
      this.players.set(playerId, change);
    }
    return change;
  }

  metric(region: string, category: string, day: string): MetricChange {
    const k = key(region, category, day);
    let change = this.metrics.get(k);
    if (!change) {
      change = { completions: 0, xp: 0, tokens: 0 };
      this.metrics.set(k, change);
    }
    return change;
  }

  /** A change of a submission: in its row when it is new in this batch, else gathered for one update. */
  changeSubmission(submissionId: string, lsn: number, change: Partial<SubmissionChange>) {
    const fresh = this.newSubmissions.get(submissionId);
    if (fresh) {
      fresh.approvals += change.approvals ?? 0;
      fresh.rejections += change.rejections ?? 0;
      const { approvals: _a, rejections: _r, ...rest } = change;
      Object.assign(fresh, rest);
      return;
    }
    const pending = this.submissionChanges.get(submissionId) ?? { approvals: 0, rejections: 0, lsn };
    pending.approvals += change.approvals ?? 0;
    pending.rejections += change.rejections ?? 0;
    const { approvals: _a, rejections: _r, ...rest } = change;
    Object.assign(pending, rest);
    this.submissionChanges.set(submissionId, pending);
  }

  transfer(data: { transferId: string; from: string; to: string; amount: number }, half: { sent_at: Date } | { received_at: Date }) {
    const row = this.transfers.get(data.transferId) ?? { transfer_id: data.transferId, from_player: data.from, to_player: data.to, amount: data.amount, sent_at: null, received_at: null };
    this.transfers.set(data.transferId, { ...row, ...half });
  }

  entry(projected: ProjectedEvent<ImpactEvent>, kind: LedgerKind, playerId: string, amount: number, at: number) {
    const { eventId, lsn } = projected;
    this.ledger.push({
      entry_id: eventId,
      month: monthOf(at),
      kind,
      player_id: playerId,
      amount,
      lsn,
      at: new Date(at),
      leaf: Buffer.from(ledgerLeaf({ entryId: eventId, playerId, kind, amount, lsn })),
    });
  }
}

export const impactProjection: Projection<ImpactEvent> = {
  name: IMPACT_PROJECTION,
  canHandle: impactEventTypes,
  migrations: impactMigrations,
  analyticsViews: impactAnalyticsViews,
  async applyBatch(events, trx) {
    const changes = new BatchChanges();
    for (const projected of events) applyOne(projected, changes);
    // What needs an answer (or is rare) first, one statement each; then every counter, row and entry the
    // batch adds, in one statement (one round trip however many tables a completion touches).
    await writeZones(trx, changes);
    await writeQuests(trx, changes);
    await updateSubmissions(trx, changes);
    await resolveMints(trx, changes);
    await writeTogether(trx, [
      ...questCompletions(changes),
      ...newClaimsAndSubmissions(changes),
      ...players(changes),
      ...leaderboards(changes),
      ...ledgerEntries(changes.ledger),
      ...metrics(changes),
      ...tokenTotals(changes.tokens),
      ...transfers(changes),
    ]);
  },
};

function applyOne(projected: ProjectedEvent<ImpactEvent>, changes: BatchChanges): void {
  const { event, lsn } = projected;
  switch (event.type) {
    case 'ZoneDefined': {
      const d = event.data;
      changes.zones.set(d.zoneId, {
        zone_id: d.zoneId,
        name: d.name,
        region: d.region,
        center_lat: d.centerLat,
        center_lon: d.centerLon,
        radius_m: d.radiusM,
        priority_hundredths: d.priorityHundredths,
        defined_at: new Date(d.definedAt),
        defined_lsn: lsn,
      });
      return;
    }
    case 'QuestCreated': {
      const d = event.data;
      if (changes.newQuests.has(d.questId)) throw new Error(`QuestCreated at LSN ${lsn}: quest ${d.questId} is already created in this batch`);
      changes.newQuests.set(d.questId, {
        quest_id: d.questId,
        title: d.title,
        category: d.category,
        zone_id: d.zoneId,
        region: d.region,
        difficulty: d.difficulty,
        base_xp: d.baseXp,
        token_reward: d.tokenReward,
        opens_at: d.opensAt === null ? null : new Date(d.opensAt),
        closes_at: d.closesAt === null ? null : new Date(d.closesAt),
        witnesses_required: d.witnessesRequired,
        status: 'open',
        created_at: new Date(d.createdAt),
        closed_at: null,
        created_lsn: lsn,
      });
      return;
    }
    case 'QuestClosed': {
      const { questId, closedAt } = event.data;
      const fresh = changes.newQuests.get(questId);
      if (fresh) Object.assign(fresh, { status: 'closed', closed_at: new Date(closedAt) });
      else changes.questClosures.set(questId, { lsn, closedAt: new Date(closedAt) });
      return;
    }
    case 'EvidenceClaimed': {
      const { sha256, submissionId, playerId, claimedAt } = event.data;
      if (!changes.claims.has(sha256)) changes.claims.set(sha256, { sha256, submission_id: submissionId, player_id: playerId, claimed_at: new Date(claimedAt) });
      return;
    }
    case 'EvidenceSubmitted': {
      const d = event.data;
      if (changes.newSubmissions.has(d.submissionId)) throw new Error(`EvidenceSubmitted at LSN ${lsn}: submission ${d.submissionId} is already submitted in this batch`);
      changes.newSubmissions.set(d.submissionId, {
        submission_id: d.submissionId,
        quest_id: d.questId,
        player_id: d.playerId,
        zone_id: d.zoneId,
        region: d.region,
        category: d.category,
        sha256: d.sha256,
        status: d.status,
        flags: [...d.flags],
        witnesses_required: d.witnessesRequired,
        approvals: 0,
        rejections: 0,
        review_decision: null,
        rejection_reason: null,
        captured_at: new Date(d.capturedAt),
        received_at: new Date(d.receivedAt),
        decided_at: null,
        submitted_lsn: lsn,
      });
      changes.submissionFacts.set(d.submissionId, { region: d.region, category: d.category });
      changes.player(d.playerId);
      return;
    }
    case 'WitnessRecorded': {
      const { submissionId, approve } = event.data;
      changes.changeSubmission(submissionId, lsn, approve ? { approvals: 1 } : { rejections: 1 });
      return;
    }
    case 'SubmissionReviewed': {
      const { submissionId, decision } = event.data;
      changes.changeSubmission(submissionId, lsn, { review_decision: decision });
      return;
    }
    case 'SubmissionRejected': {
      const { submissionId, reason, rejectedAt } = event.data;
      changes.changeSubmission(submissionId, lsn, { status: 'rejected', rejection_reason: reason, decided_at: new Date(rejectedAt) });
      return;
    }
    case 'QuestCompleted': {
      const { submissionId, questId, playerId, region, category, completedAt } = event.data;
      const day = dayOf(completedAt);
      changes.changeSubmission(submissionId, lsn, { status: 'verified', decided_at: new Date(completedAt) });
      changes.submissionFacts.set(submissionId, { region, category });
      changes.questCompletions.set(questId, (changes.questCompletions.get(questId) ?? 0) + 1);
      changes.player(playerId).completed += 1;
      changes.playerDays.add(key(playerId, day));
      changes.metric(region, category, day).completions += 1;
      changes.metricPlayers.add(key(region, category, day, playerId));
      return;
    }
    case 'XpAwarded': {
      const { playerId, region, category, xp, awardedAt } = event.data;
      const day = dayOf(awardedAt);
      changes.player(playerId).xp += xp;
      addTo(changes.leaderboardAll, key(region, playerId), xp);
      addTo(changes.leaderboardDay, key(region, day, playerId), xp);
      changes.metric(region, category, day).xp += xp;
      changes.entry(projected, 'xp', playerId, xp, awardedAt);
      return;
    }
    case 'TokensMinted': {
      const { playerId, submissionId, amount, mintedAt } = event.data;
      changes.player(playerId).tokens += amount;
      changes.tokens.minted += amount;
      changes.mints.push({ lsn, submissionId, day: dayOf(mintedAt), amount });
      changes.entry(projected, 'mint', playerId, amount, mintedAt);
      return;
    }
    case 'LeveledUp': {
      const { playerId, level, tier } = event.data;
      const player = changes.player(playerId);
      if (level > player.level) Object.assign(player, { level, tier });
      return;
    }
    case 'TokensSent': {
      const { from, amount, sentAt } = event.data;
      changes.player(from).tokens -= amount;
      changes.tokens.sent += amount;
      changes.transfer(event.data, { sent_at: new Date(sentAt) });
      changes.entry(projected, 'send', from, amount, sentAt);
      return;
    }
    case 'TokensReceived': {
      const { to, amount, receivedAt } = event.data;
      changes.player(to).tokens += amount;
      changes.tokens.received += amount;
      changes.transfer(event.data, { received_at: new Date(receivedAt) });
      changes.entry(projected, 'receive', to, amount, receivedAt);
      return;
    }
    case 'TokensRedeemed': {
      const { playerId, amount, redeemedAt } = event.data;
      changes.player(playerId).tokens -= amount;
      changes.tokens.burned += amount;
      changes.entry(projected, 'redeem', playerId, amount, redeemedAt);
      return;
    }
    default:
      return unhandledEvent(event);
  }
}

async function writeZones(trx: SqlTransaction, changes: BatchChanges) {
  const rows = [...changes.zones.keys()].sort().map((id) => changes.zones.get(id)!);
  if (rows.length === 0) return;
  // A redefinition replaces the zone (the later LSN wins, whatever order batches come in).
  await trx('zones')
    .insert(rows)
    .onConflict('zone_id')
    .merge()
    .where('zones.defined_lsn', '<', trx.raw('excluded.defined_lsn'));
}

async function writeQuests(trx: SqlTransaction, changes: BatchChanges) {
  const quests = [...changes.newQuests.values()];
  if (quests.length > 0) await trx('quests').insert(quests);
  const closures = [...changes.questClosures.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (closures.length > 0) {
    const ids = closures.map(([id]) => id);
    const updated = (await trx.raw(
      `update quests q set status = 'closed', closed_at = u.closed_at
       from unnest(?::text[], ?::timestamptz[]) as u(quest_id, closed_at) where q.quest_id = u.quest_id returning q.quest_id`,
      bind([ids, closures.map(([, c]) => c.closedAt)]),
    )) as { rows: Array<{ quest_id: string }> };
    const found = new Set(updated.rows.map((row) => row.quest_id));
    const missing = closures.find(([id]) => !found.has(id));
    if (missing) throw new Error(`QuestClosed at LSN ${missing[1].lsn} for unknown quest ${missing[0]}`);
  }
}

function questCompletions(changes: BatchChanges): Write[] {
  if (changes.questCompletions.size === 0) return [];
  const ids = [...changes.questCompletions.keys()].sort();
  return [
    {
      sql: `insert into quest_completions (quest_id, completions) select * from unnest(?::text[], ?::bigint[])
       on conflict (quest_id) do update set completions = quest_completions.completions + excluded.completions`,
      bindings: [ids, ids.map((id) => changes.questCompletions.get(id)!)],
    },
  ];
}

function newClaimsAndSubmissions(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  if (changes.claims.size > 0) {
    const claims = [...changes.claims.keys()].sort().map((sha) => changes.claims.get(sha)!);
    const column = <K extends keyof (typeof claims)[number]>(k: K) => claims.map((claim) => claim[k]);
    // The first claim of a hash stays (an evidence stream holds one claim; a second would be refused upstream).
    writes.push({
      sql: `insert into evidence_claims (sha256, submission_id, player_id, claimed_at)
       select * from unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[]) on conflict (sha256) do nothing`,
      bindings: [column('sha256'), column('submission_id'), column('player_id'), column('claimed_at')],
    });
  }
  const fresh = [...changes.newSubmissions.values()];
  if (fresh.length > 0) {
    const column = <K extends keyof SubmissionRow>(k: K) => fresh.map((row) => row[k]);
    writes.push({
      sql: `insert into submissions (submission_id, quest_id, player_id, zone_id, region, category, sha256, status, flags, witnesses_required,
         approvals, rejections, review_decision, rejection_reason, captured_at, received_at, decided_at, submitted_lsn)
       select u.submission_id, u.quest_id, u.player_id, u.zone_id, u.region, u.category, u.sha256, u.status,
         string_to_array(u.flags, ','), u.witnesses_required,
         u.approvals, u.rejections, u.review_decision, u.rejection_reason, u.captured_at, u.received_at, u.decided_at, u.submitted_lsn
       from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[],
         ?::int[], ?::int[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[], ?::bigint[])
         as u(submission_id, quest_id, player_id, zone_id, region, category, sha256, status, flags, witnesses_required,
           approvals, rejections, review_decision, rejection_reason, captured_at, received_at, decided_at, submitted_lsn)`,
      bindings: [
        column('submission_id'),
        column('quest_id'),
        column('player_id'),
        column('zone_id'),
        column('region'),
        column('category'),
        column('sha256'),
        column('status'),
        fresh.map((row) => row.flags.join(',')), // flag names hold no comma
        column('witnesses_required'),
        column('approvals'),
        column('rejections'),
        column('review_decision'),
        column('rejection_reason'),
        column('captured_at'),
        column('received_at'),
        column('decided_at'),
        column('submitted_lsn'),
      ],
    });
  }
  return writes;
}

/** Votes, reviews, rejections and completions of submissions of earlier batches (a batch's own are in their new rows). */
async function updateSubmissions(trx: SqlTransaction, changes: BatchChanges) {
  if (changes.submissionChanges.size === 0) return;
  const ids = [...changes.submissionChanges.keys()].sort();
  const pick = <K extends keyof SubmissionChange>(k: K) => ids.map((id) => changes.submissionChanges.get(id)![k] ?? null);
  const updated = (await trx.raw(
    `update submissions s set
       approvals = s.approvals + u.approvals, rejections = s.rejections + u.rejections,
       status = coalesce(u.status, s.status), review_decision = coalesce(u.review_decision, s.review_decision),
       rejection_reason = coalesce(u.rejection_reason, s.rejection_reason), decided_at = coalesce(u.decided_at, s.decided_at)
     from unnest(?::text[], ?::int[], ?::int[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])
       as u(submission_id, approvals, rejections, status, review_decision, rejection_reason, decided_at)
     where s.submission_id = u.submission_id
     returning s.submission_id, s.region, s.category`,
    bind([ids, pick('approvals'), pick('rejections'), pick('status'), pick('review_decision'), pick('rejection_reason'), pick('decided_at')]),
  )) as { rows: Array<{ submission_id: string; region: string; category: string }> };
  const found = new Set(updated.rows.map((row) => row.submission_id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new Error(`submission ${missing} (LSN ${changes.submissionChanges.get(missing)!.lsn}) is unknown`);
  for (const row of updated.rows) if (!changes.submissionFacts.has(row.submission_id)) changes.submissionFacts.set(row.submission_id, { region: row.region, category: row.category });
}

/** The region and category of each mint's submission, for the metrics: from this batch, else one read. */
async function resolveMints(trx: SqlTransaction, changes: BatchChanges) {
  const unknown = [...new Set(changes.mints.filter((mint) => !changes.submissionFacts.has(mint.submissionId)).map((mint) => mint.submissionId))];
  if (unknown.length > 0) {
    const rows = (await trx('submissions').whereIn('submission_id', unknown).select('submission_id', 'region', 'category')) as Array<{ submission_id: string; region: string; category: string }>;
    for (const row of rows) changes.submissionFacts.set(row.submission_id, { region: row.region, category: row.category });
  }
  for (const mint of changes.mints) {
    const facts = changes.submissionFacts.get(mint.submissionId);
    if (!facts) throw new Error(`TokensMinted at LSN ${mint.lsn} for unknown submission ${mint.submissionId}`);
    changes.metric(facts.region, facts.category, mint.day).tokens += mint.amount;
  }
}

function players(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  if (changes.players.size > 0) {
    const ids = [...changes.players.keys()].sort();
    const pick = <K extends keyof PlayerChange>(k: K) => ids.map((id) => changes.players.get(id)![k]);
    writes.push({
      sql: `insert into players (player_id, xp, tokens, quests_completed, level, tier)
       select * from unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::int[], ?::text[])
       on conflict (player_id) do update set
         xp = players.xp + excluded.xp, tokens = players.tokens + excluded.tokens,
         quests_completed = players.quests_completed + excluded.quests_completed,
         level = greatest(players.level, excluded.level),
         tier = case when excluded.level > players.level then excluded.tier else players.tier end`,
      bindings: [ids, pick('xp'), pick('tokens'), pick('completed'), pick('level'), pick('tier')],
    });
  }
  if (changes.playerDays.size > 0) {
    const keys = [...changes.playerDays].sort().map(split);
    writes.push({ sql: `insert into player_days (player_id, day) select * from unnest(?::text[], ?::date[]) on conflict do nothing`, bindings: [keys.map((k) => k[0]), keys.map((k) => k[1])] });
  }
  return writes;
}

function leaderboards(changes: BatchChanges): Write[] {
  const writes: Write[] = [];
  if (changes.leaderboardAll.size > 0) {
    const keys = [...changes.leaderboardAll.keys()].sort();
    const parts = keys.map(split);
    writes.push({
      sql: `insert into leaderboard_all (region, player_id, xp) select * from unnest(?::text[], ?::text[], ?::bigint[])
       on conflict (region, player_id) do update set xp = leaderboard_all.xp + excluded.xp`,
      bindings: [parts.map((p) => p[0]), parts.map((p) => p[1]), keys.map((k) => changes.leaderboardAll.get(k)!)],
    });
  }
  if (changes.leaderboardDay.size > 0) {
    const keys = [...changes.leaderboardDay.keys()].sort();
    const parts = keys.map(split);
    writes.push({
      sql: `insert into leaderboard_day (region, day, player_id, xp) select * from unnest(?::text[], ?::date[], ?::text[], ?::bigint[])
       on conflict (region, day, player_id) do update set xp = leaderboard_day.xp + excluded.xp`,
      bindings: [parts.map((p) => p[0]), parts.map((p) => p[1]), parts.map((p) => p[2]), keys.map((k) => changes.leaderboardDay.get(k)!)],
    });
  }
  return writes;
}

function ledgerEntries(rows: LedgerRow[]): Write[] {
  if (rows.length === 0) return [];
  const column = <K extends keyof LedgerRow>(k: K) => rows.map((row) => row[k]);
  return [
    {
      sql: `insert into ledger (entry_id, month, kind, player_id, amount, lsn, at, leaf)
     select * from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::timestamptz[], ?::bytea[])`,
      bindings: [column('entry_id'), column('month'), column('kind'), column('player_id'), column('amount'), column('lsn'), column('at'), column('leaf')],
    },
  ];
}

function metrics(changes: BatchChanges): Write[] {
  // The (region, category, day, player) rows new in this batch are what the distinct counts grow by.
  const added = [...changes.metricPlayers].sort().map(split);
  const keys = [...changes.metrics.keys()].sort();
  if (keys.length === 0 && added.length === 0) return [];
  const parts = keys.map(split);
  const pick = (k: keyof MetricChange) => keys.map((mk) => changes.metrics.get(mk)![k]);
  return [
    {
      name: 'metric_players_added',
      sql: `insert into metric_players (region, category, day, player_id) select * from unnest(?::text[], ?::text[], ?::date[], ?::text[])
       on conflict do nothing returning region, category, day`,
      bindings: [added.map((p) => p[0]), added.map((p) => p[1]), added.map((p) => p[2]), added.map((p) => p[3])],
    },
    {
      name: 'metric_changes',
      sql: `select region, category, day, sum(completions) as completions, sum(xp) as xp, sum(tokens) as tokens, sum(players) as players from (
         select u.region, u.category, u.day, u.completions, u.xp, u.tokens, 0::bigint as players
           from unnest(?::text[], ?::text[], ?::date[], ?::bigint[], ?::bigint[], ?::bigint[]) as u(region, category, day, completions, xp, tokens)
         union all
         select region, category, day, 0, 0, 0, count(*) from metric_players_added group by region, category, day
       ) c group by region, category, day`,
      bindings: [parts.map((p) => p[0]), parts.map((p) => p[1]), parts.map((p) => p[2]), pick('completions'), pick('xp'), pick('tokens')],
    },
    {
      sql: `insert into daily_metrics (region, category, day, completions, xp, tokens, distinct_players)
     select region, category, day, completions, xp, tokens, players from metric_changes order by region, category, day
     on conflict (region, category, day) do update set
       completions = daily_metrics.completions + excluded.completions, xp = daily_metrics.xp + excluded.xp,
       tokens = daily_metrics.tokens + excluded.tokens, distinct_players = daily_metrics.distinct_players + excluded.distinct_players`,
      bindings: [],
    },
  ];
}

function tokenTotals(tokens: BatchChanges['tokens']): Write[] {
  if (tokens.minted === 0 && tokens.burned === 0 && tokens.sent === 0 && tokens.received === 0) return [];
  return [{ sql: `update token_totals set minted = minted + ?, burned = burned + ?, sent = sent + ?, received = received + ? where id = 1`, bindings: [tokens.minted, tokens.burned, tokens.sent, tokens.received] }];
}

/** Each half fills its own column once; the row is made by whichever half comes first. */
function transfers(changes: BatchChanges): Write[] {
  if (changes.transfers.size === 0) return [];
  const ids = [...changes.transfers.keys()].sort();
  const pick = <K extends keyof TransferRow>(k: K) => ids.map((id) => changes.transfers.get(id)![k]);
  return [
    {
      sql: `insert into transfers (transfer_id, from_player, to_player, amount, sent_at, received_at)
       select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::timestamptz[], ?::timestamptz[])
       on conflict (transfer_id) do update set
         sent_at = coalesce(transfers.sent_at, excluded.sent_at), received_at = coalesce(transfers.received_at, excluded.received_at)`,
      bindings: [ids, pick('from_player'), pick('to_player'), pick('amount'), pick('sent_at'), pick('received_at')],
    },
  ];
}

function addTo(map: Map<string, number>, k: string, amount: number) {
  map.set(k, (map.get(k) ?? 0) + amount);
}
