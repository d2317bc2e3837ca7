import { describe, expect, it } from 'vitest';
import type { ComponentScores } from '../../events-schema/workplace/events.ts';
import { meanOverallHundredths, summarizeScore, tCritical95, type ScoreTally } from './score-statistics.ts';

/** The tally the read model keeps, built here the plain way from (components, overall in hundredths). */
function tallyOf(reviews: Array<[ComponentScores, number]>): ScoreTally {
  const sum = (pick: (c: ComponentScores) => number) => reviews.reduce((total, [c]) => total + pick(c), 0);
  return {
    sampleSize: reviews.length,
    componentSums: {
      managementQuality: sum((c) => c.managementQuality),
      cultureEnvironment: sum((c) => c.cultureEnvironment),
      fairnessEquity: sum((c) => c.fairnessEquity),
      transparency: sum((c) => c.transparency),
      growthDevelopment: sum((c) => c.growthDevelopment),
    },
    overallSum: reviews.reduce((total, [, overall]) => total + BigInt(overall), 0n),
    overallSumOfSquares: reviews.reduce((total, [, overall]) => total + BigInt(overall) ** 2n, 0n),
  };
}
const uniform = (score: number): [ComponentScores, number] => [
  { managementQuality: score, cultureEnvironment: score, fairnessEquity: score, transparency: score, growthDevelopment: score },
  score * 100,
];

describe('t critical values (95 %, two-sided)', () => {
  it('matches the table for small samples and the known values beyond it, approaching z = 1.96', () => {
    expect(tCritical95(4)).toBe(2.7764);
    expect(tCritical95(30)).toBe(2.0423);
    expect(tCritical95(31)).toBeCloseTo(2.0395, 4);
    expect(tCritical95(40)).toBeCloseTo(2.0211, 4);
    expect(tCritical95(60)).toBeCloseTo(2.0003, 4);
    expect(tCritical95(120)).toBeCloseTo(1.9799, 4);
    expect(tCritical95(100_000)).toBeCloseTo(1.96, 3);
    expect(() => tCritical95(0)).toThrow(RangeError);
  });
});

