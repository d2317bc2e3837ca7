// The impact read model against a real PostgreSQL: a season of play built by hand (zones, quests, submissions
// with witnesses, a review and a rejection, completions over three UTC days across a month's end, XP, levels,
// mints, a transfer and a redemption), every table and query after it, re-delivery and other delivery orders,
// the token invariant with a transfer half-way, leaderboard ties and pages, and the month roots and proofs
// recomputed independently from the recorded events.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceSubmitted, ImpactEvent, QuestCreated, SubmissionFlag } from '../../events-schema/impact/events.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { createProjectionWorker, listParked, projectionSchema, rebuildProjection } from '../runtime/index.ts';
import { compareSchemas, tableDigests } from '../runtime/shadow-diff.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { projectionSpec } from '../testing/projection-spec.ts';
import { scriptedSource } from '../testing/scripted-source.ts';
import { ledgerKindCodes } from './impact-leaf.ts';
import { referenceHashPair, referenceLedgerLeaf, referenceRoot } from './testing/ledger-reference.ts';
import { impactProjection } from './impact-projection.ts';
import * as queries from './queries.ts';

const DAY = 86_400_000;
const JAN30 = Date.UTC(2030, 0, 30, 10);
const JAN31 = JAN30 + DAY;
const FEB1 = JAN30 + 2 * DAY;
const FEB2 = JAN30 + 3 * DAY;
const JAN28 = JAN30 - 2 * DAY;

// ---------------------------------------------------------------------------------------------------------
// Real impact events with plausible defaults.

const at = (streamId: string, event: ImpactEvent): StreamEvent => ({ streamId, event });
const playerStream = (playerId: string) => `impact-player-${playerId}`;

const zone = (zoneId: string, region: string): StreamEvent =>
  at(`impact-zone-${zoneId}`, {
    type: 'ZoneDefined',
    data: { zoneId, name: `Zone ${zoneId}`, region, centerLat: 38_722_252, centerLon: -9_139_337, radiusM: 500, priorityHundredths: 125, definedBy: 'qm', definedAt: JAN28 - DAY },
  });

type Quest = { questId: string; zoneId: string; region: string; category: string; witnessesRequired: number };
const quests = {
  q1: { questId: 'q1', zoneId: 'z1', region: 'lisbon', category: 'cleanup', witnessesRequired: 1 },
  q2: { questId: 'q2', zoneId: 'z1', region: 'lisbon', category: 'planting', witnessesRequired: 0 },
  q3: { questId: 'q3', zoneId: 'z2', region: 'porto', category: 'cleanup', witnessesRequired: 0 },
} satisfies Record<string, Quest>;

const questCreated = (quest: Quest, data: Partial<QuestCreated['data']> = {}): StreamEvent =>
  at(`impact-quest-${quest.questId}`, {
    type: 'QuestCreated',
    data: {
      questId: quest.questId,
      title: `Quest ${quest.questId}`,
      category: quest.category,
      zoneId: quest.zoneId,
      region: quest.region,
      centerLat: 38_722_252,
      centerLon: -9_139_337,
      radiusM: 500,
      priorityHundredths: 125,
      difficulty: 'easy',
      baseXp: 100,
      tokenReward: 1_000_000,
      opensAt: null,
      closesAt: null,
      witnessesRequired: quest.witnessesRequired,
      createdBy: 'qm',
      createdAt: JAN28 - DAY,
      ...data,
    },
  });
const questClosed = (questId: string, closedAt = FEB2): StreamEvent => at(`impact-quest-${questId}`, { type: 'QuestClosed', data: { questId, closedBy: 'qm', closedAt } });

const submitted = (playerId: string, submissionId: string, quest: Quest, capturedAt: number, flags: SubmissionFlag[] = []): StreamEvent[] => {
  const sha256 = Buffer.from(submissionId.padEnd(32, '.')).toString('hex');
  const status: EvidenceSubmitted['data']['status'] = flags.length > 0 ? 'flagged' : 'pending_witnesses';
  return [
    at(`impact-evidence-${sha256}`, { type: 'EvidenceClaimed', data: { sha256, submissionId, playerId, claimedAt: capturedAt + 1000 } }),
    at(playerStream(playerId), {
      type: 'EvidenceSubmitted',
      data: {
        submissionId,
        questId: quest.questId,
        playerId,
        sha256,
        uri: '',
        lat: 38_722_252,
        lon: -9_139_337,
        accuracyCm: 800,
        capturedAt,
        receivedAt: capturedAt + 1000,
        teamSize: 1,
        flags,
        status,
        zoneId: quest.zoneId,
        region: quest.region,
        category: quest.category,
        difficulty: 'easy',
        baseXp: 100,
        tokenReward: 1_000_000,
        witnessesRequired: quest.witnessesRequired,
        priorityHundredths: 125,
      },
    }),
  ];
};
const witnessed = (playerId: string, submissionId: string, witnessId: string, approve: boolean, recordedAt: number): StreamEvent =>
  at(playerStream(playerId), { type: 'WitnessRecorded', data: { submissionId, witnessId, approve, recordedAt } });
