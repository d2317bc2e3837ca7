import { describe, it } from 'vitest';
import type { SubmissionScored } from '../../events-schema/workplace/events.ts';
import { deciderSpec } from '../testing/decider-spec.ts';
import type { CompanyState } from './company.ts';
import { REVIEW_INTERVAL_MS } from '../../events-schema/workplace/rules.ts';
import { reviewDecider, type SubmitReview } from './review.ts';

const spec = deciderSpec(reviewDecider);
const now = 1_700_000_000_000;
const acme: CompanyState = { status: 'registered', companyId: 'acme', name: 'Acme', engagements: 0, pending: null, certification: null, watchListed: null };
const scores = { managementQuality: 80, cultureEnvironment: 60, fairnessEquity: 40, transparency: 20, growthDevelopment: 100 };
const submit = (data: Partial<SubmitReview['data']> = {}): SubmitReview => ({
  type: 'SubmitReview',
  data: { companyId: 'acme', reviewerPseudonym: 'p1', scores, now, company: acme, ...data },
});
const scored = (submittedAt: number): SubmissionScored => ({
  type: 'SubmissionScored',
  // 0.30·80 + 0.25·60 + 0.20·40 + 0.15·20 + 0.10·100 = 24 + 15 + 8 + 3 + 10 = 60.00
  data: { companyId: 'acme', reviewerPseudonym: 'p1', ...scores, overallScore: 6000, submittedAt },
});

describe('review decider', () => {
  it('scores a first review with its weighted overall score in hundredths', () => {
    spec.given([]).when(submit()).then([scored(now)]);
  });

  it('refuses a review of a company that is not registered', () => {
    spec.given([]).when(submit({ company: { status: 'none' } })).thenThrows('company_not_found', { companyId: 'acme' });
  });

  it('refuses a second review by the same person within 90 days, saying when the next is allowed', () => {
    const first = now - REVIEW_INTERVAL_MS + 1;
    spec.given([scored(first)]).when(submit()).thenThrows('review_too_soon', { nextAllowedAt: first + REVIEW_INTERVAL_MS });
  });

  it('accepts the next review 90 days after the last one, and measures from the latest', () => {
    spec.given([scored(now - REVIEW_INTERVAL_MS)]).when(submit()).then([scored(now)]);
    spec.given([scored(now - 2 * REVIEW_INTERVAL_MS), scored(now - 10)]).when(submit()).thenThrows('review_too_soon');
  });
});
