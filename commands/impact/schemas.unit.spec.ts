import { describe, expect, it } from 'vitest';
import { DomainError } from '../decider.ts';
import { requireActsForPlayer, requireQuestMaster } from './authority.ts';
import { createQuestSchema, defineZoneSchema, redeemSchema, reviewSchema, submitEvidenceSchema, transferSchema, witnessSchema } from './schemas.ts';

const ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7';

describe('impact schemas', () => {
  it('a zone: coordinates to micro-degrees, priority 1.0–2.0 to hundredths', () => {
    expect(defineZoneSchema.parse({ zoneId: 'z1', name: 'Delta', region: 'camargue', center: { lat: 43.533, lon: -4.6331234 }, radiusM: 500, priority: 1.25 })).toEqual({
      zoneId: 'z1',
      name: 'Delta',
      region: 'camargue',
      centerLat: 43_533_000,
      centerLon: -4_633_123,
      radiusM: 500,
      priorityHundredths: 125,
    });
    const zone = { zoneId: 'z1', name: 'Delta', region: 'camargue', center: { lat: 0, lon: 0 }, radiusM: 500, priority: 1 };
    expect(defineZoneSchema.safeParse({ ...zone, priority: 2 }).success).toBe(true);
    expect(defineZoneSchema.safeParse({ ...zone, priority: 2.01 }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, priority: 0.99 }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, priority: 1.255 }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, center: { lat: 90.0001, lon: 0 } }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, center: { lat: 0, lon: -180.1 } }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, name: 'De\u0000lta' }).success).toBe(false);
    expect(defineZoneSchema.safeParse({ ...zone, radiusM: 10.5 }).success).toBe(false);
  });

  it('a quest: difficulty, witnesses 0..5, instants to epoch ms, absent ones null', () => {
    const quest = { questId: 'q1', title: 'Clean', category: 'cleanup', zoneId: 'z1', difficulty: 'epic', baseXp: 100, tokenReward: 5_000_000, witnessesRequired: 5 };
    expect(createQuestSchema.parse({ ...quest, closesAt: '2030-01-01T00:00:00Z' })).toEqual({ ...quest, opensAt: null, closesAt: Date.UTC(2030, 0, 1) });
    expect(createQuestSchema.safeParse({ ...quest, witnessesRequired: 6 }).success).toBe(false);
    expect(createQuestSchema.safeParse({ ...quest, witnessesRequired: -1 }).success).toBe(false);
    expect(createQuestSchema.safeParse({ ...quest, difficulty: 'legendary' }).success).toBe(false);
    expect(createQuestSchema.safeParse({ ...quest, tokenReward: 1.5 }).success).toBe(false);
  });

  it('a submission: flattened to the integers events record; teamSize 1..50, default 1', () => {
    const body = { submissionId: 's1', evidence: { sha256: 'AB'.repeat(32) }, location: { lat: 43.5331205, lon: 4.633, accuracyM: 15 }, capturedAt: '2030-01-10T11:59:00Z' };
    expect(submitEvidenceSchema.parse(body)).toEqual({
      submissionId: 's1',
      sha256: 'ab'.repeat(32),
      uri: '',
      lat: 43_533_121,
      lon: 4_633_000,
      accuracyCm: 1500,
      capturedAt: Date.UTC(2030, 0, 10, 11, 59),
      teamSize: 1,
    });
    expect(submitEvidenceSchema.safeParse({ ...body, teamSize: 50 }).success).toBe(true);
    expect(submitEvidenceSchema.safeParse({ ...body, teamSize: 51 }).success).toBe(false);
    expect(submitEvidenceSchema.safeParse({ ...body, teamSize: 0 }).success).toBe(false);
    expect(submitEvidenceSchema.safeParse({ ...body, location: { ...body.location, accuracyM: -1 } }).success).toBe(false);
    expect(submitEvidenceSchema.safeParse({ ...body, evidence: { sha256: 'xyz' } }).success).toBe(false);
    expect(submitEvidenceSchema.safeParse({ ...body, evidence: { sha256: 'ab'.repeat(32), uri: 'https://e.example/a\u0007' } }).success).toBe(false);
  });

  it('votes, reviews, transfers and redemptions', () => {
    expect(witnessSchema.parse({ submitterId: ADDRESS.toLowerCase(), approve: true })).toEqual({ submitterId: ADDRESS, approve: true });
    expect(reviewSchema.safeParse({ submitterId: ADDRESS, decision: 'maybe' }).success).toBe(false);
    expect(transferSchema.safeParse({ to: ADDRESS, amount: 1 }).success).toBe(true);
    expect(transferSchema.safeParse({ to: ADDRESS, amount: 0 }).success).toBe(false);
    expect(transferSchema.safeParse({ to: ADDRESS, amount: 1.5 }).success).toBe(false);
    expect(transferSchema.safeParse({ to: ADDRESS, amount: Number.MAX_SAFE_INTEGER }).success).toBe(false);
    expect(redeemSchema.safeParse({ amount: 5, item: '' }).success).toBe(false);
  });
});

describe('impact authority', () => {
  const code = (run: () => void) => {
    try {
      run();
      return 'ok';
    } catch (error) {
      return (error as DomainError).code;
    }
  };

  it('zones, quests and reviews take role quest-master or admin', () => {
    expect(code(() => requireQuestMaster({ subject: 'qm', grants: [{ role: 'quest-master' }] }, 'create quests'))).toBe('ok');
    expect(code(() => requireQuestMaster({ subject: 'root', grants: [{ role: 'admin' }] }, 'create quests'))).toBe('ok');
    expect(code(() => requireQuestMaster({ subject: ADDRESS, grants: [] }, 'create quests'))).toBe('forbidden');
    expect(code(() => requireQuestMaster({ subject: ADDRESS, grants: [{ role: 'convener' }] }, 'create quests'))).toBe('forbidden');
  });

  it('tokens leave a balance only by its player or an admin', () => {
    expect(code(() => requireActsForPlayer({ subject: ADDRESS, grants: [] }, ADDRESS, 'transfer'))).toBe('ok');
    expect(code(() => requireActsForPlayer({ subject: 'root', grants: [{ role: 'admin' }] }, ADDRESS, 'transfer'))).toBe('ok');
    expect(code(() => requireActsForPlayer({ subject: 'other', grants: [{ role: 'quest-master' }] }, ADDRESS, 'transfer'))).toBe('forbidden');
  });
});