const reviewed = (playerId: string, submissionId: string, decision: 'approve' | 'reject', reviewedAt: number): StreamEvent =>
  at(playerStream(playerId), { type: 'SubmissionReviewed', data: { submissionId, reviewerId: 'qm', decision, reviewedAt } });
const rejected = (playerId: string, submissionId: string, rejectedAt: number): StreamEvent =>
  at(playerStream(playerId), { type: 'SubmissionRejected', data: { submissionId, reason: 'witness_majority', rejectedAt } });

/** What a verification appends: QuestCompleted, XpAwarded, TokensMinted (and LeveledUp when given). */
const verified = (playerId: string, submissionId: string, quest: Quest, when: number, xp: number, tokens: number, level?: number, flagged = false): StreamEvent[] => [
  at(playerStream(playerId), {
    type: 'QuestCompleted',
    data: { submissionId, questId: quest.questId, playerId, zoneId: quest.zoneId, region: quest.region, category: quest.category, completedAt: when, flagged },
  }),
  at(playerStream(playerId), {
    type: 'XpAwarded',
    data: {
      submissionId,
      questId: quest.questId,
      playerId,
      region: quest.region,
      category: quest.category,
      baseXp: 100,
      xp,
      difficultyMilli: 1000,
      authenticityMilli: flagged ? 800 : 1000,
      streakMilli: 1000,
      socialMilli: 1000,
      regionalMilli: 1250,
      teamMilli: 1000,
      totalXpAfter: 0,
      awardedAt: when,
    },
  }),
  at(playerStream(playerId), { type: 'TokensMinted', data: { playerId, submissionId, amount: tokens, balanceAfter: 0, mintedAt: when } }),
  ...(level ? [at(playerStream(playerId), { type: 'LeveledUp', data: { playerId, level, tier: 'bronze', reachedAt: when } } as const)] : []),
];
const sent = (transferId: string, from: string, to: string, amount: number, sentAt = FEB2): StreamEvent =>
  at(playerStream(from), { type: 'TokensSent', data: { transferId, from, to, amount, balanceAfter: 0, sentAt } });
const received = (transferId: string, from: string, to: string, amount: number, receivedAt = FEB2 + 5): StreamEvent =>
  at(playerStream(to), { type: 'TokensReceived', data: { transferId, from, to, amount, balanceAfter: 0, receivedAt } });
const redeemed = (playerId: string, amount: number, redeemedAt = FEB2 + 10): StreamEvent =>
  at(playerStream(playerId), { type: 'TokensRedeemed', data: { playerId, amount, item: 'tree-sapling', balanceAfter: 0, redeemedAt } });

/**
 * A season: ana completes a quest a day for three days (the last on Feb 1), ben one after a flag and a
 * review, cai is rejected by a witness then completes another, dan plays Jan 28, 30 and 31; ana sends ben
 * 0.3 token, ben redeems 0.2.
 */
