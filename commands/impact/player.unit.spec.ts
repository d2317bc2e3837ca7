import { describe, expect, it } from 'vitest';
import type { PlayerEvent, QuestCreated } from '../../events-schema/impact/events.ts';
import { encodeEvent } from '../../events-schema/index.ts';
import { DAY_MS, haversineM } from '../../events-schema/impact/rules.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { playerDecider, type PlayerCommand, type PlayerState, type SubmitEvidence } from './player.ts';
import type { QuestState } from './quest.ts';

const spec = deciderSpec(playerDecider);
const now = Date.UTC(2030, 0, 10, 12);
const PLAYER = '0x52908400098527886E0F7030069857D2E4169EE7';
const WITNESS_1 = '0x1111111111111111111111111111111111111111';
const WITNESS_2 = '0x2222222222222222222222222222222222222222';
const WITNESS_3 = '0x3333333333333333333333333333333333333333';
const REVIEWER = 'qm-1';
const SHA = 'a'.repeat(64);
const CENTER = { lat: 43_533_000, lon: 4_633_000 };

function questOf(questId: string, data: Partial<QuestCreated['data']> = {}, status: 'open' | 'closed' = 'open'): QuestState {
  return {
    status,
    questId,
    title: 'Clean the east bank',
    category: 'cleanup',
    zoneId: 'zone-delta',
    region: 'camargue',
    centerLat: CENTER.lat,
    centerLon: CENTER.lon,
    radiusM: 500,
    priorityHundredths: 150,
    difficulty: 'medium',
    baseXp: 100,
    tokenReward: 2_000_000,
    opensAt: null,
    closesAt: null,
    witnessesRequired: 2,
    createdBy: REVIEWER,
    createdAt: now - 10 * DAY_MS,
    ...data,
  };
}
const quest = questOf('q1');
const instantQuest = (questId: string, data: Partial<QuestCreated['data']> = {}) => questOf(questId, { witnessesRequired: 0, ...data });

const submit = (submissionId: string, data: Partial<SubmitEvidence['data']> = {}): PlayerCommand => ({
  type: 'SubmitEvidence',
  data: {
    submissionId,
    questId: (data.quest as { questId?: string } | undefined)?.questId ?? 'q1',
    playerId: PLAYER,
    quest,
    sha256: SHA,
    uri: '',
    lat: CENTER.lat,
    lon: CENTER.lon,
    accuracyCm: 500,
    capturedAt: (data.now ?? now) - 60_000,
    teamSize: 1,
    duplicateEvidence: false,
    now,
    ...data,
  },
});
const witness = (submissionId: string, witnessId: string, approve = true, at = now): PlayerCommand => ({
  type: 'WitnessSubmission',
  data: { submissionId, playerId: PLAYER, witnessId, approve, now: at },
});
const review = (submissionId: string, decision: 'approve' | 'reject', reviewerId = REVIEWER): PlayerCommand => ({
  type: 'ReviewSubmission',
  data: { submissionId, playerId: PLAYER, reviewerId, decision, now },
});
const send = (amount: number, to = WITNESS_1, transferId = 'tr-1'): PlayerCommand => ({ type: 'SendTokens', data: { transferId, from: PLAYER, to, amount, now } });
const receive = (amount: number, transferId = 'tr-9', from = WITNESS_1): PlayerCommand => ({ type: 'ReceiveTokens', data: { transferId, from, to: PLAYER, amount, now } });
const redeem = (amount: number): PlayerCommand => ({ type: 'RedeemTokens', data: { playerId: PLAYER, amount, item: 'sapling', now } });

/** The events the decider records for these commands in order (each must be accepted). */
function history(...commands: PlayerCommand[]): PlayerEvent[] {
  let state = playerDecider.initialState();
  const events: PlayerEvent[] = [];
  for (const command of commands) {
    const decided = playerDecider.decide(command, state);
    state = decided.reduce(playerDecider.evolve, state);
    events.push(...decided);
  }
  return events;
}
const decided = (given: PlayerEvent[], command: PlayerCommand) => playerDecider.decide(command, frozenFold(playerDecider, given));
const flagsOf = (given: PlayerEvent[], command: PlayerCommand) => {
  const [first] = decided(given, command);
  if (first?.type !== 'EvidenceSubmitted') throw new Error(`decided ${first?.type}`);
  return first.data.flags;
};
const typesOf = (events: PlayerEvent[]) => events.map((event) => event.type);
const state = (given: PlayerEvent[]): PlayerState => frozenFold(playerDecider, given);

