// Deciding, without I/O, what happens to each event of a delivered batch:
//   1. selectFresh       events at or below the checkpoint were applied before: dropped (re-delivery is
//                        harmless); events of types the projection does not read only move the checkpoint.
//   2. planApplication   events of a stream that is parked are parked too (a stream is applied in order or
//                        not at all); an event that does not decode parks its stream; the rest are applied.
import type { ProoflineEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { ProjectedEvent } from '../projection.ts';

/** An event to record in parked_events, with the reason. */
export type ParkEntry = { event: RecordedEvent; error: string };

/** An event to apply: as delivered (kept in case it must be parked) and decoded. */
export type DecodedEvent = { recorded: RecordedEvent; projected: ProjectedEvent };

/** The source broke its contract (events out of LSN order): applying would risk skipping events. */
export class SourceContractError extends Error {
  override readonly name = 'SourceContractError';
}

export type FreshEvents = { handled: RecordedEvent[]; alreadyApplied: number; notHandled: number };

export function selectFresh(events: readonly RecordedEvent[], appliedLsn: number, canHandle: ReadonlySet<string>): FreshEvents {
  const handled: RecordedEvent[] = [];
  let alreadyApplied = 0;
  let notHandled = 0;
  let previousLsn = 0;
  for (const event of events) {
    if (event.lsn < previousLsn) {
      throw new SourceContractError(`batch is not in LSN order: LSN ${event.lsn} after LSN ${previousLsn}`);
    }
    const duplicate = event.lsn === previousLsn;
    previousLsn = event.lsn;
    if (duplicate || event.lsn <= appliedLsn) alreadyApplied += 1;
    else if (!canHandle.has(event.type)) notHandled += 1;
    else handled.push(event);
  }
  return { handled, alreadyApplied, notHandled };
}

export type ApplicationPlan = { apply: DecodedEvent[]; park: ParkEntry[] };

export function planApplication(
  events: readonly RecordedEvent[],
  parkedStreams: ReadonlySet<string>,
  decode: (bytes: Uint8Array) => ProoflineEvent,
): ApplicationPlan {
  const apply: DecodedEvent[] = [];
  const park: ParkEntry[] = [];
  const blockedBy = new Map<string, string>(); // stream → why its later events in this batch wait
  for (const event of events) {
    const blocked = parkedStreams.has(event.streamId) ? `stream ${event.streamId} has parked events` : blockedBy.get(event.streamId);
    if (blocked) {
      park.push({ event, error: blocked });
      continue;
    }
    try {
      apply.push({ recorded: event, projected: toProjected(event, decode(event.data)) });
    } catch (error) {
      park.push({ event, error: `cannot decode ${event.type}: ${error instanceof Error ? error.message : String(error)}` });
      blockedBy.set(event.streamId, waitingBehind(event));
    }
  }
  return { apply, park };
}

export function waitingBehind(event: RecordedEvent): string {
  return `waiting behind parked event at LSN ${event.lsn} of stream ${event.streamId}`;
}

export function toProjected(recorded: RecordedEvent, event: ProoflineEvent): ProjectedEvent {
  return {
    event,
    eventId: recorded.eventId,
    streamId: recorded.streamId,
    revision: recorded.revision,
    lsn: recorded.lsn,
    metadata: recorded.metadata,
    recordedAt: recorded.recordedAt,
    data: recorded.data,
  };
}
