// The workplace context (seed 000: anonymous scored reviews, company scores, the 60-day engagement,
// certification and the public watch list).
import type { WorkplaceEvent } from '../../events-schema/index.ts';
import { eventTypesOf } from '../../projections/projection.ts';
import { workplaceProjection } from '../../projections/workplace/workplace-projection.ts';
import { workplaceErrors } from '../http/routes/workplace-errors.ts';
import { workplaceRoutes } from '../http/routes/workplace.ts';
import { defineContext } from './bounded-context.ts';

export const workplace = defineContext({
  name: 'workplace',
  eventTypes: eventTypesOf<WorkplaceEvent>({
    CompanyRegistered: true,
    SubmissionScored: true,
    EngagementInitiated: true,
    CertificationIssued: true,
    CompanyWatchListed: true,
    CompanyDelisted: true,
  }),
  routes: workplaceRoutes,
  errors: workplaceErrors,
  projections: [workplaceProjection],
});
