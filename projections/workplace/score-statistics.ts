// A company's published score from its running sums: the mean of each component and of the overall
// score, and a 95 % confidence interval of the overall mean (Student's t, from the minimum sample size on).
// Pure, so the maths is unit-tested without a database.
import { scoreComponents, type ComponentScores } from '../../events-schema/workplace/events.ts';
import { MINIMUM_SAMPLE_SIZE, SCORE_MAX, SCORE_MIN } from '../../events-schema/workplace/rules.ts';
import type { ScoreSummary } from '../../ports/read-models/workplace.ts';

/** Sums kept by the read model: order-independent, so submissions may be applied in any order. */
export type ScoreTally = {
  sampleSize: number;
  componentSums: ComponentScores;
  /** Σ overall and Σ overall², both in hundredths (²). BigInt: Σx² over many reviews passes 2^53. */
  overallSum: bigint;
  overallSumOfSquares: bigint;
};


/** Two-sided 95 % critical values of Student's t for 1–30 degrees of freedom. */
const T_975 = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098,
  2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];
const Z_975 = 1.959963984540054;

/** t(0.975, df): the table up to 30, then the Cornish–Fisher expansion around z (error < 1e-5 there). */
export function tCritical95(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${degreesOfFreedom}`);
  if (degreesOfFreedom <= T_975.length) return T_975[degreesOfFreedom - 1]!;
  const z = Z_975;
  const v = degreesOfFreedom;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  const g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160;
  return z + g1 / v + g2 / v ** 2 + g3 / v ** 3 + g4 / v ** 4;
}

const toHundredths = (points: number) => Math.round(points * 100) / 100;
/**
 * sum / n rounded half up to hundredths, from the integer sum: `toHundredths(sum / n)` would round an exact
 * half the wrong way whenever x.xx5 has no exact double (39.995 * 100 is 3999.4999…).
 */
const meanInHundredths = (sum: number, n: number) => Math.round((sum * 100) / n) / 100;

export function summarizeScore(tally: ScoreTally): ScoreSummary {
  const n = tally.sampleSize;
  if (n < MINIMUM_SAMPLE_SIZE) return { status: 'insufficient_data', sampleSize: n, minimumSampleSize: MINIMUM_SAMPLE_SIZE };

  const components = Object.fromEntries(scoreComponents.map((name) => [name, meanInHundredths(tally.componentSums[name], n)])) as ComponentScores;
  const meanHundredths = Number(tally.overallSum) / n;
  // Sample variance (n − 1), exact in integers until the last division: (nΣx² − (Σx)²) / (n(n − 1)).
  const big = BigInt(n);
  const varianceNumerator = big * tally.overallSumOfSquares - tally.overallSum * tally.overallSum;
  const variance = Number(varianceNumerator) / (n * (n - 1));
  const margin = (tCritical95(n - 1) * Math.sqrt(variance / n)) / 100;
  const mean = meanHundredths / 100;
  return {
    status: 'published',
    sampleSize: n,
    // The same rounding the engagement and low-score commands record (meanOverallHundredths): what the public
    // sees is what a listing rests on.
    overallScore: meanOverallHundredths(tally) / 100,
    components,
    // Clamped to the scale: no score lies outside it.
    confidenceInterval: {
      level: 0.95,
      lower: toHundredths(Math.max(SCORE_MIN, mean - margin)),
      upper: toHundredths(Math.min(SCORE_MAX, mean + margin)),
      marginOfError: toHundredths(margin),
    },
  };
}

/** The overall mean in integer hundredths, as the engagement commands record it. */
export function meanOverallHundredths(tally: Pick<ScoreTally, 'sampleSize' | 'overallSum'>): number {
  return tally.sampleSize === 0 ? 0 : Math.round(Number(tally.overallSum) / tally.sampleSize);
}
