import { describe, expect, it } from 'vitest';
import {
  authenticityMilli,
  DAY_MS,
  difficultyMilli,
  haversineM,
  isBurst,
  isImpossibleMovement,
  isOutsideZone,
  isPoorAccuracy,
  isqrt,
  isStale,
  levelFor,
  regionalMilli,
  rejectionsToReject,
  socialMilli,
  streakDaysBefore,
  streakMilli,
  teamMilli,
  tierFor,
  toCentimetres,
  toHundredths,
  toMicroDegrees,
  tokensFor,
  utcDay,
  xpFor,
} from './rules.ts';
import type { Multipliers } from './events.ts';

const unit: Multipliers = { difficultyMilli: 1000, authenticityMilli: 1000, streakMilli: 1000, socialMilli: 1000, regionalMilli: 1000, teamMilli: 1000 };

describe('impact rules: units', () => {
  it('converts degrees, metres and priorities to the integers events record', () => {
    expect(toMicroDegrees(48.8566)).toBe(48_856_600);
    expect(toMicroDegrees(-2.3522219)).toBe(-2_352_222);
    expect(Object.is(toMicroDegrees(-0), 0)).toBe(true);
    expect(toCentimetres(15)).toBe(1500);
    expect(toCentimetres(4.56)).toBe(456);
    expect(toHundredths(1.25)).toBe(125);
    expect(toHundredths(1.1)).toBe(110);
  });
});

describe('impact rules: distance', () => {
  it('is zero at the same point and about 111.2 km per degree of latitude', () => {
    expect(haversineM(1_000_000, 2_000_000, 1_000_000, 2_000_000)).toBe(0);
    expect(haversineM(0, 0, 1_000_000, 0)).toBeCloseTo((Math.PI / 180) * 6_371_000, 6);
    expect(haversineM(0, 0, 0, 1_000_000)).toBeCloseTo(111_194.93, 1);
  });

  it('is symmetric and handles the antimeridian', () => {
    expect(haversineM(10_000_000, 179_999_000, 10_000_000, -179_999_000)).toBeCloseTo(haversineM(10_000_000, -179_999_000, 10_000_000, 179_999_000), 9);
    expect(haversineM(0, 179_999_000, 0, -179_999_000)).toBeCloseTo(222.39, 1);
  });
});

describe('impact rules: automatic checks at their edges', () => {
  it('outside_zone: exactly radius + 50 m is inside, anything farther is outside', () => {
    expect(isOutsideZone(150, 100)).toBe(false);
    expect(isOutsideZone(150.000001, 100)).toBe(true);
    expect(isOutsideZone(149.999, 100)).toBe(false);
  });

  it('poor_accuracy: exactly 15 m passes, 15.01 m does not', () => {
    expect(isPoorAccuracy(1500)).toBe(false);
    expect(isPoorAccuracy(1501)).toBe(true);
  });

  it('impossible_movement: exactly 100 km/h passes, faster is flagged', () => {
    expect(isImpossibleMovement(1000, 36_000)).toBe(false); // 1 km in 36 s = 100 km/h
    expect(isImpossibleMovement(1000, 35_999)).toBe(true);
    expect(isImpossibleMovement(1000, -36_000)).toBe(false); // captured in the other order
    expect(isImpossibleMovement(100_000, 3_600_000)).toBe(false);
    expect(isImpossibleMovement(100_001, 3_600_000)).toBe(true);
    expect(isImpossibleMovement(0, 0)).toBe(false);
    expect(isImpossibleMovement(1, 0)).toBe(true);
  });

  it('burst: less than one second apart, either way; exactly 1 s is not a burst', () => {
    expect(isBurst(10_000, 10_999)).toBe(true);
    expect(isBurst(10_999, 10_000)).toBe(true);
    expect(isBurst(10_000, 11_000)).toBe(false);
    expect(isBurst(11_000, 10_000)).toBe(false);
    expect(isBurst(10_000, 10_000)).toBe(true);
  });

  it('stale: exactly 24 h old passes, older or from the future is stale', () => {
    const received = Date.UTC(2030, 0, 2);
    expect(isStale(received - DAY_MS, received)).toBe(false);
    expect(isStale(received - DAY_MS - 1, received)).toBe(true);
    expect(isStale(received, received)).toBe(false);
    expect(isStale(received + 1, received)).toBe(true);
  });
});

describe('impact rules: multipliers', () => {
  it('D per difficulty, A per flag, R from hundredths, T from team size', () => {
    expect(difficultyMilli).toEqual({ easy: 1000, medium: 1500, hard: 2000, epic: 3000 });
    expect(authenticityMilli(false)).toBe(1000);
    expect(authenticityMilli(true)).toBe(800);
    expect(regionalMilli(100)).toBe(1000);
    expect(regionalMilli(125)).toBe(1250);
    expect(regionalMilli(200)).toBe(2000);
    expect(teamMilli(1)).toBe(1000);
    expect(teamMilli(2)).toBe(1200);
    expect(teamMilli(50)).toBe(1200);
  });

  it('S: 0.1 per streak day, capped at 5', () => {
    expect([0, 1, 4, 5, 6, 30].map(streakMilli)).toEqual([1000, 1100, 1400, 1500, 1500, 1500]);
  });

  it('counts the streak back from yesterday, UTC, at most 5 days', () => {
    const today = utcDay(Date.UTC(2030, 0, 10, 0, 30));
    expect(utcDay(Date.UTC(2030, 0, 9, 23, 59, 59, 999))).toBe(today - 1);
    const days = (...back: number[]) => new Set(back.map((n) => today - n));
    expect(streakDaysBefore(today, (d) => days(0).has(d))).toBe(0); // today does not count
    expect(streakDaysBefore(today, (d) => days(1, 2, 3).has(d))).toBe(3);
    expect(streakDaysBefore(today, (d) => days(1, 2, 4).has(d))).toBe(2); // a gap ends it
    expect(streakDaysBefore(today, (d) => days(2, 3).has(d))).toBe(0); // yesterday missed
    expect(streakDaysBefore(today, (d) => days(1, 2, 3, 4, 5).has(d))).toBe(5);
    expect(streakDaysBefore(today, (d) => days(1, 2, 3, 4, 5, 6, 7).has(d))).toBe(5);
  });

  it('W: 0.1 per approving witness beyond the required number, at most 3', () => {
    expect(socialMilli(2, 2)).toBe(1000);
    expect(socialMilli(1, 2)).toBe(1000);
    expect(socialMilli(3, 2)).toBe(1100);
    expect(socialMilli(5, 2)).toBe(1300);
    expect(socialMilli(6, 2)).toBe(1300);
  });
});