describe('player decider: a submission', () => {
  it('records the evidence with the quest facts and waits for witnesses', () => {
    spec.given([]).when(submit('s1', { uri: 'https://e.example/1.jpg', teamSize: 3 })).then([
      {
        type: 'EvidenceSubmitted',
        data: {
          submissionId: 's1',
          questId: 'q1',
          playerId: PLAYER,
          sha256: SHA,
          uri: 'https://e.example/1.jpg',
          lat: CENTER.lat,
          lon: CENTER.lon,
          accuracyCm: 500,
          capturedAt: now - 60_000,
          receivedAt: now,
          teamSize: 3,
          flags: [],
          status: 'pending_witnesses',
          zoneId: 'zone-delta',
          region: 'camargue',
          category: 'cleanup',
          difficulty: 'medium',
          baseXp: 100,
          tokenReward: 2_000_000,
          witnessesRequired: 2,
          priorityHundredths: 150,
        },
      },
    ]);
  });

  it('outside_zone: exactly radius + 50 m is inside, farther is flagged', () => {
    const point = { lat: CENTER.lat + 5_000, lon: CENTER.lon + 3_000 };
    const distance = haversineM(CENTER.lat, CENTER.lon, point.lat, point.lon);
    expect(distance).toBeGreaterThan(550);
    const at = (radiusM: number) => flagsOf([], submit('s1', { ...point, quest: questOf('q1', { radiusM }) }));
    expect(at(Math.ceil(distance) - 50)).toEqual([]); // distance ≤ radius + 50
    expect(at(Math.ceil(distance) - 51)).toEqual(['outside_zone']); // distance > radius + 50
  });

  it('poor_accuracy: 15 m exactly passes, above is flagged', () => {
    expect(flagsOf([], submit('s1', { accuracyCm: 1500 }))).toEqual([]);
    expect(flagsOf([], submit('s1', { accuracyCm: 1501 }))).toEqual(['poor_accuracy']);
  });

  it('impossible_movement: exactly 100 km/h from the previous accepted submission passes, faster is flagged', () => {
    const first = history(submit('s1', { capturedAt: now - 2 * 3_600_000 }));
    const far = { lat: CENTER.lat + 300_000, lon: CENTER.lon }; // about 33 km north
    const distance = haversineM(CENTER.lat, CENTER.lon, far.lat, far.lon);
    const q2 = questOf('q2', { centerLat: far.lat, centerLon: far.lon });
    const after = (elapsedMs: number) => flagsOf(first, submit('s2', { quest: q2, ...far, capturedAt: now - 2 * 3_600_000 + elapsedMs }));
    expect(after(Math.ceil(distance * 36))).toEqual([]); // ≤ 100 km/h
    expect(after(Math.ceil(distance * 36) - 1)).toEqual(['impossible_movement']);
  });

  it('impossible_movement compares with the latest submission that is not rejected', () => {
    const far = { lat: CENTER.lat + 300_000, lon: CENTER.lon };
    const q2 = questOf('q2', { centerLat: far.lat, centerLon: far.lon });
    const q3 = questOf('q3', { centerLat: far.lat, centerLon: far.lon });
    // s1 at the centre two hours ago, s2 far away an hour ago (rejected): s3 far away now is checked against s1, 33 km in 2 h.
    const given = history(
      submit('s1', { capturedAt: now - 2 * 3_600_000 }),
      submit('s2', { quest: q2, ...far, capturedAt: now - 3_600_000, accuracyCm: 9_000 }),
      review('s2', 'reject'),
    );
    expect(flagsOf(given, submit('s3', { quest: q3, ...far, capturedAt: now - 60_000 }))).toEqual([]);
    // Had s2 stood, s3 right after it at the centre would be 33 km in 1 min.
    const standing = history(submit('s1', { capturedAt: now - 2 * 3_600_000 }), submit('s2', { quest: q2, ...far, capturedAt: now - 3_600_000 }));
    expect(flagsOf(standing, submit('s3', { quest: questOf('q3'), capturedAt: now - 3_540_000 }))).toEqual(['impossible_movement']);
  });

  it('burst: another capture less than 1 s apart (either way, rejected ones included); exactly 1 s is not', () => {
    const given = history(submit('s1', { capturedAt: now - 10_000, accuracyCm: 9_000 }), review('s1', 'reject'));
    const at = (capturedAt: number) => flagsOf(given, submit('s2', { capturedAt }));
    expect(at(now - 9_001)).toEqual(['burst']);
    expect(at(now - 10_999)).toEqual(['burst']);
    expect(at(now - 9_000)).toEqual([]);
    expect(at(now - 11_000)).toEqual([]);
  });

  it('stale: captured exactly 24 h before receipt passes, earlier or in the future is flagged', () => {
    expect(flagsOf([], submit('s1', { capturedAt: now - DAY_MS }))).toEqual([]);
    expect(flagsOf([], submit('s1', { capturedAt: now - DAY_MS - 1 }))).toEqual(['stale']);
    expect(flagsOf([], submit('s1', { capturedAt: now }))).toEqual([]);
    expect(flagsOf([], submit('s1', { capturedAt: now + 1 }))).toEqual(['stale']);
  });

  it('duplicate_evidence, and every flag in the order the events list them; any flag means flagged', () => {
    const [event] = decided([], submit('s1', { duplicateEvidence: true, accuracyCm: 2000, capturedAt: now + 5, lat: CENTER.lat + 100_000 }));
    expect(event).toMatchObject({ data: { flags: ['outside_zone', 'poor_accuracy', 'stale', 'duplicate_evidence'], status: 'flagged' } });
    expect(() => encodeEvent(event!)).not.toThrow();
  });

  it('refuses a quest that is unknown, closed, not open yet, or past its deadline (closesAt excluded)', () => {
    spec.given([]).when(submit('s1', { quest: { status: 'none' } })).thenThrows('quest_not_found');
    spec.given([]).when(submit('s1', { quest: questOf('q1', {}, 'closed') })).thenThrows('quest_closed');
    spec.given([]).when(submit('s1', { quest: questOf('q1', { opensAt: now + 1 }) })).thenThrows('quest_not_open_yet');
    spec.given([]).when(submit('s1', { quest: questOf('q1', { opensAt: now }) })).then(expect.any(Array) as unknown as PlayerEvent[]);
    spec.given([]).when(submit('s1', { quest: questOf('q1', { closesAt: now }) })).thenThrows('quest_closed');
    expect(decided([], submit('s1', { quest: questOf('q1', { closesAt: now + 1 }) }))).toHaveLength(1);
  });

  it('one live submission per quest: refused while pending or flagged, refused once verified, allowed after a rejection', () => {
    spec.given(history(submit('s1'))).when(submit('s2', { capturedAt: now - 30_000 })).thenThrows('submission_pending', { submissionId: 's1' });
    spec.given(history(submit('s1', { accuracyCm: 9_000 }))).when(submit('s2', { capturedAt: now - 30_000 })).thenThrows('submission_pending');
    spec.given(history(submit('s1'), witness('s1', WITNESS_1), witness('s1', WITNESS_2))).when(submit('s2', { capturedAt: now - 30_000 })).thenThrows('quest_already_completed');
    const rejected = history(submit('s1', { accuracyCm: 9_000 }), review('s1', 'reject'));
    expect(typesOf(decided(rejected, submit('s2', { capturedAt: now - 30_000 })))).toEqual(['EvidenceSubmitted']);
    spec.given(rejected).when(submit('s1', { capturedAt: now - 30_000 })).thenThrows('submission_exists');
  });
});

