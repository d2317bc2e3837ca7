// The workplace context (seed 000: anonymous scored reviews, company scores, the engagement a company must
// answer in time, certification and the public watch list).
import { createEngagementDeadlines } from '../../commands/workplace/engagement-deadlines.ts';
import type { WorkplaceEvent } from '../../events-schema/index.ts';
import { RESPONSE_WINDOW_DAYS } from '../../events-schema/workplace/rules.ts';
import { workplaceEventTypes } from '../../events-schema/workplace/events.ts';
import { dueEngagements } from '../../projections/workplace/queries.ts';
import { workplaceProjection } from '../../projections/workplace/workplace-projection.ts';
import { workplaceErrors } from '../http/routes/workplace-errors.ts';
import { workplaceRoutes } from '../http/routes/workplace.ts';
import { defineContext } from './bounded-context.ts';

export const workplace = defineContext({
  name: 'workplace',
  eventTypes: workplaceEventTypes,
  routes: workplaceRoutes,
  errors: workplaceErrors,
  projections: [workplaceProjection],
  processes: [
    {
      command: 'deadlines',
      name: 'engagement-deadlines',
      usage: `watch-list companies whose ${RESPONSE_WINDOW_DAYS}-day engagement deadline passed unanswered (reads\nthe workplace read model; safe to run more than one)`,
      // Reads due engagements from the workplace read model (its own worker keeps it current) and decides on
      // the company streams; any number of these processes may run at once (see engagement-deadlines.ts).
      readsReadModels: true,
      create: ({ eventStore, db, logger }) =>
        createEngagementDeadlines({ eventStore, dueEngagements: (now, limit, after) => dueEngagements(db.knex, now, limit, after), logger }),
    },
  ],
});
