import { describe, expect, it } from 'vitest';
import { componentWeights, LOW_SCORE_THRESHOLD, RESPONSE_WINDOW_MS, REVIEW_INTERVAL_MS, SCORE_MAX, SCORE_MIN } from './rules.ts';

const DAY_MS = 86_400_000;

describe('workplace rules', () => {
  it('the windows in milliseconds are seed 000’s days: 90 between reviews, 60 to answer an engagement', () => {
    expect(REVIEW_INTERVAL_MS).toBe(90 * DAY_MS);
    expect(RESPONSE_WINDOW_MS).toBe(60 * DAY_MS);
  });

  it('weights sum to 100 and the low-score line is inside the scale: both in hundredths of a point', () => {
    expect(Object.values(componentWeights).reduce((a, b) => a + b, 0)).toBe(100);
    expect(LOW_SCORE_THRESHOLD).toBeGreaterThan(SCORE_MIN * 100);
    expect(LOW_SCORE_THRESHOLD).toBeLessThan(SCORE_MAX * 100);
  });
});