describe('player decider: verification and rewards', () => {
  it('with no witness required, an unflagged submission is verified in its own decision', () => {
    const events = decided([], submit('s1', { quest: instantQuest('q1') }));
    expect(events).toEqual([
      expect.objectContaining({ type: 'EvidenceSubmitted' }),
      { type: 'QuestCompleted', data: { submissionId: 's1', questId: 'q1', playerId: PLAYER, zoneId: 'zone-delta', region: 'camargue', category: 'cleanup', completedAt: now, flagged: false } },
      {
        type: 'XpAwarded',
        data: {
          submissionId: 's1',
          questId: 'q1',
          playerId: PLAYER,
          region: 'camargue',
          category: 'cleanup',
          baseXp: 100,
          xp: 225, // 100 × D 1.5 × R 1.5
          difficultyMilli: 1500,
          authenticityMilli: 1000,
          streakMilli: 1000,
          socialMilli: 1000,
          regionalMilli: 1500,
          teamMilli: 1000,
          totalXpAfter: 225,
          awardedAt: now,
        },
      },
      { type: 'TokensMinted', data: { playerId: PLAYER, submissionId: 's1', amount: 3_000_000, balanceAfter: 3_000_000, mintedAt: now } },
      { type: 'LeveledUp', data: { playerId: PLAYER, level: 2, tier: 'bronze', reachedAt: now } },
    ]);
    for (const event of events) expect(() => encodeEvent(event)).not.toThrow();
  });

  it('T: 1.2 for a team of two or more', () => {
    const xp = (teamSize: number) => decided([], submit('s1', { quest: instantQuest('q1'), teamSize })).find((e) => e.type === 'XpAwarded')!;
    expect(xp(1)).toMatchObject({ data: { teamMilli: 1000, xp: 225 } });
    expect(xp(2)).toMatchObject({ data: { teamMilli: 1200, xp: 270 } });
  });

  it('D and tokens: floor(tokenReward × D)', () => {
    const minted = (difficulty: QuestCreated['data']['difficulty'], tokenReward: number) =>
      decided([], submit('s1', { quest: instantQuest('q1', { difficulty, tokenReward }) })).find((e) => e.type === 'TokensMinted');
    expect(minted('medium', 3)).toMatchObject({ data: { amount: 4 } }); // 4.5
    expect(minted('epic', 1_000_001)).toMatchObject({ data: { amount: 3_000_003 } });
    expect(minted('hard', 0)).toBeUndefined(); // nothing to mint, no entry
    const xp = decided([], submit('s1', { quest: instantQuest('q1', { difficulty: 'epic', priorityHundredths: 100 }) })).find((e) => e.type === 'XpAwarded');
    expect(xp).toMatchObject({ data: { difficultyMilli: 3000, regionalMilli: 1000, xp: 300 } });
  });

  it('S: one tenth per consecutive UTC day before today with a completion, at most five; today and gaps do not count', () => {
    const completionOn = (daysBack: number, index: number): PlayerCommand => {
      const at = now - daysBack * DAY_MS;
      return submit(`d${index}`, { quest: instantQuest(`qd${index}`), now: at, capturedAt: at - 3_600_000 });
    };
    const streakAfter = (...daysBack: number[]) => {
      const given = history(...daysBack.map(completionOn));
      return decided(given, submit('s1', { quest: instantQuest('q1') })).find((e) => e.type === 'XpAwarded')!.data;
    };
    expect(streakAfter()).toMatchObject({ streakMilli: 1000 });
    expect(streakAfter(0)).toMatchObject({ streakMilli: 1000 }); // earlier today
    expect(streakAfter(3, 2, 1)).toMatchObject({ streakMilli: 1300 });
    expect(streakAfter(4, 3, 1)).toMatchObject({ streakMilli: 1100 }); // gap on day −2
    expect(streakAfter(3, 2)).toMatchObject({ streakMilli: 1000 }); // yesterday missed
    expect(streakAfter(5, 4, 3, 2, 1)).toMatchObject({ streakMilli: 1500 });
    expect(streakAfter(7, 6, 5, 4, 3, 2, 1)).toMatchObject({ streakMilli: 1500, xp: 338 }); // 100 × 1.5 × 1.5 × 1.5 = 337.5 → 338
  });

  it('LeveledUp when a level is crossed, naming the new level and tier (9/10 bronze/silver, 24/25, 49/50)', () => {
    const levelUp = (baseXp: number, given: PlayerEvent[] = []) =>
      decided(given, submit('s1', { quest: instantQuest('q1', { baseXp, difficulty: 'easy', priorityHundredths: 100, tokenReward: 0 }) })).find((e) => e.type === 'LeveledUp');
    expect(levelUp(99)).toBeUndefined();
    expect(levelUp(100)).toMatchObject({ data: { level: 2, tier: 'bronze' } });
    expect(levelUp(8_099)).toMatchObject({ data: { level: 9, tier: 'bronze' } });
    expect(levelUp(8_100)).toMatchObject({ data: { level: 10, tier: 'silver' } });
    expect(levelUp(57_599)).toMatchObject({ data: { level: 24, tier: 'silver' } });
    expect(levelUp(57_600)).toMatchObject({ data: { level: 25, tier: 'gold' } });
    expect(levelUp(240_099)).toMatchObject({ data: { level: 49, tier: 'gold' } });
    expect(levelUp(240_100)).toMatchObject({ data: { level: 50, tier: 'platinum' } });
    // From 8 099 XP (level 9), one more XP crosses into 10; staying inside a level decides none.
    const at8099 = history(submit('s0', { quest: instantQuest('q0', { baseXp: 8_099, difficulty: 'easy', priorityHundredths: 100 }), capturedAt: now - 3_600_000 }));
    expect(state(at8099)).toMatchObject({ totalXp: 8_099, level: 9 });
    expect(levelUp(1, at8099)).toMatchObject({ data: { level: 10, tier: 'silver' } });
    const at8100 = history(submit('s0', { quest: instantQuest('q0', { baseXp: 8_100, difficulty: 'easy', priorityHundredths: 100 }), capturedAt: now - 3_600_000 }));
    expect(levelUp(1, at8100)).toBeUndefined();
  });
});

