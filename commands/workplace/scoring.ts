// The weighted overall score of one review (seed 000's research-backed weights), in integer hundredths.
import type { ComponentScores } from '../../events-schema/workplace/events.ts';

/**
 * Weights in percent. They sum to 100, so Σ weight × score (scores 0–100) is the overall score in
 * hundredths of a point, exactly: integer arithmetic, no rounding, no float in any event.
 */
export const componentWeights: Readonly<ComponentScores> = {
  managementQuality: 30,
  cultureEnvironment: 25,
  fairnessEquity: 20,
  transparency: 15,
  growthDevelopment: 10,
};

/** Overall score in hundredths of a point (0–10000). */
export function overallScoreHundredths(scores: ComponentScores): number {
  return (
    componentWeights.managementQuality * scores.managementQuality +
    componentWeights.cultureEnvironment * scores.cultureEnvironment +
    componentWeights.fairnessEquity * scores.fairnessEquity +
    componentWeights.transparency * scores.transparency +
    componentWeights.growthDevelopment * scores.growthDevelopment
  );
}

/** A score below this (40 points, in hundredths) allows an admin to watch-list the company. */
export const LOW_SCORE_THRESHOLD = 4000;
