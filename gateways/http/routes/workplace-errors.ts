// The workplace context's error codes (merged into the registry in ../error-registry.ts).
import { LOW_SCORE_THRESHOLD, MINIMUM_SAMPLE_SIZE, RESPONSE_WINDOW_DAYS, REVIEW_INTERVAL_DAYS } from '../../../events-schema/workplace/rules.ts';
import type { ErrorDefinition } from '../errors.ts';

export const workplaceErrors = {
  company_not_found: { status: 404, description: 'No company has this id.' },
  company_exists: { status: 409, description: 'A company with this id is already registered.' },
  review_too_soon: { status: 409, description: `The same person reviewed this company less than ${REVIEW_INTERVAL_DAYS} days ago.` },
  score_not_published: {
    status: 409,
    description: `The company’s score is not published yet (fewer than ${MINIMUM_SAMPLE_SIZE} submissions in the read model).`,
  },
  engagement_pending: { status: 409, description: 'The company has an engagement awaiting its answer.' },
  no_pending_engagement: { status: 409, description: 'The company has no engagement awaiting an answer.' },
  engagement_expired: { status: 409, description: `The engagement’s ${RESPONSE_WINDOW_DAYS}-day deadline has passed.` },
  engagement_not_due: { status: 409, description: 'The engagement’s deadline has not passed yet.' },
  already_watch_listed: { status: 409, description: 'The company is already on the watch list.' },
  not_watch_listed: { status: 409, description: 'The company is not on the watch list.' },
  score_not_low: { status: 422, description: `Only a company scoring below ${LOW_SCORE_THRESHOLD / 100} can be watch-listed by hand.` },
} as const satisfies Record<string, ErrorDefinition>;