describe('player decider: witnesses', () => {
  const pending = history(submit('s1'));

  it('verifies when approvals reach the required number, in the same decision', () => {
    const once = history(submit('s1'), witness('s1', WITNESS_1));
    expect(typesOf(once)).toEqual(['EvidenceSubmitted', 'WitnessRecorded']);
    const events = decided(once, witness('s1', WITNESS_2));
    expect(typesOf(events)).toEqual(['WitnessRecorded', 'QuestCompleted', 'XpAwarded', 'TokensMinted', 'LeveledUp']);
    expect(events[2]).toMatchObject({ data: { socialMilli: 1000, authenticityMilli: 1000, xp: 225 } });
    expect(state([...once, ...events]).submissions.get('s1')?.status).toBe('verified');
  });

  it('a player never witnesses their own submission; one vote per witness', () => {
    spec.given(pending).when(witness('s1', PLAYER)).thenThrows('cannot_witness_own_submission');
    spec.given(history(submit('s1'), witness('s1', WITNESS_1, false))).when(witness('s1', WITNESS_1)).thenThrows('already_witnessed');
    spec.given(pending).when(witness('nope', WITNESS_1)).thenThrows('submission_not_found');
  });

  it('a flagged submission takes no witness vote', () => {
    spec.given(history(submit('s1', { accuracyCm: 9_000 }))).when(witness('s1', WITNESS_1)).thenThrows('submission_flagged');
  });

  it('rejects once rejections reach floor(n / 2) + 1: 2 of 2, 2 of 3', () => {
    const oneNo = history(submit('s1'), witness('s1', WITNESS_1, false));
    expect(typesOf(oneNo)).toEqual(['EvidenceSubmitted', 'WitnessRecorded']);
    spec.given(oneNo).when(witness('s1', WITNESS_2, false)).then([
      { type: 'WitnessRecorded', data: { submissionId: 's1', witnessId: WITNESS_2, approve: false, recordedAt: now } },
      { type: 'SubmissionRejected', data: { submissionId: 's1', reason: 'witness_majority', rejectedAt: now } },
    ]);
    const three = questOf('q1', { witnessesRequired: 3 });
    const split = history(submit('s1', { quest: three }), witness('s1', WITNESS_1, false), witness('s1', WITNESS_2, true));
    expect(typesOf(decided(split, witness('s1', WITNESS_3, false)))).toEqual(['WitnessRecorded', 'SubmissionRejected']);
    const one = questOf('q1', { witnessesRequired: 1 });
    expect(typesOf(decided(history(submit('s1', { quest: one })), witness('s1', WITNESS_1, false)))).toEqual(['WitnessRecorded', 'SubmissionRejected']);
  });

  it('a decided submission takes no more votes', () => {
    spec.given(history(submit('s1'), witness('s1', WITNESS_1), witness('s1', WITNESS_2))).when(witness('s1', WITNESS_3)).thenThrows('submission_already_decided');
    spec.given(history(submit('s1'), witness('s1', WITNESS_1, false), witness('s1', WITNESS_2, false))).when(witness('s1', WITNESS_3)).thenThrows('submission_already_decided');
  });
});