describe('score summary', () => {
  it('is insufficient_data below 5 submissions', () => {
    expect(summarizeScore(tallyOf([uniform(50), uniform(60), uniform(70), uniform(80)]))).toEqual({
      status: 'insufficient_data',
      sampleSize: 4,
      minimumSampleSize: 5,
    });
    expect(summarizeScore(tallyOf([]))).toMatchObject({ status: 'insufficient_data', sampleSize: 0 });
  });

  it('publishes from 5 on: component means, overall mean, and mean ± t(n−1)·s/√n', () => {
    // Overall 50, 60, 70, 80, 90: mean 70, s = √250 = 15.811, s/√5 = 7.0711, t(4) = 2.7764 → ± 19.632.
    const summary = summarizeScore(tallyOf([uniform(50), uniform(60), uniform(70), uniform(80), uniform(90)]));
    expect(summary).toEqual({
      status: 'published',
      sampleSize: 5,
      overallScore: 70,
      components: { managementQuality: 70, cultureEnvironment: 70, fairnessEquity: 70, transparency: 70, growthDevelopment: 70 },
      confidenceInterval: { level: 0.95, lower: 50.37, upper: 89.63, marginOfError: 19.63 },
    });
  });

  it('averages each component on its own, and the overall mean is the weighted mean of the component means', () => {
    const reviews: Array<[ComponentScores, number]> = [
      [{ managementQuality: 80, cultureEnvironment: 60, fairnessEquity: 40, transparency: 20, growthDevelopment: 100 }, 6000],
      [{ managementQuality: 81, cultureEnvironment: 64, fairnessEquity: 49, transparency: 36, growthDevelopment: 25 }, 5800],
      [{ managementQuality: 0, cultureEnvironment: 0, fairnessEquity: 0, transparency: 0, growthDevelopment: 0 }, 0],
      [{ managementQuality: 100, cultureEnvironment: 100, fairnessEquity: 100, transparency: 100, growthDevelopment: 100 }, 10000],
      [{ managementQuality: 1, cultureEnvironment: 2, fairnessEquity: 3, transparency: 4, growthDevelopment: 5 }, 250],
      [{ managementQuality: 50, cultureEnvironment: 50, fairnessEquity: 50, transparency: 50, growthDevelopment: 51 }, 5010],
    ];
    const summary = summarizeScore(tallyOf(reviews));
    if (summary.status !== 'published') throw new Error('expected a published score');
    expect(summary.components).toEqual({ managementQuality: 52, cultureEnvironment: 46, fairnessEquity: 40.33, transparency: 35, growthDevelopment: 46.83 });
    // (6000 + 5800 + 0 + 10000 + 250 + 5010) / 6 = 4510 hundredths
    expect(summary.overallScore).toBe(45.1);
    const weighted = 0.3 * (312 / 6) + 0.25 * (276 / 6) + 0.2 * (242 / 6) + 0.15 * (210 / 6) + 0.1 * (281 / 6);
    expect(summary.overallScore).toBeCloseTo(weighted, 2);
    expect(summary.confidenceInterval.lower).toBeLessThan(45.1);
    expect(summary.confidenceInterval.upper).toBeGreaterThan(45.1);
  });

  it('has a zero-width interval when every review agrees, and clamps the interval to 0–100', () => {
    const same = summarizeScore(tallyOf(Array.from({ length: 7 }, () => uniform(64))));
    expect(same).toMatchObject({ overallScore: 64, confidenceInterval: { lower: 64, upper: 64, marginOfError: 0 } });
    const extreme = summarizeScore(tallyOf([uniform(0), uniform(0), uniform(0), uniform(0), uniform(100)]));
    expect(extreme).toMatchObject({ overallScore: 20, confidenceInterval: { lower: 0 } });
  });

  it('stays exact where floats would cancel: n·Σx² − (Σx)² is computed in integers (sums past 2^53)', () => {
    // 1,234,567,891 identical reviews: the variance is exactly 0; in doubles the two ~1.7e25 terms round
    // apart and the difference can come out negative (a NaN interval).
    const n = 1_234_567_891;
    const tally: ScoreTally = {
      sampleSize: n,
      componentSums: { managementQuality: 33 * n, cultureEnvironment: 33 * n, fairnessEquity: 33 * n, transparency: 33 * n, growthDevelopment: 33 * n },
      overallSum: BigInt(n) * 3333n,
      overallSumOfSquares: BigInt(n) * 3333n ** 2n,
    };
    expect(tally.overallSumOfSquares > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(summarizeScore(tally)).toMatchObject({ overallScore: 33.33, confidenceInterval: { lower: 33.33, upper: 33.33, marginOfError: 0 } });
  });

  it('publishes the overall mean rounded exactly as the commands record it (half up, no float drift)', () => {
    // 9 reviews at 40.00 and one at 39.95: the mean is exactly 39.995 points (3999.5 hundredths). The engagement
    // and low-score commands record Math.round(3999.5) = 4000; the published score must say 40, not 39.99
    // (39.995 * 100 is 3999.4999… in doubles), or an admin is refused score_not_low for a company shown below 40.
    const at3995: [ComponentScores, number] = [
      { managementQuality: 40, cultureEnvironment: 39, fairnessEquity: 41, transparency: 40, growthDevelopment: 40 },
      3995,
    ];
    const tally = tallyOf([...Array.from({ length: 9 }, () => uniform(40)), at3995]);
    expect(meanOverallHundredths(tally)).toBe(4000);
    expect(summarizeScore(tally)).toMatchObject({ overallScore: 40 });
  });

  it('rounds component means half up from their integer sums (no float drift)', () => {
    // managementQuality 23 / 40 reviews = 0.575 exactly: 0.58, not 0.57 (0.575 * 100 is 57.4999… in doubles).
    const one: [ComponentScores, number] = [{ ...uniform(0)[0], managementQuality: 1 }, 30];
    const reviews = Array.from({ length: 40 }, (_, i) => (i < 23 ? one : uniform(0)));
    const summary = summarizeScore(tallyOf(reviews));
    expect(summary).toMatchObject({ components: { managementQuality: 0.58 } });
  });

  it('rounds the mean overall score to integer hundredths for the engagement commands', () => {
    expect(meanOverallHundredths({ sampleSize: 3, overallSum: 10001n })).toBe(3334);
    expect(meanOverallHundredths({ sampleSize: 0, overallSum: 0n })).toBe(0);
  });
});
