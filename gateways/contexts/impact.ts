// The impact context (seed 001, OneHeart: quests, verified evidence, XP, an append-only token ledger,
// leaderboards and a monthly impact ledger with Merkle proofs).
import { impactEventTypes } from '../../events-schema/impact/events.ts';
import { impactProjection } from '../../projections/impact/impact-projection.ts';
import { impactErrors } from '../http/routes/impact-errors.ts';
import { impactRoutes } from '../http/routes/impact.ts';
import { defineContext } from './bounded-context.ts';

export const impact = defineContext({
  name: 'impact',
  eventTypes: impactEventTypes,
  routes: impactRoutes,
  errors: impactErrors,
  projections: [impactProjection],
  processes: [],
});
