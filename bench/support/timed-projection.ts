// A projection with each applyBatch timed (its SQL inside the runtime's transaction, which also holds the
// checkpoint update and the commit): how many events a batch held and how long its statements took, to tell
// the projection's own work from the rest of an event's way to the read model.
import type { ProoflineEvent } from '../../events-schema/index.ts';
import type { Projection } from '../../projections/projection.ts';
import { epochNow } from './pipeline-trace.ts';

export type AppliedBatch = { startedAt: number; events: number; ms: number };

export function timedProjection<E extends ProoflineEvent>(projection: Projection<E>, record: (batch: AppliedBatch) => void): Projection<E> {
  return {
    ...projection,
    async applyBatch(events, trx) {
      const startedAt = epochNow();
      await projection.applyBatch(events, trx);
      record({ startedAt, events: events.length, ms: epochNow() - startedAt });
    },
  };
}
