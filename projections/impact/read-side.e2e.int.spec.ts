// The impact read side end to end on real servers: HTTP commands (zones, quests, signed-in players'
// submissions, witness votes, quest-master reviews, transfers, redemptions) over four days that span two
// months → PostgreSQL event store → relay → Kafka (3 partitions) → impact projection worker → `projection_impact`
// → HTTP queries, held to a fold of the log written here with plain code: players, leaderboards and ranks,
// quests and their completions, each month's ledger, its root (ledger-reference.ts) and every proof, metrics,
// token totals. Nothing parked; every impact event reached Kafka.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impactEventTypes } from '../../events-schema/impact/events.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import { dailySessions, expectDeliveredOverKafka, readSideQueries, stopReadSide } from '../../gateways/testing/read-side-queries.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import type { ImpactQuest, LedgerEntry, LedgerKind } from '../../ports/read-models/impact.ts';
import { startKafkaReadSide, type KafkaReadSide } from '../testing/kafka-read-side.ts';
import { IMPACT_PROJECTION, impactProjection } from './impact-projection.ts';
import { referenceHashPair, referenceLedgerLeaf, referenceRoot } from './testing/ledger-reference.ts';

const DAYS = ['2030-03-30', '2030-03-31', '2030-04-01', '2030-04-02'] as const;
const MONTHS = ['2030-03', '2030-04'];
let now = Date.parse(`${DAYS[0]}T10:00:00Z`);
let fixture: HttpFixture;
let app: FastifyInstance;
let prefix: string;
let readSide: KafkaReadSide | undefined;
let questMaster: Credential;

const NAMES = ['p1', 'p2', 'p3', 'p4'] as const;
type Name = (typeof NAMES)[number];
const wallets = new Map<Name, { address: string; signMessage(message: string): Promise<string> }>(NAMES.map((name) => [name, Wallet.createRandom()]));
const ids = new Map<Name, string>();
/** Sessions by the gateway's clock: a player signs in again (same wallet) on each new day. */
const sessions = dailySessions({ signIn: (wallet) => fixture.signIn(wallet) }, wallets, () => now, (name, signed) => ids.set(name, signed.subject));
const as = (name: Name) => sessions.as(name);

beforeAll(async () => {
  fixture = await createHttpFixture({ clock: () => now, readSide: 'fed-elsewhere' });
  app = fixture.app;
  questMaster = await fixture.keyFor({ role: 'quest-master' });
  for (const name of NAMES) await as(name);
  readSide = startKafkaReadSide({ eventStore: fixture.eventStore, db: fixture.db, projection: impactProjection, name: 'impact' });
  prefix = readSide.prefix;
});
afterAll(() => stopReadSide(readSide, fixture));

const id = (name: Name) => ids.get(name)!;

const send = async (credential: Credential, url: string, payload: object, expected = [200, 201]) => {
  const response = await app.inject({ method: 'POST', url, payload, headers: credential });
  expect(expected, `POST ${url}: ${response.body}`).toContain(response.statusCode);
  return response.json();
};
const caughtUp = () => readSideQueries(fixture, IMPACT_PROJECTION).caughtUp();
/** A query answered once the read model holds the whole log (consistentWith = head). */
const query = (url: string) => readSideQueries(fixture, IMPACT_PROJECTION).query(url);

// Zones a couple of km apart (close enough that no capture order is impossible movement).
const ZONES = {
  thames: { zoneId: 'z-thames', name: 'Thames bank', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1.5 },
  lea: { zoneId: 'z-lea', name: 'Lea valley', region: 'essex', center: { lat: 51.52, lon: -0.12 }, radiusM: 300, priority: 1 },
};
let captures = 0;
/** Evidence at the zone's centre, each captured at its own 5 minutes before now (no bursts, never stale). */
const submission = (zone: keyof typeof ZONES, extra: { accuracyM?: number; teamSize?: number; lat?: number } = {}) => {
  captures += 1;
  const { center } = ZONES[zone];
  return {
    submissionId: `s-${captures}`,
    evidence: { sha256: createHash('sha256').update(`evidence ${captures}`).digest('hex') },
    location: { lat: extra.lat ?? center.lat, lon: center.lon, accuracyM: extra.accuracyM ?? 5 },
    capturedAt: new Date(now - captures * 5 * 60_000).toISOString(),
    ...(extra.teamSize ? { teamSize: extra.teamSize } : {}),
  };
};
const submit = async (name: Name, questId: string, body: ReturnType<typeof submission>) => send(await as(name), `/v1/quests/${questId}/submissions`, body, [201]);
const witness = async (name: Name, submitter: Name, submissionId: string, approve: boolean) =>
  send(await as(name), `/v1/submissions/${submissionId}/witness`, { approve, submitterId: id(submitter) });
