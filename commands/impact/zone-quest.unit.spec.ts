import { describe, expect, it } from 'vitest';
import type { EvidenceEvent, QuestEvent, ZoneEvent } from '../../events-schema/impact/events.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { evidenceDecider, isDuplicateClaim } from './evidence.ts';
import { questDecider, requireOpenQuest, type CreateQuest, type QuestCommand } from './quest.ts';
import { zoneDecider, type ZoneCommand, type ZoneState } from './zone.ts';
import { DomainError } from '../decider.ts';

const now = Date.UTC(2030, 0, 10, 12);
const zoneData = { zoneId: 'z1', name: 'Delta', region: 'camargue', centerLat: 43_533_000, centerLon: 4_633_000, radiusM: 500, priorityHundredths: 150, definedBy: 'qm' };
const define = (data: Partial<typeof zoneData> = {}): ZoneCommand => ({ type: 'DefineZone', data: { ...zoneData, ...data, now } });
const defined: ZoneEvent = { type: 'ZoneDefined', data: { ...zoneData, definedAt: now - 1000 } };
const zone: ZoneState = frozenFold(zoneDecider, [defined]);

describe('zone decider', () => {
  const spec = deciderSpec(zoneDecider);

  it('defines a zone once', () => {
    spec.given([]).when(define()).then([{ type: 'ZoneDefined', data: { ...zoneData, definedAt: now } }]);
    spec.given([defined]).when(define()).thenThrows('zone_exists');
  });

  it('takes a priority of 1.00 to 2.00 only', () => {
    spec.given([]).when(define({ priorityHundredths: 100 })).then([expect.objectContaining({ type: 'ZoneDefined' }) as ZoneEvent]);
    spec.given([]).when(define({ priorityHundredths: 200 })).then([expect.objectContaining({ type: 'ZoneDefined' }) as ZoneEvent]);
    spec.given([]).when(define({ priorityHundredths: 99 })).thenThrows('priority_out_of_range');
    spec.given([]).when(define({ priorityHundredths: 201 })).thenThrows('priority_out_of_range');
  });
});

describe('quest decider', () => {
  const spec = deciderSpec(questDecider);
  const create = (data: Partial<CreateQuest['data']> = {}): QuestCommand => ({
    type: 'CreateQuest',
    data: {
      questId: 'q1',
      title: 'Clean the bank',
      category: 'cleanup',
      zoneId: 'z1',
      difficulty: 'hard',
      baseXp: 100,
      tokenReward: 1_000_000,
      opensAt: null,
      closesAt: null,
      witnessesRequired: 2,
      zone,
      createdBy: 'qm',
      now,
      ...data,
    },
  });
  const created: QuestEvent = {
    type: 'QuestCreated',
    data: {
      questId: 'q1',
      title: 'Clean the bank',
      category: 'cleanup',
      zoneId: 'z1',
      region: 'camargue',
      centerLat: 43_533_000,
      centerLon: 4_633_000,
      radiusM: 500,
      priorityHundredths: 150,
      difficulty: 'hard',
      baseXp: 100,
      tokenReward: 1_000_000,
      opensAt: null,
      closesAt: null,
      witnessesRequired: 2,
      createdBy: 'qm',
      createdAt: now,
    },
  };
  const close: QuestCommand = { type: 'CloseQuest', data: { questId: 'q1', closedBy: 'qm', now } };

  it('creates a quest in a defined zone, copying the zone’s region, centre, radius and priority', () => {
    spec.given([]).when(create()).then([created]);
    spec.given([]).when(create({ zone: { status: 'none' } })).thenThrows('zone_not_found');
    spec.given([created]).when(create()).thenThrows('quest_exists');
  });

  it('refuses a window that closes before it opens or in the past', () => {
    spec.given([]).when(create({ opensAt: now + 10, closesAt: now + 10 })).thenThrows('invalid_quest_window');
    spec.given([]).when(create({ closesAt: now })).thenThrows('invalid_quest_window');
    spec.given([]).when(create({ opensAt: now + 10, closesAt: now + 11 })).then([{ ...created, data: { ...created.data, opensAt: now + 10, closesAt: now + 11 } }]);
  });

  it('closes an open quest once', () => {
    spec.given([created]).when(close).then([{ type: 'QuestClosed', data: { questId: 'q1', closedBy: 'qm', closedAt: now } }]);
    spec.given([created, { type: 'QuestClosed', data: { questId: 'q1', closedBy: 'qm', closedAt: now } }]).when(close).thenThrows('quest_already_closed');
    spec.given([]).when(close).thenThrows('quest_not_found');
  });

  it('takes submissions from opensAt (included) until closesAt (excluded)', () => {
    const window = frozenFold(questDecider, [{ ...created, data: { ...created.data, opensAt: now, closesAt: now + 1000 } }]);
    const code = (at: number) => {
      try {
        requireOpenQuest(window, 'q1', at);
        return 'open';
      } catch (error) {
        return (error as DomainError).code;
      }
    };
    expect([code(now - 1), code(now), code(now + 999), code(now + 1000)]).toEqual(['quest_not_open_yet', 'open', 'open', 'quest_closed']);
  });
});

describe('evidence claim decider', () => {
  const spec = deciderSpec(evidenceDecider);
  const claim = (submissionId: string) => ({ type: 'ClaimEvidence' as const, data: { sha256: 'ab'.repeat(32), submissionId, playerId: 'p1', now } });
  const claimed = { type: 'EvidenceClaimed' as const, data: { sha256: 'ab'.repeat(32), submissionId: 's1', playerId: 'p1', claimedAt: now } };

  it('the first submission of a hash claims it; a later one records its claim after it; a retry records nothing', () => {
    spec.given([]).when(claim('s1')).then([claimed]);
    spec.given([claimed]).when(claim('s1')).then([]);
    const second = claim('s2');
    const secondClaim: EvidenceEvent = { type: 'EvidenceClaimed', data: { ...claimed.data, submissionId: 's2', playerId: second.data.playerId, claimedAt: second.data.now } };
    spec.given([claimed]).when(second).then([secondClaim]);
    spec.given([claimed, secondClaim]).when(second).then([]);
    // The first claim still holds the hash: s2 is the duplicate, s1 is not.
    const state = frozenFold(evidenceDecider, [claimed, secondClaim]);
    expect([isDuplicateClaim(state, 's1'), isDuplicateClaim(state, 's2')]).toEqual([false, true]);
  });

  it('a hash held by another submission is a duplicate; held by this one (a retry) it is not', () => {
    const state = frozenFold(evidenceDecider, [claimed]);
    expect(isDuplicateClaim(state, 's1')).toBe(false);
    expect(isDuplicateClaim(state, 's2')).toBe(true);
    expect(isDuplicateClaim(evidenceDecider.initialState(), 's1')).toBe(false);
  });
});
