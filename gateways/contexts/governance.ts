// The governance context (seed 003: decisions, weighted citizen / expert / community votes).
import type { GovernanceEvent } from '../../events-schema/index.ts';
import { governanceProjection } from '../../projections/governance/governance-projection.ts';
import { governanceEventTypes } from '../../events-schema/governance/events.ts';
import { governanceErrors } from '../http/routes/governance-errors.ts';
import { governanceRoutes } from '../http/routes/governance.ts';
import { defineContext } from './bounded-context.ts';

export const governance = defineContext({
  name: 'governance',
  eventTypes: governanceEventTypes,
  routes: governanceRoutes,
  errors: governanceErrors,
  projections: [governanceProjection],
  processes: [],
});