const review = (submitter: Name, submissionId: string, decision: 'approve' | 'reject') => send(questMaster, `/v1/submissions/${submissionId}/review`, { decision, submitterId: id(submitter) });
const quest = (questId: string, zone: keyof typeof ZONES, category: string, difficulty: string, baseXp: number, tokenReward: number, witnessesRequired: number) =>
  send(questMaster, '/v1/quests', { questId, title: `Quest ${questId}`, category, zoneId: ZONES[zone].zoneId, difficulty, baseXp, tokenReward, witnessesRequired }, [201]);

// ---------------------------------------------------------------------------------------------------------
// The fold: what the read model must show, computed from the events read back from the store.

type PlayerFold = { xp: number; tokens: number; questsCompleted: number; level: number; tier: string; days: Set<string> };
type Fact = { region: string; category: string; day: string; playerId?: string; completions: number; xp: number; tokens: number };
type Fold = {
  players: Map<string, PlayerFold>;
  boardAll: Map<string, Map<string, number>>;
  boardDay: Map<string, Map<string, number>>;
  quests: Map<string, ImpactQuest & { lsn: number }>;
  ledger: Array<Omit<LedgerEntry, 'leaf'>>;
  facts: Fact[];
  tokens: { minted: number; burned: number; sent: number; received: number };
  types: Set<string>;
};

const utcDay = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);
const iso = (epochMs: number) => new Date(epochMs).toISOString();

