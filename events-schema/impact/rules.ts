// The impact rules, defined once: the deciders apply them, the read models and the error messages state
// them. Plain values and pure functions only, on the integer units the events record (micro-degrees,
// centimetres, hundredths, thousandths, micro-units, epoch ms).
import type { Difficulty, Multipliers, Tier } from './events.ts';

export const SECOND_MS = 1000;
export const HOUR_MS = 60 * 60 * SECOND_MS;
export const DAY_MS = 24 * HOUR_MS;

// ---- Units -------------------------------------------------------------------------------------------

/** Degrees as integer micro-degrees (× 1e6, rounded half away from zero). */
export function toMicroDegrees(degrees: number): number {
  const micro = Math.round(Math.abs(degrees) * 1_000_000);
  return degrees < 0 ? -micro : micro;
}

/** Metres as integer centimetres (rounded half up): 15.004 m is 1500 cm and passes the accuracy check. */
export function toCentimetres(metres: number): number {
  return Math.round(metres * 100);
}

/** A priority of 1.0–2.0 as integer hundredths (1.25 → 125). */
export function toHundredths(value: number): number {
  return Math.round(value * 100);
}

export const MIN_PRIORITY_HUNDREDTHS = 100;
export const MAX_PRIORITY_HUNDREDTHS = 200;
export const MAX_WITNESSES_REQUIRED = 5;
export const MAX_TEAM_SIZE = 50;

// ---- Distance ----------------------------------------------------------------------------------------

/** The mean Earth radius the haversine uses, metres (IUGG mean radius, rounded to the metre). */
export const EARTH_RADIUS_M = 6_371_000;

