// One reviewer's submissions about one company, in a stream of its own: `review-<companyId>:<pseudonym>`.
//
// Like ballots: reviewers never contend with each other or with the company's stream, and "one review per
// person and company per review interval" is decided on this small stream alone. The first review is a
// `no_stream` append; a later one finds the stream and is refused or accepted by its date. The company's
// state (registered or not) is read, not written, and handed over with the command.
import type { ComponentScores, SubmissionScored } from '../../events-schema/workplace/events.ts';
import { REVIEW_INTERVAL_DAYS, REVIEW_INTERVAL_MS } from '../../events-schema/workplace/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
import type { CompanyState } from './company.ts';
import { overallScoreHundredths } from './scoring.ts';

export type SubmitReview = Command<
  'SubmitReview',
  { companyId: string; reviewerPseudonym: string; scores: ComponentScores; now: number; company: CompanyState }
>;
export type ReviewCommand = SubmitReview;
export type ReviewEvent = SubmissionScored;
export type ReviewState = { lastSubmittedAt: number | null };

export const reviewStreamId = (companyId: string, reviewerPseudonym: string) => `review-${companyId}:${reviewerPseudonym}`;

export function decide(command: ReviewCommand, state: ReviewState): ReviewEvent[] {
  switch (command.type) {
    case 'SubmitReview': {
      const { companyId, reviewerPseudonym, scores, now, company } = command.data;
      if (company.status === 'none') throw new DomainError('company_not_found', `company ${companyId} is not registered`, { companyId });
      if (state.lastSubmittedAt !== null && now < state.lastSubmittedAt + REVIEW_INTERVAL_MS) {
        // Says when, never who: the refusal must not help anyone confirm a guessed identity beyond this.
        throw new DomainError('review_too_soon', `a review of company ${companyId} by the same person was submitted less than ${REVIEW_INTERVAL_DAYS} days ago`, {
          companyId,
          nextAllowedAt: state.lastSubmittedAt + REVIEW_INTERVAL_MS,
        });
      }
      const { managementQuality, cultureEnvironment, fairnessEquity, transparency, growthDevelopment } = scores;
      return [
        {
          type: 'SubmissionScored',
          data: {
            companyId,
            reviewerPseudonym,
            managementQuality,
            cultureEnvironment,
            fairnessEquity,
            transparency,
            growthDevelopment,
            overallScore: overallScoreHundredths(scores),
            submittedAt: now,
          },
        },
      ];
    }
    default:
      return assertNever(command.type);
  }
}

export function evolve(_state: ReviewState, event: ReviewEvent): ReviewState {
  return { lastSubmittedAt: event.data.submittedAt };
}

export const initialState = (): ReviewState => ({ lastSubmittedAt: null });

export const reviewDecider: Decider<ReviewState, ReviewCommand, ReviewEvent> = { decide, evolve, initialState };