const season = (): StreamEvent[] => [
  zone('z1', 'lisbon'),
  zone('z2', 'porto'),
  questCreated(quests.q1),
  questCreated(quests.q2, { difficulty: 'hard', opensAt: JAN28, closesAt: FEB2 + DAY }),
  questCreated(quests.q3),
  ...submitted('dan', 'd1', quests.q3, JAN28),
  ...verified('dan', 'd1', quests.q3, JAN28, 40, 100_000),
  ...submitted('ana', 's1', quests.q1, JAN30 - 60_000),
  witnessed('ana', 's1', 'ben', true, JAN30 - 30_000),
  witnessed('ana', 's1', 'cai', true, JAN30 - 20_000),
  ...verified('ana', 's1', quests.q1, JAN30, 110, 1_000_000),
  ...submitted('ben', 's4', quests.q1, JAN30 - 50_000, ['poor_accuracy']),
  reviewed('ben', 's4', 'approve', JAN30 + 1000),
  ...verified('ben', 's4', quests.q1, JAN30 + 1000, 310, 1_000_000, 2, true),
  ...submitted('cai', 's5', quests.q1, JAN30 + 5000),
  witnessed('cai', 's5', 'ana', false, JAN30 + 6000),
  rejected('cai', 's5', JAN30 + 6000),
  ...submitted('dan', 'd2', quests.q3, JAN30 + 7000),
  ...verified('dan', 'd2', quests.q3, JAN30 + 7000, 40, 100_000),
  ...submitted('ana', 's2', quests.q2, JAN31),
  ...verified('ana', 's2', quests.q2, JAN31, 200, 2_000_000, 2),
  ...submitted('cai', 's6', quests.q2, JAN31 + 1000),
  ...verified('cai', 's6', quests.q2, JAN31 + 1000, 50, 500_000),
  ...submitted('dan', 'd3', quests.q2, JAN31 + 2000),
  ...verified('dan', 'd3', quests.q2, JAN31 + 2000, 40, 100_000),
  ...submitted('ana', 's3', quests.q3, FEB1),
  ...verified('ana', 's3', quests.q3, FEB1, 300, 1_000_000, 3),
  questClosed('q1'),
  sent('t1', 'ana', 'ben', 300_000),
  received('t1', 'ana', 'ben', 300_000),
  redeemed('ben', 200_000),
];

// ---------------------------------------------------------------------------------------------------------
// An independent fold of the ledger: leaves with ethers' ABI coder and keccak, a sorted-pair tree.

type Recorded = { lsn: number; eventId: string; event: ImpactEvent };
const decoded = (recorded: readonly RecordedEvent[]): Recorded[] =>
  recorded.map((r) => ({ lsn: r.lsn, eventId: r.eventId, event: decodeEvent(r.data) as ImpactEvent }));

function referenceEntries(events: readonly Recorded[]) {
  const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);
  return events.flatMap(({ lsn, eventId, event }) => {
    const entry = (kind: keyof typeof ledgerKindCodes, playerId: string, amount: number, time: number) => [{ entryId: eventId, lsn, kind, playerId, amount, month: month(time) }];
    switch (event.type) {
      case 'XpAwarded':
        return entry('xp', event.data.playerId, event.data.xp, event.data.awardedAt);
      case 'TokensMinted':
        return entry('mint', event.data.playerId, event.data.amount, event.data.mintedAt);
      case 'TokensSent':
        return entry('send', event.data.from, event.data.amount, event.data.sentAt);
      case 'TokensReceived':
        return entry('receive', event.data.to, event.data.amount, event.data.receivedAt);
      case 'TokensRedeemed':
        return entry('redeem', event.data.playerId, event.data.amount, event.data.redeemedAt);
      default:
        return [];
    }
  });
}
// ---------------------------------------------------------------------------------------------------------

const submissionRows = (trx: Knex.Transaction) =>
  trx('submissions').select('submission_id', 'player_id', 'status', 'flags', 'approvals', 'rejections', 'review_decision', 'rejection_reason').orderBy('submission_id');

let testbed: ProjectionTestbed;
beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed?.close());

