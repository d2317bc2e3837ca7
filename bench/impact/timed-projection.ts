// The impact projection with each applyBatch timed (its SQL inside the runtime's transaction, which also holds
// the checkpoint update and the commit): how many events a batch held and how long its statements took, to tell
// the projection's own work from the rest of a completion's way to the read model.
import type { ImpactEvent } from '../../events-schema/impact/events.ts';
import { impactProjection } from '../../projections/impact/impact-projection.ts';
import type { Projection } from '../../projections/projection.ts';
import { epochNow } from '../support/pipeline-trace.ts';

export type AppliedBatch = { startedAt: number; events: number; ms: number };

export function timedImpactProjection(record: (batch: AppliedBatch) => void): Projection<ImpactEvent> {
  return {
    ...impactProjection,
    async applyBatch(events, trx) {
      const startedAt = epochNow();
      await impactProjection.applyBatch(events, trx);
      record({ startedAt, events: events.length, ms: epochNow() - startedAt });
    },
  };
}
