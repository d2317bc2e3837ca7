// What an append means when some of its event ids are already recorded (port: idempotent retries).
// Pure: the adapter finds the existing events (through the LSN index, or by reading the stream after
// EventStoreDB reports a conflict) and this decides between "write it", "replay" and "duplicate".
import { DuplicateEventIdError, type AppendResult } from '../../../ports/event-store.ts';

/** An event already in the log whose id the append also carries. Stream ids are the port's (logical) ids. */
export type ExistingEvent = {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  readonly lsn: number;
};

export type PriorAppend =
  | { readonly kind: 'none' }
  | { readonly kind: 'replay'; readonly result: AppendResult }
  | { readonly kind: 'duplicate'; readonly error: DuplicateEventIdError };

/**
 * The same rule as the PostgreSQL adapter (one contract for both):
 * - no id recorded anywhere → `none`: go ahead and write;
 * - every id recorded in this stream, in the order of the request → `replay`: the result describing those
 *   events (the original append's result when the request is repeated as it was), nothing written;
 * - otherwise → `duplicate`, naming the first offending id: an id recorded in another stream or out of order,
 *   or, when only some ids are recorded, the first recorded one.
 */
export function classifyPriorAppend(
  streamId: string,
  eventIds: readonly string[],
  existing: readonly ExistingEvent[],
): PriorAppend {
  const recorded = new Map<string, ExistingEvent>();
  for (const event of existing) {
    const id = event.eventId.toLowerCase();
    if (!recorded.has(id)) recorded.set(id, event);
  }
  const found = eventIds.map((id) => recorded.get(id.toLowerCase()));
  const firstRecorded = found.find((event) => event !== undefined);
  if (!firstRecorded) return { kind: 'none' };

  const events: ExistingEvent[] = [];
  for (const event of found) {
    if (!event) return duplicate(streamId, firstRecorded);
    const previous = events[events.length - 1];
    if (event.streamId !== streamId || (previous && event.revision <= previous.revision)) return duplicate(streamId, event);
    events.push(event);
  }
  const last = events[events.length - 1] ?? firstRecorded;
  return {
    kind: 'replay',
    result: { nextExpectedRevision: last.revision, firstLsn: firstRecorded.lsn, lastLsn: last.lsn, idempotentReplay: true },
  };
}

function duplicate(streamId: string, existing: ExistingEvent): PriorAppend {
  return { kind: 'duplicate', error: new DuplicateEventIdError(existing.eventId, streamId, existing.streamId) };
}