describe('impact projection: the season, table by table and query by query', () => {
  let log: RecordedEvent[];
  const knex = () => testbed.db.knex;
  beforeAll(async () => {
    log = await testbed.append(season());
    const outcome = await testbed.applyBatch(impactProjection, log);
    expect(outcome.parked).toEqual([]);
    expect(outcome.applied).toBe(log.length);
  });
  afterAll(async () => testbed.dropProjection(impactProjection));

  it('players: XP, level and tier, token balance, completions and the streak of consecutive UTC days', async () => {
    expect(await queries.player(knex(), 'ana')).toEqual({ playerId: 'ana', level: 3, tier: 'bronze', xp: 610, tokens: 3_700_000, questsCompleted: 3, streakDays: 3 });
    expect(await queries.player(knex(), 'ben')).toEqual({ playerId: 'ben', level: 2, tier: 'bronze', xp: 310, tokens: 1_100_000, questsCompleted: 1, streakDays: 1 });
    expect(await queries.player(knex(), 'cai')).toEqual({ playerId: 'cai', level: 1, tier: 'bronze', xp: 50, tokens: 500_000, questsCompleted: 1, streakDays: 1 });
    // Jan 28, then Jan 30 and 31: the run ending at the latest day is two days long.
    expect(await queries.player(knex(), 'dan')).toEqual({ playerId: 'dan', level: 1, tier: 'bronze', xp: 120, tokens: 300_000, questsCompleted: 3, streakDays: 2 });
    expect(await queries.player(knex(), 'nobody')).toBeNull();
  });

  it('submissions: flagged and reviewed, witnessed, rejected by a witness, verified', async () => {
    const rows = await testbed.query(impactProjection, submissionRows);
    expect(rows).toEqual([
      { submission_id: 'd1', player_id: 'dan', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 'd2', player_id: 'dan', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 'd3', player_id: 'dan', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 's1', player_id: 'ana', status: 'verified', flags: [], approvals: 2, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 's2', player_id: 'ana', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 's3', player_id: 'ana', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
      { submission_id: 's4', player_id: 'ben', status: 'verified', flags: ['poor_accuracy'], approvals: 0, rejections: 0, review_decision: 'approve', rejection_reason: null },
      { submission_id: 's5', player_id: 'cai', status: 'rejected', flags: [], approvals: 0, rejections: 1, review_decision: null, rejection_reason: 'witness_majority' },
      { submission_id: 's6', player_id: 'cai', status: 'verified', flags: [], approvals: 0, rejections: 0, review_decision: null, rejection_reason: null },
    ]);
    const claims = await testbed.query(impactProjection, (trx) => trx('evidence_claims').count({ n: '*' }).first());
    expect(Number(claims!.n)).toBe(9);
    const zones = await testbed.query(impactProjection, (trx) => trx('zones').select('zone_id', 'region', 'priority_hundredths').orderBy('zone_id'));
    expect(zones).toEqual([
      { zone_id: 'z1', region: 'lisbon', priority_hundredths: 125 },
      { zone_id: 'z2', region: 'porto', priority_hundredths: 125 },
    ]);
  });

  it('quests: listed newest first with their completions, filtered, paged; one by id', async () => {
    const all = await queries.listQuests(knex(), { limit: 10 });
    expect(all.quests.map((q) => [q.questId, q.status, q.completions])).toEqual([
      ['q3', 'open', 3],
      ['q2', 'open', 3],
      ['q1', 'closed', 2],
    ]);
    expect(all.nextCursor).toBeNull();
    expect((await queries.listQuests(knex(), { category: 'cleanup', limit: 10 })).quests.map((q) => q.questId)).toEqual(['q3', 'q1']);
    expect((await queries.listQuests(knex(), { zoneId: 'z1', status: 'open', limit: 10 })).quests.map((q) => q.questId)).toEqual(['q2']);
    const first = await queries.listQuests(knex(), { limit: 2 });
    expect(first.quests.map((q) => q.questId)).toEqual(['q3', 'q2']);
    const second = await queries.listQuests(knex(), { limit: 2, cursor: first.nextCursor! });
    expect([second.quests.map((q) => q.questId), second.nextCursor]).toEqual([['q1'], null]);
    expect(await queries.quest(knex(), 'q2')).toEqual({
      questId: 'q2',
      title: 'Quest q2',
      category: 'planting',
      zoneId: 'z1',
      region: 'lisbon',
      difficulty: 'hard',
      baseXp: 100,
      tokenReward: 1_000_000,
      opensAt: new Date(JAN28).toISOString(),
      closesAt: new Date(FEB2 + DAY).toISOString(),
      witnessesRequired: 0,
      status: 'open',
      createdAt: new Date(JAN28 - DAY).toISOString(),
      closedAt: null,
      completions: 3,
    });
    expect((await queries.quest(knex(), 'q1'))!.closedAt).toBe(new Date(FEB2).toISOString());
    expect(await queries.quest(knex(), 'nope')).toBeNull();
    await expect(queries.listQuests(knex(), { limit: 2, cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });

  it('leaderboards per region: all-time and per UTC day, ties broken by player id, paged, and one player’s rank', async () => {
    // lisbon all-time: ana 110 + 200 = 310, ben 310 (a tie: ana first), cai 50, dan 40.
    expect(await queries.leaderboard(knex(), 'lisbon', { period: 'all', limit: 10 })).toEqual({
      entries: [
        { rank: 1, playerId: 'ana', xp: 310 },
        { rank: 2, playerId: 'ben', xp: 310 },
        { rank: 3, playerId: 'cai', xp: 50 },
        { rank: 4, playerId: 'dan', xp: 40 },
      ],
      nextCursor: null,
    });
    const page1 = await queries.leaderboard(knex(), 'lisbon', { period: 'all', limit: 1 });
    const page2 = await queries.leaderboard(knex(), 'lisbon', { period: 'all', limit: 2, cursor: page1.nextCursor! });
    const page3 = await queries.leaderboard(knex(), 'lisbon', { period: 'all', limit: 2, cursor: page2.nextCursor! });
    expect([...page1.entries, ...page2.entries, ...page3.entries].map((e) => [e.rank, e.playerId])).toEqual([
      [1, 'ana'],
      [2, 'ben'],
      [3, 'cai'],
      [4, 'dan'],
    ]);
    expect(page3.nextCursor).toBeNull();
    expect((await queries.leaderboard(knex(), 'porto', { period: 'all', limit: 10 })).entries).toEqual([
      { rank: 1, playerId: 'ana', xp: 300 },
      { rank: 2, playerId: 'dan', xp: 80 },
    ]);
    expect((await queries.leaderboard(knex(), 'lisbon', { period: 'day', date: '2030-01-30', limit: 10 })).entries).toEqual([
      { rank: 1, playerId: 'ben', xp: 310 },
      { rank: 2, playerId: 'ana', xp: 110 },
    ]);
    expect((await queries.leaderboard(knex(), 'lisbon', { period: 'day', date: '2030-01-31', limit: 10 })).entries).toEqual([
      { rank: 1, playerId: 'ana', xp: 200 },
      { rank: 2, playerId: 'cai', xp: 50 },
      { rank: 3, playerId: 'dan', xp: 40 },
    ]);
    expect((await queries.leaderboard(knex(), 'lisbon', { period: 'day', date: '2030-02-01', limit: 10 })).entries).toEqual([]);
    expect(await queries.playerRank(knex(), 'lisbon', 'ben', { period: 'all' })).toEqual({ rank: 2, xp: 310 });
    expect(await queries.playerRank(knex(), 'lisbon', 'ana', { period: 'all' })).toEqual({ rank: 1, xp: 310 });
    expect(await queries.playerRank(knex(), 'lisbon', 'dan', { period: 'day', date: '2030-01-31' })).toEqual({ rank: 3, xp: 40 });
    expect(await queries.playerRank(knex(), 'porto', 'ben', { period: 'all' })).toBeNull();
    await expect(queries.leaderboard(knex(), 'lisbon', { period: 'all', limit: 1, cursor: 'bm9wZQ' })).rejects.toThrow(/invalid cursor/);
    await expect(queries.leaderboard(knex(), 'lisbon', { period: 'day', date: '2030-1-31', limit: 1 })).rejects.toThrow(RangeError);
  });

  it('the impact ledger: one entry per XP or token event, filed by the UTC month of its time, oldest first, paged', async () => {
    const expected = referenceEntries(decoded(log));
    const january = expected.filter((e) => e.month === '2030-01');
    const february = expected.filter((e) => e.month === '2030-02');
    expect([january.length, february.length]).toEqual([14, 5]);
    const pages: Array<Awaited<ReturnType<typeof queries.ledger>>> = [await queries.ledger(knex(), { month: '2030-01', limit: 5 })];
    while (pages.at(-1)!.nextCursor) pages.push(await queries.ledger(knex(), { month: '2030-01', limit: 5, cursor: pages.at(-1)!.nextCursor! }));
    expect(pages.length).toBe(3);
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map(({ entryId, lsn, kind, playerId, amount, month }) => ({ entryId, lsn, kind, playerId, amount, month }))).toEqual(january);
    expect(entries.map((e) => e.leaf)).toEqual(january.map(referenceLedgerLeaf));
    const feb = (await queries.ledger(knex(), { month: '2030-02', limit: 10 })).entries;
    expect(feb.map((e) => [e.kind, e.playerId, e.amount])).toEqual([
      ['xp', 'ana', 300],
      ['mint', 'ana', 1_000_000],
      ['send', 'ana', 300_000],
      ['receive', 'ben', 300_000],
      ['redeem', 'ben', 200_000],
    ]);
    expect((await queries.ledger(knex(), { month: '2030-03', limit: 10 })).entries).toEqual([]);
    await expect(queries.ledger(knex(), { month: '2030-13', limit: 10 })).rejects.toThrow(RangeError);
  });

  it('month roots and proofs: recomputed independently, every proof folds to the root', async () => {
    const expected = referenceEntries(decoded(log));
    for (const month of ['2030-01', '2030-02']) {
      const leaves = expected.filter((e) => e.month === month).map(referenceLedgerLeaf);
      const root = await queries.monthRoot(knex(), month);
      expect(root).toEqual({ month, root: referenceRoot(leaves), entries: leaves.length });
      for (const [i, entry] of expected.filter((e) => e.month === month).entries()) {
        const proof = await queries.ledgerProof(knex(), entry.entryId);
        expect(proof).toMatchObject({ entryId: entry.entryId, month, leaf: leaves[i], root: root.root, lsn: entry.lsn });
        expect(proof!.proof.reduce(referenceHashPair, proof!.leaf)).toBe(root.root);
      }
    }
    expect(await queries.monthRoot(knex(), '2031-01')).toEqual({ month: '2031-01', root: null, entries: 0 });
    expect(await queries.ledgerProof(knex(), '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await queries.ledgerProof(knex(), 'not-a-uuid')).toBeNull();
  });

  it('metrics by category and day: completions, XP, tokens minted, distinct players; with totals', async () => {
    const lisbon = await queries.metrics(knex(), { region: 'lisbon' });
    expect(lisbon.days).toEqual([
      { category: 'cleanup', day: '2030-01-30', completions: 2, xp: 420, tokens: 2_000_000, distinctPlayers: 2 },
      { category: 'planting', day: '2030-01-31', completions: 3, xp: 290, tokens: 2_600_000, distinctPlayers: 3 },
    ]);
    expect(lisbon.total).toEqual({ completions: 5, xp: 710, tokens: 4_600_000, distinctPlayers: 4 });
    const everywhere = await queries.metrics(knex());
    expect(everywhere.days).toEqual([
      { category: 'cleanup', day: '2030-01-28', completions: 1, xp: 40, tokens: 100_000, distinctPlayers: 1 },
      { category: 'cleanup', day: '2030-01-30', completions: 3, xp: 460, tokens: 2_100_000, distinctPlayers: 3 },
      { category: 'planting', day: '2030-01-31', completions: 3, xp: 290, tokens: 2_600_000, distinctPlayers: 3 },
      { category: 'cleanup', day: '2030-02-01', completions: 1, xp: 300, tokens: 1_000_000, distinctPlayers: 1 },
    ]);
    expect(everywhere.categories).toEqual([
      { category: 'cleanup', completions: 5, xp: 800, tokens: 3_200_000, distinctPlayers: 3 },
      { category: 'planting', completions: 3, xp: 290, tokens: 2_600_000, distinctPlayers: 3 },
    ]);
    expect(everywhere.total).toEqual({ completions: 8, xp: 1_090, tokens: 5_800_000, distinctPlayers: 4 });
    const range = await queries.metrics(knex(), { from: '2030-01-30', to: '2030-01-31' });
    expect(range.days.map((d) => d.day)).toEqual(['2030-01-30', '2030-01-31']);
    expect(range.total).toEqual({ completions: 6, xp: 750, tokens: 4_700_000, distinctPlayers: 4 });
  });

  it('token totals: minted − burned = Σ balances + in transit', async () => {
    expect(await queries.tokenTotals(knex())).toEqual({ minted: 5_800_000, burned: 200_000, inTransit: 0, balances: 5_600_000 });
  });

  it('the analytics views give what the queries give: players with their streak, quests with completions, metrics by region', async () => {
    const players = (await knex().raw<{ rows: Array<Record<string, unknown>> }>('select * from analytics.impact_players order by player_id')).rows;
    expect(players.map((row) => row.player_id)).toEqual(['ana', 'ben', 'cai', 'dan']);
    for (const row of players) {
      const api = (await queries.player(knex(), row.player_id as string))!;
      expect(row).toEqual({
        player_id: api.playerId,
        xp: api.xp,
        level: api.level,
        tier: api.tier,
        token_balance_micro_tokens: api.tokens,
        quests_completed: api.questsCompleted,
        streak_days: api.streakDays,
      });
    }
    const quests = (await knex().raw<{ rows: Array<Record<string, unknown>> }>('select quest_id, token_reward_micro_tokens, completions, status from analytics.impact_quests order by quest_id')).rows;
    expect(quests.length).toBe(3);
    for (const row of quests) {
      const api = (await queries.quest(knex(), row.quest_id as string))!;
      expect(row).toEqual({ quest_id: api.questId, token_reward_micro_tokens: api.tokenReward, completions: api.completions, status: api.status });
    }
    for (const region of ['lisbon', 'porto']) {
      const { rows } = await knex().raw<{ rows: Array<Record<string, unknown>> }>(
        `select category, to_char(completed_on, 'YYYY-MM-DD') as day, completions, xp, tokens_micro_tokens as tokens, distinct_players as "distinctPlayers"
           from analytics.impact_daily_metrics where region = ? order by day, category`,
        [region],
      );
      expect(rows).toEqual((await queries.metrics(knex(), { region })).days);
    }
  });
});

describe('impact projection: delivery', () => {
  const spec = () => projectionSpec(impactProjection, testbed);
  const totalsHold = async (trx: Knex.Transaction) => {
    const totals = (await trx('token_totals').first()) as Record<string, string>;
    const balances = (await trx('players').sum({ sum: 'tokens' }).first()) as { sum: string };
    const [minted, burned, inTransit] = [Number(totals.minted), Number(totals.burned), Number(totals.sent) - Number(totals.received)];
    expect(Number(balances.sum) + inTransit).toBe(minted - burned);
    return { minted, burned, inTransit, balances: Number(balances.sum) };
  };

  it('holds Σ balances + in transit = minted − burned after a batch with a transfer whose credit is not in the log yet', async () => {
    const base = [...submitted('ana', 's1', quests.q3, JAN30), ...verified('ana', 's1', quests.q3, JAN30, 100, 1_000_000), redeemed('ana', 100_000)];
    await spec()
      .given(...base)
      .when(sent('t9', 'ana', 'ben', 250_000))
      .then(async (trx) => {
        expect(await totalsHold(trx)).toEqual({ minted: 1_000_000, burned: 100_000, inTransit: 250_000, balances: 650_000 });
      });
    // The credit delivered before its debit (another partition): in transit is negative for a while, the sum still holds.
    await spec()
      .given(...base)
      .when(sent('t9', 'ana', 'ben', 250_000), received('t9', 'ana', 'ben', 250_000))
      .deliveredAs([1], [0])
      .then(async (trx) => {
        expect(await totalsHold(trx)).toEqual({ minted: 1_000_000, burned: 100_000, inTransit: 0, balances: 900_000 });
      });
  });

  it('keeps each transfer’s two halves in one row, in either order: pending while debited and not credited', async () => {
    const base = [...submitted('ana', 's1', quests.q3, JAN30), ...verified('ana', 's1', quests.q3, JAN30, 100, 1_000_000)];
    const pending = async (trx: Knex.Transaction) =>
      (await trx('transfers').whereNull('received_at').whereNotNull('sent_at').orderBy('transfer_id').select('transfer_id', 'from_player', 'to_player', trx.raw('amount::int as amount'))) as unknown[];
    await spec()
      .given(...base, sent('t1', 'ana', 'ben', 100_000), received('t1', 'ana', 'ben', 100_000))
      .when(sent('t2', 'ana', 'ben', 250_000))
      .then(async (trx) => {
        expect(await pending(trx)).toEqual([{ transfer_id: 't2', from_player: 'ana', to_player: 'ben', amount: 250_000 }]);
      });
    // The credit delivered before its debit (another partition): nothing pending.
    await spec()
      .given(...base)
      .when(sent('t2', 'ana', 'ben', 250_000), received('t2', 'ana', 'ben', 250_000))
      .deliveredAs([1], [0])
      .then(async (trx) => {
        expect(await pending(trx)).toEqual([]);
        expect(Number(((await trx('transfers').count({ n: '*' }).first()) as { n: unknown }).n)).toBe(1);
      });
  });

  it('applies completions that arrive before their quest, and closes a quest of an earlier batch', async () => {
    await spec()
      .given(questCreated(quests.q1))
      .when(questCreated(quests.q2), ...submitted('ana', 'a1', quests.q2, JAN30), ...verified('ana', 'a1', quests.q2, JAN30, 100, 10), questClosed('q1'))
      .deliveredAs([2, 3, 4, 5], [0, 1], [6])
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await trx('quests').select('quest_id', 'status').orderBy('quest_id')).toEqual([
          { quest_id: 'q1', status: 'closed' },
          { quest_id: 'q2', status: 'open' },
        ]);
        expect(await trx('quest_completions').select('quest_id', trx.raw('completions::int as completions'))).toEqual([{ quest_id: 'q2', completions: 1 }]);
      });
  });

  it('parks a player stream at a vote, rejection or completion of an unknown submission, and a close of an unknown quest', async () => {
    await spec()
      .given(...submitted('ana', 'a1', quests.q3, JAN30))
      .when(witnessed('ghost', 'g1', 'ana', true, JAN30), ...verified('ana', 'a1', quests.q3, JAN30, 100, 10), witnessed('ghost', 'g2', 'ana', true, JAN30), questClosed('q404'))
      .thenParked([
        { streamId: playerStream('ghost'), type: 'WitnessRecorded', error: 'submission g1' },
        { streamId: playerStream('ghost'), type: 'WitnessRecorded', error: /waiting behind parked event/ },
        { streamId: 'impact-quest-q404', type: 'QuestClosed', error: 'unknown quest q404' },
      ]);
    await spec()
      .given()
      .when(at(playerStream('ana'), { type: 'TokensMinted', data: { playerId: 'ana', submissionId: 'nope', amount: 5, balanceAfter: 5, mintedAt: JAN30 } }))
      .thenParked([{ streamId: playerStream('ana'), type: 'TokensMinted', error: 'unknown submission nope' }]);
  });
});

describe('impact projection in the runtime', () => {
  let bed: ProjectionTestbed;
  beforeAll(async () => {
    bed = await createProjectionTestbed();
  });
  afterAll(async () => bed?.close());

  const instance = (name: string): Projection => ({ ...impactProjection, name });


  it('changes nothing when events are delivered again, and ends the same whatever the partitions’ order', async () => {
    const log = await bed.append(season());
    const once = await bed.applyBatch(instance('impact_once'), log);
    expect([once.applied, once.parked.length]).toEqual([log.length, 0]);
    const again = await bed.applyBatch(instance('impact_once'), log);
    expect([again.applied, again.alreadyApplied]).toEqual([0, log.length]);

    // Players' streams on partition 1, delivered first, in overlapping pieces; zones, quests and evidence on partition 0 last.
    const players = log.filter((e) => e.streamId.startsWith('impact-player-'));
    const others = log.filter((e) => !e.streamId.startsWith('impact-player-'));
    const batch = (partition: number, events: RecordedEvent[]) => ({ topic: 'impact', partition, events, watermarkLsn: events.at(-1)!.lsn, nextOffset: null });
    await createProjectionWorker({
      db: bed.db,
      projection: instance('impact_redelivered'),
      source: scriptedSource([batch(1, players.slice(0, 10)), batch(1, players.slice(0, 10)), batch(1, players.slice(5, 30)), batch(1, players), batch(0, others), batch(0, others.slice(3))]),
    }).run(new AbortController().signal);

    const comparison = await compareSchemas(bed.db.knex, { live: projectionSchema('impact_redelivered'), shadow: projectionSchema('impact_once') });
    expect(comparison.map((c) => c.table)).toEqual(
      expect.arrayContaining(['daily_metrics', 'leaderboard_all', 'leaderboard_day', 'ledger', 'metric_players', 'player_days', 'players', 'quests', 'submissions', 'token_totals']),
    );
    expect(comparison.filter((c) => !c.same)).toEqual([]);
    expect(await listParked(bed.db, [{ name: 'impact_redelivered' }])).toEqual([]);
  });

  it('rebuilds from LSN 1 into identical tables, parking the same events again, equal to one clean pass over the log', async () => {
    await bed.append(season()); // a second season on the same log: same quest and submission ids, so its duplicates are parked
    await bed.runToHead(impactProjection, 7);
    const digests = () => tableDigests(bed.db.knex, projectionSchema('impact'));
    const live = await digests();
    const liveParked = (await listParked(bed.db, [impactProjection])).map((p) => [p.streamId, p.lsn, p.type]);
    expect(liveParked.length).toBeGreaterThan(0);
    await bed.db.knex.withSchema(projectionSchema('impact')).table('players').update({ xp: 0 });
    await bed.db.knex.withSchema(projectionSchema('impact')).table('ledger').where('kind', 'send').delete();

    const result = await rebuildProjection({ db: bed.db, projection: impactProjection, eventStore: bed.eventStore, pageSize: 9 });
    expect(result.rebuiltToLsn).toBe(await bed.eventStore.headLsn());
    expect(await digests()).toEqual(live);
    expect((await listParked(bed.db, [impactProjection])).map((p) => [p.streamId, p.lsn, p.type])).toEqual(liveParked);

    const whole = await bed.eventStore.readAll({ fromLsn: 1 });
    await bed.applyBatch(instance('impact_reference'), whole);
    const comparison = await compareSchemas(bed.db.knex, { live: projectionSchema('impact'), shadow: projectionSchema('impact_reference') });
    expect(comparison.filter((c) => !c.same)).toEqual([]);
  });
});