async function foldLog(): Promise<Fold> {
  const fold: Fold = { players: new Map(), boardAll: new Map(), boardDay: new Map(), quests: new Map(), ledger: [], facts: [], tokens: { minted: 0, burned: 0, sent: 0, received: 0 }, types: new Set() };
  const submissions = new Map<string, { region: string; category: string }>();
  const player = (playerId: string) => {
    const found = fold.players.get(playerId) ?? { xp: 0, tokens: 0, questsCompleted: 0, level: 1, tier: 'bronze', days: new Set<string>() };
    fold.players.set(playerId, found);
    return found;
  };
  const board = (table: Map<string, Map<string, number>>, k: string, playerId: string, xp: number) => {
    const entries = table.get(k) ?? new Map<string, number>();
    table.set(k, entries.set(playerId, (entries.get(playerId) ?? 0) + xp));
  };
  for (const recorded of await fixture.eventStore.readAll({ fromLsn: 1 })) {
    const event = decodeEvent(recorded.data);
    const entry = (kind: LedgerKind, playerId: string, amount: number, at: number) =>
      fold.ledger.push({ entryId: recorded.eventId, month: iso(at).slice(0, 7), kind, playerId, amount, at: iso(at), lsn: recorded.lsn });
    fold.types.add(event.type);
    switch (event.type) {
      case 'QuestCreated': {
        const d = event.data;
        fold.quests.set(d.questId, {
          questId: d.questId,
          title: d.title,
          category: d.category,
          zoneId: d.zoneId,
          region: d.region,
          difficulty: d.difficulty,
          baseXp: d.baseXp,
          tokenReward: d.tokenReward,
          opensAt: d.opensAt === null ? null : iso(d.opensAt),
          closesAt: d.closesAt === null ? null : iso(d.closesAt),
          witnessesRequired: d.witnessesRequired,
          status: 'open',
          createdAt: iso(d.createdAt),
          closedAt: null,
          completions: 0,
          lsn: recorded.lsn,
        });
        break;
      }
      case 'QuestClosed':
        Object.assign(fold.quests.get(event.data.questId)!, { status: 'closed', closedAt: iso(event.data.closedAt) });
        break;
      case 'EvidenceSubmitted':
        submissions.set(event.data.submissionId, { region: event.data.region, category: event.data.category });
        player(event.data.playerId);
        break;
      case 'QuestCompleted': {
        const { questId, playerId, region, category, completedAt } = event.data;
        fold.quests.get(questId)!.completions += 1;
        const p = player(playerId);
        p.questsCompleted += 1;
        p.days.add(utcDay(completedAt));
        fold.facts.push({ region, category, day: utcDay(completedAt), playerId, completions: 1, xp: 0, tokens: 0 });
        break;
      }
      case 'XpAwarded': {
        const { playerId, region, category, xp, awardedAt } = event.data;
        player(playerId).xp += xp;
        board(fold.boardAll, region, playerId, xp);
        board(fold.boardDay, `${region}/${utcDay(awardedAt)}`, playerId, xp);
        fold.facts.push({ region, category, day: utcDay(awardedAt), completions: 0, xp, tokens: 0 });
        entry('xp', playerId, xp, awardedAt);
        break;
      }
      case 'TokensMinted': {
        const { playerId, submissionId, amount, mintedAt } = event.data;
        player(playerId).tokens += amount;
        fold.tokens.minted += amount;
        fold.facts.push({ ...submissions.get(submissionId)!, day: utcDay(mintedAt), completions: 0, xp: 0, tokens: amount });
        entry('mint', playerId, amount, mintedAt);
        break;
      }
      case 'LeveledUp': {
        const p = player(event.data.playerId);
        if (event.data.level > p.level) Object.assign(p, { level: event.data.level, tier: event.data.tier });
        break;
      }
      case 'TokensSent':
        player(event.data.from).tokens -= event.data.amount;
        fold.tokens.sent += event.data.amount;
        entry('send', event.data.from, event.data.amount, event.data.sentAt);
        break;
      case 'TokensReceived':
        player(event.data.to).tokens += event.data.amount;
        fold.tokens.received += event.data.amount;
        entry('receive', event.data.to, event.data.amount, event.data.receivedAt);
        break;
      case 'TokensRedeemed':
        player(event.data.playerId).tokens -= event.data.amount;
        fold.tokens.burned += event.data.amount;
        entry('redeem', event.data.playerId, event.data.amount, event.data.redeemedAt);
        break;
      default:
        break;
    }
  }
  return fold;
}

/** Consecutive days ending at the latest day with a completion. */
function streak(days: Set<string>): number {
  const sorted = [...days].sort().reverse();
  let run = 0;
  for (const day of sorted) {
    if (run > 0 && Date.parse(day) !== Date.parse(sorted[run - 1]!) - 86_400_000) break;
    run += 1;
  }
  return run;
}

/** Ranked by XP descending, ties by player id. */
const ranked = (entries: Map<string, number> | undefined) =>
  [...(entries ?? new Map<string, number>())].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([playerId, xp], i) => ({ rank: i + 1, playerId, xp }));

function expectedMetrics(fold: Fold, filter: { region?: string; from?: string; to?: string } = {}) {
  const facts = fold.facts.filter((f) => (!filter.region || f.region === filter.region) && (!filter.from || f.day >= filter.from) && (!filter.to || f.day <= filter.to));
  const zero = () => ({ completions: 0, xp: 0, tokens: 0, players: new Set<string>() });
  const add = (sum: ReturnType<typeof zero>, f: Fact) => {
    sum.completions += f.completions;
    sum.xp += f.xp;
    sum.tokens += f.tokens;
    if (f.playerId) sum.players.add(f.playerId);
  };
  const days = new Map<string, ReturnType<typeof zero>>();
  const categories = new Map<string, ReturnType<typeof zero>>();
  const total = zero();
  for (const f of facts) {
    const k = `${f.day}|${f.category}`;
    add(days.get(k) ?? days.set(k, zero()).get(k)!, f);
    add(categories.get(f.category) ?? categories.set(f.category, zero()).get(f.category)!, f);
    add(total, f);
  }
  const out = ({ completions, xp, tokens, players }: ReturnType<typeof zero>) => ({ completions, xp, tokens, distinctPlayers: players.size });
  return {
    days: [...days.keys()].sort().map((k) => ({ category: k.split('|')[1]!, day: k.split('|')[0]!, ...out(days.get(k)!) })),
    categories: [...categories.keys()].sort().map((category) => ({ category, ...out(categories.get(category)!) })),
    total: out(total),
  };
}