describe('impact rules: XP and tokens', () => {
  it('multiplies all six and rounds once, half up', () => {
    expect(xpFor(100, unit)).toBe(100);
    expect(xpFor(100, { difficultyMilli: 3000, authenticityMilli: 800, streakMilli: 1500, socialMilli: 1300, regionalMilli: 2000, teamMilli: 1200 })).toBe(1123); // 1123.2
    expect(xpFor(5, { ...unit, difficultyMilli: 1500 })).toBe(8); // 7.5 rounds up
    expect(xpFor(3, { ...unit, authenticityMilli: 800 })).toBe(2); // 2.4
    expect(xpFor(13, { ...unit, teamMilli: 1200 })).toBe(16); // 15.6
    expect(xpFor(0, { ...unit, difficultyMilli: 3000 })).toBe(0);
  });

  it('is exact where floating point drifts: a true .5 is never read as .49999…', () => {
    // 25 × 2.0 × 1.15 = 57.5 exactly; in floating point 57.49999999999999, which Math.round takes to 57.
    expect(25 * 2 * 1.15).toBeLessThan(57.5);
    expect(xpFor(25, { ...unit, difficultyMilli: 2000, regionalMilli: 1150 })).toBe(58);
    // 20 × 3.0 × 1.5 × 1.15 = 103.5 → 104; 25 × 1.15 × 1.2 = 34.5 → 35
    expect(xpFor(20, { ...unit, difficultyMilli: 3000, streakMilli: 1500, regionalMilli: 1150 })).toBe(104);
    expect(xpFor(25, { ...unit, regionalMilli: 1150, teamMilli: 1200 })).toBe(35);
    // just under and just over a half: 15 × 1.5 × 1.1 = 24.75 → 25; 1 × 0.8 × 1.2 = 0.96 → 1; 3 × 0.8 = 2.4 → 2
    expect(xpFor(15, { ...unit, difficultyMilli: 1500, streakMilli: 1100 })).toBe(25);
    expect(xpFor(1, { ...unit, authenticityMilli: 800, teamMilli: 1200 })).toBe(1);
  });

  it('tokens are floor(tokenReward × D), in micro-units', () => {
    expect(tokensFor(1_000_000, 'easy')).toBe(1_000_000);
    expect(tokensFor(1_000_001, 'medium')).toBe(1_500_001); // 1 500 001.5 floored
    expect(tokensFor(3, 'medium')).toBe(4); // 4.5 floored
    expect(tokensFor(1, 'medium')).toBe(1);
    expect(tokensFor(7, 'epic')).toBe(21);
    expect(tokensFor(0, 'hard')).toBe(0);
  });
});

describe('impact rules: levels and tiers', () => {
  it('isqrt is exact', () => {
    expect([0, 1, 3, 4, 8, 9, 80, 81, 99, 100].map(isqrt)).toEqual([0, 1, 1, 2, 2, 3, 8, 9, 9, 10]);
    expect(isqrt(Number.MAX_SAFE_INTEGER)).toBe(94_906_265);
    expect(isqrt(94_906_265 ** 2)).toBe(94_906_265);
    expect(isqrt(94_906_265 ** 2 - 1)).toBe(94_906_264);
  });

  it('level = floor(sqrt(totalXp / 100)) + 1', () => {
    expect(levelFor(0)).toBe(1);
    expect(levelFor(99)).toBe(1);
    expect(levelFor(100)).toBe(2);
    expect(levelFor(399)).toBe(2);
    expect(levelFor(400)).toBe(3);
    expect(levelFor(8_099)).toBe(9);
    expect(levelFor(8_100)).toBe(10);
    expect(levelFor(57_599)).toBe(24);
    expect(levelFor(57_600)).toBe(25);
    expect(levelFor(240_099)).toBe(49);
    expect(levelFor(240_100)).toBe(50);
  });

  it('tiers at 9/10, 24/25, 49/50', () => {
    expect([1, 9, 10, 24, 25, 49, 50, 200].map(tierFor)).toEqual(['bronze', 'bronze', 'silver', 'silver', 'gold', 'gold', 'platinum', 'platinum']);
  });
});

describe('impact rules: witness majority', () => {
  it('rejects once rejections reach floor(n / 2) + 1', () => {
    expect([1, 2, 3, 4, 5].map(rejectionsToReject)).toEqual([1, 2, 2, 3, 3]);
  });
});
