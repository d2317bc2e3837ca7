// The access context: who holds which role, granted and revoked by admins as events.
import { accessEventTypes } from '../../events-schema/access/events.ts';
import { accessProjection } from '../../projections/access/access-projection.ts';
import { accessErrors } from '../http/routes/access-errors.ts';
import { accessRoutes } from '../http/routes/access.ts';
import { defineContext } from './bounded-context.ts';

export const access = defineContext({
  name: 'access',
  eventTypes: accessEventTypes,
  routes: accessRoutes,
  errors: accessErrors,
  projections: [accessProjection],
  processes: [],
});