const pages = <T>(url: string, key: string, limit: number) => readSideQueries(fixture, IMPACT_PROJECTION).pages<T>(url, key, limit, 100);

// ---------------------------------------------------------------------------------------------------------

describe('impact read side over Kafka', () => {
  it('takes four players through two months of quests, witnesses, reviews, transfers and redemptions', async () => {
    // Day 1 (March): zones and quests; completions instant, by witnesses, by review; a rejection of each kind.
    for (const zone of Object.values(ZONES)) await send(questMaster, '/v1/zones', zone, [201]);
    await quest('q-epic', 'thames', 'trees', 'epic', 2_000, 5_000_000, 0);
    await quest('q-witnessed', 'thames', 'litter', 'medium', 100, 2_000_000, 2);
    await quest('q-no-tokens', 'lea', 'trees', 'hard', 300, 0, 0);
    for (const i of DAYS.keys()) await quest(`q-daily-${i + 1}`, i % 2 === 0 ? 'lea' : 'thames', 'daily', 'easy', 50 + 10 * i, 1_000_000, 0);

    // p1: 2000 × 3 (epic) × 1.5 (priority) = 9000 XP, level 1 → 10, silver, at once.
    const epic = await submit('p1', 'q-epic', submission('thames'));
    expect(epic).toMatchObject({ status: 'verified', flags: [], playerId: id('p1') });
    const p1 = await query(`/v1/players/${id('p1')}`);
    expect(p1).toMatchObject({ xp: 9_000, level: 10, tier: 'silver', tokens: 15_000_000, questsCompleted: 1, streakDays: 1 });

    // p2's submission: one witness against (no majority of 2 yet), two for → verified.
    const witnessed = submission('thames', { teamSize: 3 });
    await submit('p2', 'q-witnessed', witnessed);
    expect(await witness('p3', 'p2', witnessed.submissionId, true)).toMatchObject({ status: 'pending_witnesses' });
    expect(await witness('p4', 'p2', witnessed.submissionId, false)).toMatchObject({ status: 'pending_witnesses' });
    expect(await witness('p1', 'p2', witnessed.submissionId, true)).toMatchObject({ status: 'verified' });
    // p3's: two witnesses against → rejected by the majority.
    const outvoted = submission('thames');
    await submit('p3', 'q-witnessed', outvoted);
    await witness('p2', 'p3', outvoted.submissionId, false);
    expect(await witness('p4', 'p3', outvoted.submissionId, false)).toMatchObject({ status: 'rejected' });
    // p4's epic with poor accuracy: flagged, approved by review (A = 0.8).
    const blurry = submission('thames', { accuracyM: 40 });
    expect(await submit('p4', 'q-epic', blurry)).toMatchObject({ status: 'flagged', flags: ['poor_accuracy'] });
    expect(await review('p4', blurry.submissionId, 'approve')).toMatchObject({ status: 'verified' });
    // p3 outside the zone: flagged, rejected by review.
    const astray = submission('lea', { lat: 51.53 });
    expect(await submit('p3', 'q-no-tokens', astray)).toMatchObject({ status: 'flagged', flags: ['outside_zone'] });
    expect(await review('p3', astray.submissionId, 'reject')).toMatchObject({ status: 'rejected' });
    await Promise.all((['p1', 'p4'] as const).map((name) => submit(name, 'q-daily-1', submission('lea'))));

    // Day 2 (March 31): daily quests (p1's streak grows), a transfer p1 → p2, a redemption by p2.
    now = Date.parse(`${DAYS[1]}T16:20:00Z`);
    await Promise.all([submit('p1', 'q-daily-2', submission('thames')), submit('p2', 'q-daily-2', submission('thames', { teamSize: 2 }))]);
    expect(await send(await as('p1'), `/v1/players/${id('p1')}/transfers`, { to: id('p2'), amount: 4_000_000 }, [201])).toMatchObject({ balance: 15_000_000 + 1_000_000 + 1_000_000 - 4_000_000 });
    await send(await as('p2'), `/v1/players/${id('p2')}/redemptions`, { amount: 2_500_000, item: 'seed pack' }, [201]);

    // Day 3 (April 1): p3 tries again inside the zone (no tokens to mint); p2 does the epic; p4 sends to p3.
    now = Date.parse(`${DAYS[2]}T08:05:00Z`);
    await submit('p3', 'q-no-tokens', submission('lea'));
    await submit('p2', 'q-epic', submission('thames'));
    await submit('p1', 'q-daily-3', submission('lea'));
    await send(await as('p4'), `/v1/players/${id('p4')}/transfers`, { to: id('p3'), amount: 1_500_000 }, [201]);

    // Day 4 (April 2): daily quests; the witnessed quest is closed; p1 redeems; p3 sends on to p1.
    now = Date.parse(`${DAYS[3]}T21:45:00Z`);
    await Promise.all([submit('p1', 'q-daily-4', submission('thames')), submit('p4', 'q-daily-4', submission('thames', { teamSize: 4 }))]);
    await send(questMaster, '/v1/quests/q-witnessed/close', {});
    await send(await as('p1'), `/v1/players/${id('p1')}/redemptions`, { amount: 3_000_000, item: 'tree sapling' }, [201]);
    await send(await as('p3'), `/v1/players/${id('p3')}/transfers`, { to: id('p1'), amount: 500_000 }, [201]);

    const fold = await foldLog();
    expect(impactEventTypes.filter((type) => !fold.types.has(type))).toEqual([]); // every impact event type occurred
  });

  it('awarded XP, tokens and levels by the seed’s formula, recomputed here from the submissions in the log', async () => {
    // XP = round(baseXp × D × A × S × W × R × T) in exact thousandths; tokens = floor(tokenReward × D).
    const D: Record<string, bigint> = { easy: 1000n, medium: 1500n, hard: 2000n, epic: 3000n };
    const submitted = new Map<string, { baseXp: number; difficulty: string; tokenReward: number; flagged: boolean; teamSize: number; priority: number; required: number; approvals: number }>();
    const completionDays = new Map<string, Set<number>>();
    const totals = new Map<string, number>();
    let awards = 0;
    let mints = 0;
    for (const recorded of await fixture.eventStore.readAll({ fromLsn: 1 })) {
      const event = decodeEvent(recorded.data);
      if (event.type === 'EvidenceSubmitted') {
        const d = event.data;
        submitted.set(d.submissionId, { baseXp: d.baseXp, difficulty: d.difficulty, tokenReward: d.tokenReward, flagged: d.flags.length > 0, teamSize: d.teamSize, priority: d.priorityHundredths, required: d.witnessesRequired, approvals: 0 });
      } else if (event.type === 'WitnessRecorded' && event.data.approve) {
        submitted.get(event.data.submissionId)!.approvals += 1;
      } else if (event.type === 'XpAwarded') {
        const s = submitted.get(event.data.submissionId)!;
        const today = Math.floor(event.data.awardedAt / 86_400_000);
        const days = completionDays.get(event.data.playerId) ?? new Set<number>();
        let streakBefore = 0;
        while (streakBefore < 5 && days.has(today - 1 - streakBefore)) streakBefore += 1;
        const m = [D[s.difficulty]!, s.flagged ? 800n : 1000n, 1000n + 100n * BigInt(streakBefore), 1000n + 100n * BigInt(Math.min(3, Math.max(0, s.approvals - s.required))), BigInt(s.priority) * 10n, s.teamSize >= 2 ? 1200n : 1000n];
        const scale = 1000n ** 6n;
        const product = m.reduce((a, b) => a * b, BigInt(s.baseXp));
        const xp = Number(product / scale + (2n * (product % scale) >= scale ? 1n : 0n));
        const total = (totals.get(event.data.playerId) ?? 0) + xp;
        totals.set(event.data.playerId, total);
        expect(event.data, `XP of ${event.data.submissionId}`).toMatchObject({ xp, totalXpAfter: total });
        days.add(today);
        completionDays.set(event.data.playerId, days);
        awards += 1;
      } else if (event.type === 'TokensMinted') {
        const s = submitted.get(event.data.submissionId)!;
        expect(event.data.amount).toBe(Number((BigInt(s.tokenReward) * D[s.difficulty]!) / 1000n));
        mints += 1;
      } else if (event.type === 'LeveledUp') {
        const level = Math.floor(Math.sqrt(Math.floor(totals.get(event.data.playerId)! / 100))) + 1;
        expect(event.data).toMatchObject({ level, tier: level >= 50 ? 'platinum' : level >= 25 ? 'gold' : level >= 10 ? 'silver' : 'bronze' });
      }
    }
    expect(awards).toBe(12);
    expect(mints).toBe(awards - 1); // all but the quest without a token reward
  });

  it('shows every player as the fold of the log: level, tier, XP, tokens, completions and streak', async () => {
    await caughtUp();
    const fold = await foldLog();
    expect([...fold.players.keys()].sort()).toEqual(NAMES.map(id).sort());
    for (const [playerId, p] of fold.players) {
      const { asOfLsn, ...shown } = await query(`/v1/players/${playerId}`);
      expect(shown, playerId).toEqual({ playerId, level: p.level, tier: p.tier, xp: p.xp, tokens: p.tokens, questsCompleted: p.questsCompleted, streakDays: streak(p.days) });
      // The level is the rule's, from the XP alone: floor(sqrt(xp / 100)) + 1.
      expect(shown.level, playerId).toBe(Math.floor(Math.sqrt(Math.floor(p.xp / 100))) + 1);
    }
    expect((await query(`/v1/players/${id('p1')}`)).streakDays).toBe(4); // four days in a row, over the month's end
    expect((await query(`/v1/players/${id('p3')}`)).questsCompleted).toBe(1);
  });

  it('ranks each region’s leaderboards, all time and per day, paged, as the fold does', async () => {
    await caughtUp();
    const fold = await foldLog();
    expect([...fold.boardAll.keys()].sort()).toEqual(['essex', 'london']);
    for (const [region, entries] of fold.boardAll) {
      const expected = ranked(entries);
      expect(await pages(`/v1/leaderboards/${region}?period=all`, 'entries', 2), region).toEqual(expected);
      for (const entry of expected) {
        const { asOfLsn, ...rank } = await query(`/v1/leaderboards/${region}/players/${entry.playerId}`);
        expect(rank).toEqual({ region, playerId: entry.playerId, period: 'all', rank: entry.rank, xp: entry.xp });
      }
      for (const day of DAYS) {
        const daily = ranked(fold.boardDay.get(`${region}/${day}`));
        expect(await pages(`/v1/leaderboards/${region}?period=day&date=${day}`, 'entries', 1), `${region} ${day}`).toEqual(daily);
        for (const entry of daily) expect((await query(`/v1/leaderboards/${region}/players/${entry.playerId}?period=day&date=${day}`)).rank).toBe(entry.rank);
      }
      // Without a date, a day board is today's by the gateway's clock (the last day of the run), not the machine's.
      const today = ranked(fold.boardDay.get(`${region}/${DAYS[DAYS.length - 1]}`));
      expect(await pages(`/v1/leaderboards/${region}?period=day`, 'entries', 1), `${region} today`).toEqual(today);
    }
    expect(fold.boardDay.size).toBeGreaterThan(DAYS.length);
  });

  it('lists the quests newest first with their completion counts, whole and filtered', async () => {
    await caughtUp();
    const fold = await foldLog();
    const newestFirst = (keep: (q: ImpactQuest) => boolean) =>
      [...fold.quests.values()].filter(keep).sort((a, b) => b.lsn - a.lsn).map(({ lsn, ...q }) => q);
    expect(await pages('/v1/quests', 'quests', 3)).toEqual(newestFirst(() => true));
    expect(await pages('/v1/quests?category=trees', 'quests', 5)).toEqual(newestFirst((q) => q.category === 'trees'));
    expect(await pages('/v1/quests?status=closed', 'quests', 5)).toEqual(newestFirst((q) => q.status === 'closed'));
    expect(await pages(`/v1/quests?zoneId=${ZONES.lea.zoneId}`, 'quests', 5)).toEqual(newestFirst((q) => q.zoneId === ZONES.lea.zoneId));
    for (const q of fold.quests.values()) expect((await query(`/v1/quests/${q.questId}`)).completions, q.questId).toBe(q.completions);
    expect(fold.quests.get('q-epic')!.completions).toBe(3);
    expect(fold.quests.get('q-witnessed')).toMatchObject({ completions: 1, status: 'closed' });
  });

  it('answers each month’s ledger, its root recomputed independently, and a proof of every entry that leads to it', async () => {
    await caughtUp();
    const fold = await foldLog();
    let proofs = 0;
    for (const month of MONTHS) {
      const expected = fold.ledger.filter((entry) => entry.month === month).map((entry) => ({ ...entry, leaf: referenceLedgerLeaf(entry) }));
      expect(new Set(expected.map((entry) => entry.kind)), month).toEqual(new Set(['xp', 'mint', 'send', 'receive', 'redeem']));
      expect(await pages(`/v1/impact/ledger?month=${month}`, 'entries', 4), month).toEqual(expected);
      const root = referenceRoot(expected.map((entry) => entry.leaf));
      const { asOfLsn, ...monthRoot } = await query(`/v1/impact/months/${month}`);
      expect(monthRoot, month).toEqual({ month, root, entries: expected.length });

      for (const entry of expected) {
        const { asOfLsn: _, ...proof } = await query(`/v1/impact/ledger/${entry.entryId}/proof`);
        expect(proof).toMatchObject({ entryId: entry.entryId, month, leaf: entry.leaf, root, lsn: entry.lsn });
        const walk = (leaf: string) => (proof.proof as string[]).reduce((node, sibling) => referenceHashPair(node, sibling), leaf);
        expect(walk(entry.leaf), entry.entryId).toBe(root);
        // One unit more is not what the month's root holds.
        expect(walk(referenceLedgerLeaf({ ...entry, amount: entry.amount + 1 }))).not.toBe(root);
        proofs += 1;
      }
    }
    expect(proofs).toBe(fold.ledger.length);
    expect((await query('/v1/impact/months/2030-02')).entries).toBe(0);
  });

  it('sums the metrics by category and day, in all regions, one region, and a range, as the fold does', async () => {
    await caughtUp();
    const fold = await foldLog();
    const filters: Array<Record<string, string>> = [{}, { region: 'london' }, { region: 'essex' }, { from: DAYS[1], to: DAYS[2] }, { region: 'london', from: DAYS[2] }];
    for (const filter of filters) {
      const params = new URLSearchParams(filter).toString();
      const { asOfLsn, ...metrics } = await query(`/v1/impact/metrics${params ? `?${params}` : ''}`);
      expect(metrics, params).toEqual(expectedMetrics(fold, filter));
    }
    expect((await query('/v1/impact/metrics')).total.completions).toBe(12);
    const { asOfLsn, ...tokens } = await query('/v1/impact/tokens');
    const balances = [...fold.players.values()].reduce((sum, p) => sum + p.tokens, 0);
    expect(tokens).toEqual({ minted: fold.tokens.minted, burned: fold.tokens.burned, inTransit: fold.tokens.sent - fold.tokens.received, balances });
    expect(tokens.minted - tokens.burned).toBe(tokens.balances + tokens.inTransit);
  });

  it('parked nothing, and every impact event went through Kafka, each stream on one partition', async () => {
    await caughtUp();
    const impactLsns = (await fixture.eventStore.readAll({ fromLsn: 1 })).filter((recorded) => (impactEventTypes as readonly string[]).includes(recorded.type)).map((recorded) => recorded.lsn);
    await expectDeliveredOverKafka(fixture, impactProjection, prefix, impactLsns);
  });
});
