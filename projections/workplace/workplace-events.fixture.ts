// Real workplace events for projection and audit tests, with plausible defaults; override any field.
import type {
  CertificationIssued,
  CompanyDelisted,
  CompanyRegistered,
  CompanyWatchListed,
  ComponentScores,
  EngagementInitiated,
  SubmissionScored,
} from '../../events-schema/workplace/events.ts';
import type { StreamEvent } from '../testing/projection-testbed.ts';

export const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/** Overall in hundredths with the 30/25/20/15/10 weights, as the review decider computes it. */
const overall = (s: ComponentScores) =>
  30 * s.managementQuality + 25 * s.cultureEnvironment + 20 * s.fairnessEquity + 15 * s.transparency + 10 * s.growthDevelopment;

export const uniformScores = (score: number): ComponentScores => ({
  managementQuality: score,
  cultureEnvironment: score,
  fairnessEquity: score,
  transparency: score,
  growthDevelopment: score,
});

export function registered(companyId: string, data: Partial<CompanyRegistered['data']> = {}): StreamEvent {
  return { streamId: `company-${companyId}`, event: { type: 'CompanyRegistered', data: { companyId, name: `Company ${companyId}`, registeredAt: T0, registeredBy: 'admin', ...data } } };
}

export function scored(companyId: string, pseudonym: string, scores: ComponentScores, data: Partial<SubmissionScored['data']> = {}): StreamEvent {
  return {
    streamId: `review-${companyId}:${pseudonym}`,
    event: { type: 'SubmissionScored', data: { companyId, reviewerPseudonym: pseudonym, ...scores, overallScore: overall(scores), submittedAt: T0 + 1000, ...data } },
  };
}

export function initiated(companyId: string, data: Partial<EngagementInitiated['data']> = {}): StreamEvent {
  const initiatedAt = data.initiatedAt ?? T0 + DAY;
  return {
    streamId: `company-${companyId}`,
    event: {
      type: 'EngagementInitiated',
      data: { companyId, engagementNumber: 1, initiatedAt, deadline: initiatedAt + 60 * DAY, overallScore: 3500, sampleSize: 5, scoreAsOfLsn: 6, ...data },
    },
  };
}

export function certified(companyId: string, data: Partial<CertificationIssued['data']> = {}): StreamEvent {
  return {
    streamId: `company-${companyId}`,
    event: { type: 'CertificationIssued', data: { companyId, engagementNumber: 1, level: 'gold', feeMinor: 3_500_000, currency: 'USD', issuedAt: T0 + 2 * DAY, ...data } },
  };
}

export function watchListed(companyId: string, data: Partial<CompanyWatchListed['data']> = {}): StreamEvent {
  return {
    streamId: `company-${companyId}`,
    event: {
      type: 'CompanyWatchListed',
      data: { companyId, reason: 'declined', engagementNumber: 1, overallScore: 3500, sampleSize: 5, scoreAsOfLsn: 6, listedAt: T0 + 3 * DAY, ...data },
    },
  };
}

export function delisted(companyId: string, data: Partial<CompanyDelisted['data']> = {}): StreamEvent {
  return { streamId: `company-${companyId}`, event: { type: 'CompanyDelisted', data: { companyId, reason: 'admin', delistedAt: T0 + 4 * DAY, ...data } } };
}
