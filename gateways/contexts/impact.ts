// The impact context (seed 001, OneHeart: quests, verified evidence, XP, an append-only token ledger,
// leaderboards and a monthly impact ledger with Merkle proofs).
import { createTransferCompletion, TRANSFER_GRACE_MS } from '../../commands/impact/transfer-completion.ts';
import { impactEventTypes } from '../../events-schema/impact/events.ts';
import { impactProjection } from '../../projections/impact/impact-projection.ts';
import { pendingTransfers } from '../../projections/impact/queries.ts';
import { impactErrors } from '../http/routes/impact-errors.ts';
import { impactRoutes } from '../http/routes/impact.ts';
import { defineContext } from './bounded-context.ts';

export const impact = defineContext({
  name: 'impact',
  eventTypes: impactEventTypes,
  routes: impactRoutes,
  errors: impactErrors,
  projections: [impactProjection],
  processes: [
    {
      command: 'transfers',
      name: 'impact-transfers',
      usage: `credit transfers debited over ${TRANSFER_GRACE_MS / 1000} s ago and never credited (cut off between\ndebit and credit; reads the impact read model; safe to run more than one)`,
      // Reads pending transfers from the impact read model (its own worker keeps it current) and credits them
      // from the senders' streams; any number of these processes may run at once (see transfer-completion.ts).
      readsReadModels: true,
      create: ({ eventStore, db, logger }) =>
        createTransferCompletion({ eventStore, pendingTransfers: (sentBefore, limit, after) => pendingTransfers(db.knex, sentBefore, limit, after), logger }),
    },
  ],
});