/** Great-circle distance in metres between two points given in micro-degrees (haversine). */
export function haversineM(latA: number, lonA: number, latB: number, lonB: number): number {
  const rad = Math.PI / 180 / 1_000_000;
  const φ1 = latA * rad;
  const φ2 = latB * rad;
  const Δφ = (latB - latA) * rad;
  const Δλ = (lonB - lonA) * rad;
  const h = Math.sin(Δφ / 2) ** 2 + Math.cos(φ1) * Math.cos(φ2) * Math.sin(Δλ / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

// ---- The automatic checks of a submission ------------------------------------------------------------

/** Tolerance beyond a zone's radius, metres. */
export const ZONE_TOLERANCE_M = 50;
/** outside_zone: farther than radius + 50 m from the centre (exactly radius + 50 m is inside). */
export function isOutsideZone(distanceM: number, radiusM: number): boolean {
  return distanceM > radiusM + ZONE_TOLERANCE_M;
}

/** The worst GPS accuracy accepted, centimetres (15 m). */
export const MAX_ACCURACY_CM = 1500;
/** poor_accuracy: accuracy worse than 15 m (exactly 15 m passes). */
export function isPoorAccuracy(accuracyCm: number): boolean {
  return accuracyCm > MAX_ACCURACY_CM;
}

/** The fastest plausible movement between two submissions, km/h. */
export const MAX_SPEED_KMH = 100;
/**
 * impossible_movement: faster than 100 km/h between two captures (exactly 100 km/h passes). Without a
 * division: distanceM / 1000 km over |Δt| / 3 600 000 h > 100 ⇔ distanceM × 36 > |Δt| in ms. Two captures at
 * the same instant are impossible unless at the same place.
 */
export function isImpossibleMovement(distanceM: number, elapsedMs: number): boolean {
  return distanceM * (3_600_000 / 1000 / MAX_SPEED_KMH) > Math.abs(elapsedMs);
}

/** burst: another capture by the same player less than 1 s apart (|Δ| < 1000 ms; exactly 1 s apart is not a burst). */
export const BURST_WINDOW_MS = SECOND_MS;
export function isBurst(capturedAt: number, otherCapturedAt: number): boolean {
  return Math.abs(capturedAt - otherCapturedAt) < BURST_WINDOW_MS;
}

/** stale: captured more than 24 h before receipt (exactly 24 h passes), or after receipt (no clock skew is allowed: the same ms passes). */
export const MAX_EVIDENCE_AGE_MS = DAY_MS;
export function isStale(capturedAt: number, receivedAt: number): boolean {
  return capturedAt > receivedAt || receivedAt - capturedAt > MAX_EVIDENCE_AGE_MS;
}

// ---- XP ------------------------------------------------------------------------------------------------

/** Multipliers are integer thousandths: 1000 is ×1.0. */
export const MILLI = 1000;

/** D: easy 1.0, medium 1.5, hard 2.0, epic 3.0. */
export const difficultyMilli: Readonly<Record<Difficulty, number>> = { easy: 1000, medium: 1500, hard: 2000, epic: 3000 };

/** A: 1.0 for a submission verified without a flag, 0.8 for one approved by a review after a flag. */
export function authenticityMilli(flagged: boolean): number {
  return flagged ? 800 : 1000;
}

export const MAX_STREAK_DAYS = 5;
/** S: 1 + 0.1 × consecutive UTC days before today with a verified completion, at most 5. */
export function streakMilli(streakDays: number): number {
  return MILLI + 100 * Math.min(MAX_STREAK_DAYS, Math.max(0, streakDays));
}

/** The UTC day an instant falls on, as days since the epoch. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** Consecutive UTC days before `today` (a utcDay) that `hasCompletion` holds for, counted back from yesterday, at most 5. */
export function streakDaysBefore(today: number, hasCompletion: (day: number) => boolean): number {
  let days = 0;
  while (days < MAX_STREAK_DAYS && hasCompletion(today - 1 - days)) days += 1;
  return days;
}

export const MAX_EXTRA_WITNESSES = 3;
/** W: 1 + 0.1 × approving witnesses beyond the required number, at most 3. */
export function socialMilli(approvals: number, required: number): number {
  return MILLI + 100 * Math.min(MAX_EXTRA_WITNESSES, Math.max(0, approvals - required));
}

/** R: the zone's priority, hundredths to thousandths. */
export function regionalMilli(priorityHundredths: number): number {
  return priorityHundredths * 10;
}

/** T: 1.2 for a team of two or more, else 1.0. */
export function teamMilli(teamSize: number): number {
  return teamSize >= 2 ? 1200 : 1000;
}

/**
 * XP = round(baseXp × D × A × S × W × R × T), computed exactly: the six thousandths multiply as BigInts
 * and the one division rounds half up (x.5 → x+1; XP is never negative, so this is also half away from
 * zero, Math.round's rule), with no floating-point step where 0.1 could drift.
 */
export function xpFor(baseXp: number, m: Multipliers): number {
  const numerator =
    BigInt(baseXp) *
    BigInt(m.difficultyMilli) *
    BigInt(m.authenticityMilli) *
    BigInt(m.streakMilli) *
    BigInt(m.socialMilli) *
    BigInt(m.regionalMilli) *
    BigInt(m.teamMilli);
  const denominator = BigInt(MILLI) ** 6n;
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** Tokens = floor(tokenReward × D), micro-units, exact. */
export function tokensFor(tokenRewardMicros: number, difficulty: Difficulty): number {
  return Number((BigInt(tokenRewardMicros) * BigInt(difficultyMilli[difficulty])) / BigInt(MILLI));
}

// ---- Levels --------------------------------------------------------------------------------------------

/** floor(sqrt(n)) for a non-negative safe integer, exact (a float square root corrected to the integer). */
export function isqrt(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`isqrt of ${n}`);
  let root = Math.floor(Math.sqrt(n));
  while (root * root > n) root -= 1;
  while ((root + 1) * (root + 1) <= n) root += 1;
  return root;
}

/** Level = floor(sqrt(totalXp / 100)) + 1 (= floor(sqrt(floor(totalXp / 100))) + 1, all in integers). */
export function levelFor(totalXp: number): number {
  return isqrt(Math.floor(totalXp / 100)) + 1;
}

/** bronze 1–9, silver 10–24, gold 25–49, platinum 50+. */
export function tierFor(level: number): Tier {
  if (level >= 50) return 'platinum';
  if (level >= 25) return 'gold';
  if (level >= 10) return 'silver';
  return 'bronze';
}

// ---- Witnesses -----------------------------------------------------------------------------------------

/** A submission is rejected by its witnesses once rejections reach a majority of the required number: floor(n / 2) + 1. */
export function rejectionsToReject(witnessesRequired: number): number {
  return Math.floor(witnessesRequired / 2) + 1;
}
