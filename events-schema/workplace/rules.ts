// The workplace rules of seed 000, defined once: the command schemas and deciders enforce them, the score
// read model applies them, the error messages state them. Plain values only.
import type { CertificationLevel, ComponentScores } from './events.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every score is on this scale, in points: each component of a review, and the overall score. */
export const SCORE_MIN = 0;
export const SCORE_MAX = 100;

/**
 * Weights of the components in percent. They sum to 100, so Σ weight × score is the overall score in
 * hundredths of a point, exactly.
 */
export const componentWeights: Readonly<ComponentScores> = {
  managementQuality: 30,
  cultureEnvironment: 25,
  fairnessEquity: 20,
  transparency: 15,
  growthDevelopment: 10,
};

/** A company's score is published from this many submissions on; an engagement needs a published score. */
export const MINIMUM_SAMPLE_SIZE = 5;

/** A score below this (in hundredths of a point) allows an admin to watch-list the company. */
export const LOW_SCORE_THRESHOLD = 4000;

/** A person may review the same company again only after this many days. */
export const REVIEW_INTERVAL_DAYS = 90;
export const REVIEW_INTERVAL_MS = REVIEW_INTERVAL_DAYS * DAY_MS;

/** A company has this many days to answer an engagement (seed 000: RESPONSE_DEADLINE). */
export const RESPONSE_WINDOW_DAYS = 60;
export const RESPONSE_WINDOW_MS = RESPONSE_WINDOW_DAYS * DAY_MS;

/** Certification fees in US cents: money is integer minor units, never floats. */
export const certificationFeesMinor: Readonly<Record<CertificationLevel, number>> = {
  bronze: 5_000_00,
  silver: 15_000_00,
  gold: 35_000_00,
  platinum: 75_000_00,
};
export const CERTIFICATION_CURRENCY = 'USD';
