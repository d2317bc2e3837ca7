// One delivered batch, applied inside the caller's projection transaction (lock held, search_path set):
//   1. lock the partition's checkpoint row
//   2. keep the events not applied before, of types the projection reads   (batch-plan.ts)
//   3. park what must wait: streams already parked, events that do not decode   (batch-plan.ts)
//   4. apply the rest as one batch; if the projection refuses it, apply event by event, each in a savepoint,
//      and park the refused event's stream
//   5. record the parked events, move the checkpoint (with any records of another store skipped), notify
// The caller commits: read-model change, parked events and checkpoint become visible together or not at all.
import { decodeEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { planApplication, selectFresh, waitingBehind, type DecodedEvent, type ParkEntry } from './batch-plan.ts';
import { advanceCheckpoint, lockCheckpoint, recordForeignRecords } from './checkpoint-store.ts';
import { parkedStreamsAmong, parkEvents } from './parking.ts';
import { messageOf, projectionChannel } from './projection-schema.ts';
import type { SourceBatch } from '../../ports/projection-source.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { isTransientError } from './transient-errors.ts';

export type BatchOutcome = {
  /** The partition's applied LSN after this batch. */
  appliedLsn: number;
  applied: number;
  /** The events applied (read-model changed), in LSN order; `applied` is their count. */
  appliedEvents: RecordedEvent[];
  parked: ParkEntry[];
  alreadyApplied: number;
  notHandled: number;
};

export async function applySourceBatch(trx: SqlTransaction, projection: Projection, batch: SourceBatch): Promise<BatchOutcome> {
  const appliedLsn = await lockCheckpoint(trx, batch);
  const fresh = selectFresh(batch.events, appliedLsn, new Set(projection.canHandle));
  const parkedStreams = await parkedStreamsAmong(trx, fresh.handled.map((event) => event.streamId));
  const plan = planApplication(fresh.handled, parkedStreams, decodeEvent);
  const refused = await applyWithFallback(trx, projection, plan.apply);
  const refusedEvents = new Set(refused.map((entry) => entry.event));
  const appliedEvents = plan.apply.map((e) => e.recorded).filter((event) => !refusedEvents.has(event));
  const parked = [...plan.park, ...refused].sort((a, b) => a.event.lsn - b.event.lsn);
  await parkEvents(trx, parked);

  // In a partition, events come in LSN order: having the last one means having all before it.
  const lastLsn = batch.events.at(-1)?.lsn ?? 0;
  const newAppliedLsn = await advanceCheckpoint(trx, batch, Math.max(batch.watermarkLsn, lastLsn), batch.nextOffset);
  if (batch.foreignRecords) await recordForeignRecords(trx, batch, batch.foreignRecords);
  if (newAppliedLsn > appliedLsn) await trx.raw('select pg_notify(?, ?)', [projectionChannel(projection.name), String(newAppliedLsn)]);
  return {
    appliedLsn: newAppliedLsn,
    applied: appliedEvents.length,
    appliedEvents,
    parked,
    alreadyApplied: fresh.alreadyApplied,
    notHandled: fresh.notHandled,
  };
}

/** Applies the events, all at once if the projection accepts them; returns the ones it refused, to park. */
async function applyWithFallback(trx: SqlTransaction, projection: Projection, events: readonly DecodedEvent[]): Promise<ParkEntry[]> {
  if (events.length === 0) return [];
  try {
    await trx.transaction((savepoint) => projection.applyBatch(events.map((e) => e.projected), savepoint));
    return [];
  } catch (error) {
    if (isTransientError(error)) throw error;
  }
  // The whole batch was rolled back to the savepoint. Find the refused events one at a time.
  const refused: ParkEntry[] = [];
  const blockedBy = new Map<string, string>();
  for (const { recorded, projected } of events) {
    const blocked = blockedBy.get(recorded.streamId);
    if (blocked) {
      refused.push({ event: recorded, error: blocked });
      continue;
    }
    try {
      await trx.transaction((savepoint) => projection.applyBatch([projected], savepoint));
    } catch (error) {
      if (isTransientError(error)) throw error;
      refused.push({ event: recorded, error: `${projection.name} refused ${recorded.type}: ${messageOf(error)}` });
      blockedBy.set(recorded.streamId, waitingBehind(recorded));
    }
  }
  return refused;
}
