// Deciding a batch of appends, in memory and without I/O: given what the log held when the batch was read,
// which requests are accepted, replayed or rejected, and which rows (with which LSNs) get written.
//
// Requests are decided in queue order. Each one sees the effect of the accepted requests before it in the
// same batch (stream revisions, event ids), exactly as if they had been committed one by one.
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  matchesExpectedRevision,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
} from '../../../ports/event-store.ts';

export type AppendRequest = {
  streamId: string;
  /** Event ids are lower-case (PostgreSQL prints uuids that way). */
  events: readonly EventToAppend[];
  expectedRevision: ExpectedRevision;
};

export type StreamPosition = { revision: number; lastLsn: number };
export type RecordedPosition = { streamId: string; revision: number; lsn: number };

/** The part of the log a batch depends on, read in one snapshot. */
export type LogState = {
  headLsn: number;
  /** Streams the batch touches that exist, with their last revision and that event's LSN. */
  streams: ReadonlyMap<string, StreamPosition>;
  /** Event ids of the batch that are already recorded, and where. */
  recordedEvents: ReadonlyMap<string, RecordedPosition>;
};

export type EventRow = EventToAppend & { lsn: number; streamId: string; revision: number };

export type AppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: Error };

export type AppendPlan = {
  /** One per request, same order. */
  outcomes: AppendOutcome[];
  /** Rows to insert, in LSN order: headLsn + 1, headLsn + 2, … */
  rows: EventRow[];
  /** New position of every stream that gets rows. */
  streamPositions: Map<string, StreamPosition>;
  /** The head after the write (= state.headLsn when nothing is written). */
  lastLsn: number;
};

export function planBatch(requests: readonly AppendRequest[], state: LogState): AppendPlan {
  const streams = new Map(state.streams);
  const recorded = new Map(state.recordedEvents);
  const rows: EventRow[] = [];
  const streamPositions = new Map<string, StreamPosition>();
  let lastLsn = state.headLsn;

  const outcomes = requests.map((request): AppendOutcome => {
    const { streamId, events, expectedRevision } = request;

    // 1. Ids already recorded: a full replay returns the original result, anything else is a conflict.
    const earlier = findRecorded(request, recorded);
    if (earlier) return earlier;

    // 2. Optimistic concurrency against the stream as it stands after the earlier requests of the batch.
    const stream = streams.get(streamId);
    const actual = stream?.revision ?? null;
    if (!matchesExpectedRevision(expectedRevision, actual)) {
      return { ok: false, error: new WrongExpectedRevisionError(streamId, expectedRevision, actual) };
    }
    if (events.length === 0) {
      // Nothing to write: report where the stream stands (revision -1 and LSN 0 when it does not exist).
      const lsn = stream?.lastLsn ?? 0;
      return { ok: true, result: { nextExpectedRevision: actual ?? -1, firstLsn: lsn, lastLsn: lsn, idempotentReplay: false } };
    }

    // 3. Accept: the next revisions of the stream, the next LSNs of the log.
    const firstLsn = lastLsn + 1;
    let revision = actual ?? -1;
    for (const event of events) {
      revision += 1;
      lastLsn += 1;
      rows.push({ ...event, lsn: lastLsn, streamId, revision });
      recorded.set(event.eventId, { streamId, revision, lsn: lastLsn });
    }
    streams.set(streamId, { revision, lastLsn });
    streamPositions.set(streamId, { revision, lastLsn });
    return { ok: true, result: { nextExpectedRevision: revision, firstLsn, lastLsn, idempotentReplay: false } };
  });

  return { outcomes, rows, streamPositions, lastLsn };
}

/**
 * Undefined when none of the request's ids is recorded. A replay when all of them are recorded in this
 * stream in the same order: the result describes those events (the original append's result when the
 * request is repeated as it was). Otherwise a DuplicateEventIdError naming the first offending id.
 */
function findRecorded(request: AppendRequest, recorded: ReadonlyMap<string, RecordedPosition>): AppendOutcome | undefined {
  const positions = request.events.map((event) => recorded.get(event.eventId));
  const firstRecorded = positions.findIndex((position) => position !== undefined);
  if (firstRecorded === -1) return undefined;

  let previous: RecordedPosition | undefined;
  for (const [index, position] of positions.entries()) {
    if (position === undefined) {
      // Some ids were appended before, this one was not: not a retry of the same append.
      return duplicate(request, request.events[firstRecorded]!.eventId, positions[firstRecorded]!.streamId);
    }
    if (position.streamId !== request.streamId || (previous && position.revision <= previous.revision)) {
      return duplicate(request, request.events[index]!.eventId, position.streamId);
    }
    previous = position;
  }
  const first = positions[0]!;
  const last = positions[positions.length - 1]!;
  return { ok: true, result: { nextExpectedRevision: last.revision, firstLsn: first.lsn, lastLsn: last.lsn, idempotentReplay: true } };
}

function duplicate(request: AppendRequest, eventId: string, existingStreamId: string): AppendOutcome {
  return { ok: false, error: new DuplicateEventIdError(eventId, request.streamId, existingStreamId) };
}
