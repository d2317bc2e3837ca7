// The assets context (seed 002, IPheron: a wallet-signed IP asset registry with co-creator shares, royalties
// on every sale, wallets, staking from a reward pool, and provenance anyone can prove against the chain).
import { createAssetsSettlement, SETTLEMENT_ACTOR, SETTLEMENT_GRACE_MS } from '../../commands/assets/settlement.ts';
import { assetsEventTypes } from '../../events-schema/assets/events.ts';
import { assetsProjection } from '../../projections/assets/assets-projection.ts';
import { pendingPurchases, pendingStakes } from '../../projections/assets/queries.ts';
import { assetsErrors } from '../http/routes/assets-errors.ts';
import { assetsRoutes } from '../http/routes/assets.ts';
import { defineContext } from './bounded-context.ts';

export const assets = defineContext({
  name: 'assets',
  eventTypes: assetsEventTypes,
  routes: assetsRoutes,
  errors: assetsErrors,
  projections: [assetsProjection],
  processes: [
    {
      command: 'settlement',
      name: SETTLEMENT_ACTOR,
      usage: `finish purchases and stakes left half done over ${SETTLEMENT_GRACE_MS / 1000} s ago (a request cut off mid-saga;\nreads the assets read model; safe to run more than one)`,
      // Reads what is pending from the assets read model (its own worker keeps it current) and finishes each
      // from the streams; any number of these processes may run at once (see commands/assets/settlement.ts).
      readsReadModels: true,
      create: ({ eventStore, db, logger }) =>
        createAssetsSettlement({
          eventStore,
          pendingPurchases: (startedBefore, limit, after) => pendingPurchases(db.knex, startedBefore, limit, after),
          pendingStakes: (before, limit) => pendingStakes(db.knex, before, limit),
          logger,
        }),
    },
  ],
});
