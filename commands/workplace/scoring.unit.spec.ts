import { describe, expect, it } from 'vitest';
import { reviewerPseudonym } from './pseudonym.ts';
import { componentWeights } from '../../events-schema/workplace/rules.ts';
import { overallScoreHundredths } from './scoring.ts';

const uniform = (score: number) => ({
  managementQuality: score,
  cultureEnvironment: score,
  fairnessEquity: score,
  transparency: score,
  growthDevelopment: score,
});

describe('overall score', () => {
  it('weights the components 30 / 25 / 20 / 15 / 10 %', () => {
    expect(componentWeights).toEqual({ managementQuality: 30, cultureEnvironment: 25, fairnessEquity: 20, transparency: 15, growthDevelopment: 10 });
    expect(Object.values(componentWeights).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('counts each component by its weight alone', () => {
    const only = (component: keyof ReturnType<typeof uniform>) => overallScoreHundredths({ ...uniform(0), [component]: 100 });
    expect(only('managementQuality')).toBe(3000);
    expect(only('cultureEnvironment')).toBe(2500);
    expect(only('fairnessEquity')).toBe(2000);
    expect(only('transparency')).toBe(1500);
    expect(only('growthDevelopment')).toBe(1000);
  });

  it('is in integer hundredths: 0 to 10000, and a uniform score is itself', () => {
    expect(overallScoreHundredths(uniform(0))).toBe(0);
    expect(overallScoreHundredths(uniform(100))).toBe(10000);
    expect(overallScoreHundredths(uniform(37))).toBe(3700);
    // 0.30·81 + 0.25·64 + 0.20·49 + 0.15·36 + 0.10·25 = 24.3 + 16 + 9.8 + 5.4 + 2.5 = 58.00
    const mixed = { managementQuality: 81, cultureEnvironment: 64, fairnessEquity: 49, transparency: 36, growthDevelopment: 25 };
    expect(overallScoreHundredths(mixed)).toBe(5800);
    // 0.30·1 + 0.25·2 + 0.20·3 + 0.15·4 + 0.10·5 = 0.3 + 0.5 + 0.6 + 0.6 + 0.5 = 2.50
    expect(overallScoreHundredths({ managementQuality: 1, cultureEnvironment: 2, fairnessEquity: 3, transparency: 4, growthDevelopment: 5 })).toBe(250);
  });
});

describe('reviewer pseudonym', () => {
  const key = Buffer.alloc(32, 7);

  it('is HMAC-SHA256 hex, stable for the same key, company and submitter', () => {
    const pseudonym = reviewerPseudonym(key, 'acme', 'ana@example.com');
    expect(pseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(reviewerPseudonym(key, 'acme', 'ana@example.com')).toBe(pseudonym);
    expect(pseudonym).not.toContain('ana');
  });

  it('differs per key, per company (reviews cannot be linked across companies) and per submitter', () => {
    const pseudonym = reviewerPseudonym(key, 'acme', 'ana');
    expect(reviewerPseudonym(Buffer.alloc(32, 8), 'acme', 'ana')).not.toBe(pseudonym);
    expect(reviewerPseudonym(key, 'globex', 'ana')).not.toBe(pseudonym);
    expect(reviewerPseudonym(key, 'acme', 'bob')).not.toBe(pseudonym);
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(reviewerPseudonym(key, 'ab', 'c')).not.toBe(reviewerPseudonym(key, 'a', 'bc'));
  });
});
