// The weighted overall score of one review (seed 000's research-backed weights), in integer hundredths.
import type { ComponentScores } from '../../events-schema/workplace/events.ts';
import { componentWeights } from '../../events-schema/workplace/rules.ts';

/**
 * Overall score in hundredths of a point: the weights sum to 100, so Σ weight × score is exact — integer
 * arithmetic, no rounding, no float in any event.
 */
export function overallScoreHundredths(scores: ComponentScores): number {
  return (
    componentWeights.managementQuality * scores.managementQuality +
    componentWeights.cultureEnvironment * scores.cultureEnvironment +
    componentWeights.fairnessEquity * scores.fairnessEquity +
    componentWeights.transparency * scores.transparency +
    componentWeights.growthDevelopment * scores.growthDevelopment
  );
}