describe('player decider: reviews of flagged submissions', () => {
  const flagged = history(submit('s1', { accuracyCm: 9_000 }));

  it('approve: verified with A = 0.8', () => {
    const events = decided(flagged, review('s1', 'approve'));
    expect(typesOf(events)).toEqual(['SubmissionReviewed', 'QuestCompleted', 'XpAwarded', 'TokensMinted', 'LeveledUp']);
    expect(events[1]).toMatchObject({ data: { flagged: true } });
    expect(events[2]).toMatchObject({ data: { authenticityMilli: 800, xp: 180 } }); // 100 × 1.5 × 0.8 × 1.5
  });

  it('reject: rejected by review', () => {
    spec.given(flagged).when(review('s1', 'reject')).then([
      { type: 'SubmissionReviewed', data: { submissionId: 's1', reviewerId: REVIEWER, decision: 'reject', reviewedAt: now } },
      { type: 'SubmissionRejected', data: { submissionId: 's1', reason: 'review', rejectedAt: now } },
    ]);
  });

  it('refuses an unflagged or decided submission, and a review of one’s own', () => {
    spec.given(history(submit('s1'))).when(review('s1', 'approve')).thenThrows('submission_not_flagged');
    spec.given(history(submit('s1', { accuracyCm: 9_000 }), review('s1', 'reject'))).when(review('s1', 'approve')).thenThrows('submission_already_decided');
    spec.given(flagged).when(review('s1', 'approve', PLAYER)).thenThrows('cannot_review_own_submission');
    spec.given(flagged).when(review('s2', 'approve')).thenThrows('submission_not_found');
  });
});

