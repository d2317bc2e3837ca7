// The one generic command handler: load the stream, fold it, decide, append with the revision decided on.
import type { EventMetadata, EventStore, RecordedEvent } from '../ports/event-store.ts';
import { WrongExpectedRevisionError } from '../ports/event-store.ts';
import { decodeEvent, encodeEvent, type ProoflineEvent } from '../events-schema/index.ts';
import type { Command, Decider } from './decider.ts';
import { deterministicUuid, newEventId } from './event-ids.ts';

/** What every command carries besides its data: where it came from and its Idempotency-Key. */
export type CommandContext = { metadata: EventMetadata; idempotencyKey?: string };

export type HandleOptions = {
  metadata?: EventMetadata;
  /** Derives event ids from this key instead of random ones: a retried command appends nothing new. */
  idempotencyKey?: string;
  /** How many times to reload and decide again when another writer moved the stream meanwhile. */
  maxRetries?: number;
  /**
   * For commands that almost always start a stream (a ballot): decide against the initial state and append
   * with `no_stream` without reading first. If the stream exists after all, the conflict sends the
   * command down the normal path: load, decide again (which then refuses or replays).
   */
  assumeNewStream?: boolean;
};

export type CommandResult<State, E> = {
  streamId: string;
  state: State;
  events: E[];
  eventIds: string[];
  /** LSN of the last event appended (or replayed); null when the decision produced no event. */
  lastLsn: number | null;
  nextExpectedRevision: number | null;
};

export type LoadedStream<State> = { state: State; revision: number | null; recorded: RecordedEvent[] };

export async function aggregateStream<State, C extends Command, E extends ProoflineEvent>(
  eventStore: EventStore,
  decider: Decider<State, C, E>,
  streamId: string,
): Promise<LoadedStream<State>> {
  const { currentRevision, events } = await eventStore.readStream(streamId);
  let state = decider.initialState();
  for (const recorded of events) state = decider.evolve(state, decodeEvent(recorded.data) as E);
  return { state, revision: currentRevision, recorded: events };
}

/** The id of a command's `index`-th event: derived from its Idempotency-Key (so the store recognises a retry), else random. */
export function eventIdFor(idempotencyKey: string | undefined, streamId: string, index: number): string {
  return idempotencyKey ? deterministicUuid(idempotencyKey, streamId, String(index)) : newEventId();
}

/** The metadata recorded with a command's events: the request's, and the Idempotency-Key replays are recognised by. */
export function recordedMetadata(context: CommandContext): EventMetadata {
  return { ...context.metadata, ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}) };
}

export async function handleCommand<State, C extends Command, E extends ProoflineEvent>(
  eventStore: EventStore,
  decider: Decider<State, C, E>,
  streamId: string,
  command: C,
  options: HandleOptions = {},
): Promise<CommandResult<State, E>> {
  const maxRetries = options.maxRetries ?? 3;
  const idFor = (index: number) => eventIdFor(options.idempotencyKey, streamId, index);
  const metadata = recordedMetadata({ metadata: options.metadata ?? {}, ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) });

  for (let attempt = 0; ; attempt++) {
    // 1. Load and fold the stream.
    const loaded: LoadedStream<State> =
      options.assumeNewStream && attempt === 0
        ? { state: decider.initialState(), revision: null, recorded: [] }
        : await aggregateStream(eventStore, decider, streamId);

    // 2. A retry of a command that already went through answers as the first time did.
    const replay = options.idempotencyKey ? replayOf(loaded, idFor(0)) : undefined;
    if (replay) return { streamId, ...replay, events: replay.events as E[] };

    // 3. Decide (pure; throws DomainError on a broken rule).
    const events = decider.decide(command, loaded.state);
    if (events.length === 0) {
      return { streamId, state: loaded.state, events, eventIds: [], lastLsn: null, nextExpectedRevision: loaded.revision };
    }

    // 4. Append, expecting the stream exactly as it was loaded.
    const eventIds = events.map((_, index) => idFor(index));
    try {
      const appended = await eventStore.appendToStream(
        streamId,
        events.map((event, index) => ({
          eventId: eventIds[index]!,
          type: event.type,
          data: encodeEvent(event),
          metadata,
        })),
        { expectedRevision: loaded.revision ?? 'no_stream' },
      );
      return {
        streamId,
        state: events.reduce(decider.evolve, loaded.state),
        events,
        eventIds,
        lastLsn: appended.lastLsn,
        nextExpectedRevision: appended.nextExpectedRevision,
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && attempt < maxRetries) continue;
      throw error;
    }
  }
}

function replayOf<State, E extends ProoflineEvent>(loaded: LoadedStream<State>, firstEventId: string) {
  const start = loaded.recorded.findIndex((event) => event.eventId === firstEventId);
  if (start < 0) return undefined;
  // The events of the first run are the ones whose ids were derived from the same key, in order.
  const recorded = loaded.recorded.slice(start).filter((event) => event.metadata.idempotencyKey === loaded.recorded[start]!.metadata.idempotencyKey);
  const last = recorded[recorded.length - 1]!;
  return {
    state: loaded.state,
    events: recorded.map((event) => decodeEvent(event.data) as E),
    eventIds: recorded.map((event) => event.eventId),
    lastLsn: last.lsn,
    nextExpectedRevision: loaded.revision,
  };
}