describe('player decider: the token ledger', () => {
  const funded = history(submit('s1', { quest: instantQuest('q1') })); // 3 000 000 minted

  it('sends from the balance, never below zero', () => {
    spec.given(funded).when(send(3_000_000)).then([{ type: 'TokensSent', data: { transferId: 'tr-1', from: PLAYER, to: WITNESS_1, amount: 3_000_000, balanceAfter: 0, sentAt: now } }]);
    spec.given(funded).when(send(3_000_001)).thenThrows('insufficient_tokens', { balance: 3_000_000, amount: 3_000_001 });
    spec.given([]).when(send(1)).thenThrows('insufficient_tokens');
  });

  it('refuses a transfer to oneself, a non-positive or inexact amount, and a transfer id sent before with other terms', () => {
    spec.given(funded).when(send(1, PLAYER)).thenThrows('transfer_to_self');
    spec.given(funded).when(send(0)).thenThrows('token_amount_out_of_range');
    spec.given(funded).when(send(-1)).thenThrows('token_amount_out_of_range');
    spec.given(funded).when(send(1.5)).thenThrows('token_amount_out_of_range');
    spec.given(history(submit('s1', { quest: instantQuest('q1') }), send(1))).when(send(2)).thenThrows('transfer_exists');
    spec.given(history(submit('s1', { quest: instantQuest('q1') }), send(1))).when(send(1, WITNESS_2)).thenThrows('transfer_exists');
  });

  it('the same transfer again (a retry) decides no second debit', () => {
    spec.given(history(submit('s1', { quest: instantQuest('q1') }), send(1))).when(send(1)).then([]);
  });

  it('credits a transfer once: the same transfer id again decides nothing', () => {
    spec.given([]).when(receive(500)).then([{ type: 'TokensReceived', data: { transferId: 'tr-9', from: WITNESS_1, to: PLAYER, amount: 500, balanceAfter: 500, receivedAt: now } }]);
    spec.given(history(receive(500))).when(receive(500)).then([]);
    expect(state(history(receive(500), receive(500), receive(700, 'tr-10'))).balance).toBe(1_200);
  });

  it('redeems (burns) from the balance, exactly all of it at most', () => {
    spec.given(funded).when(redeem(3_000_000)).then([{ type: 'TokensRedeemed', data: { playerId: PLAYER, amount: 3_000_000, item: 'sapling', balanceAfter: 0, redeemedAt: now } }]);
    spec.given(funded).when(redeem(3_000_001)).thenThrows('insufficient_tokens');
    spec.given(funded).when(redeem(0)).thenThrows('token_amount_out_of_range');
  });

  it('the balance is what was minted and received less what was sent and redeemed, and every step stays ≥ 0', () => {
    const events = history(submit('s1', { quest: instantQuest('q1') }), send(1_000_000), receive(250_000), redeem(2_250_000));
    expect(state(events).balance).toBe(0);
    const balances = events.flatMap((e) => ('balanceAfter' in e.data ? [e.data.balanceAfter as number] : []));
    expect(balances).toEqual([3_000_000, 2_000_000, 2_250_000, 0]);
  });
});
