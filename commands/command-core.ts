// The one way a command reaches the event store. A use case is configured once (decider, stream id,
// event-id policy, conflict retries); every command then goes through the same steps:
//   1. load the stream and fold it (or, for a stream that is almost always new, assume it is new)
//   2. recognise a replay: a command whose first event id is recorded under its own Idempotency-Key is
//      answered with what was recorded (replayOf, the one rule)
//   3. decide the commands in order, each against the state the earlier ones left; each is accepted or
//      refused on its own (decideInOrder)
//   4. append every accepted event at once, expecting the revision loaded (appendDecided)
//   5. on a conflict (another writer moved the stream), wait a jittered backoff and start again at 1
// `commandHandler` runs the steps for one command at a time; stream-writer.ts schedules many commands of a
// hot stream into the same steps. Each command is one span, `command <context>.<Command>`, whose context is
// the traceparent its events carry.
import { randomUUID } from 'node:crypto';
import { context as otelContext, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { decodeEvent, encodeEvent, type ProoflineEvent } from '../events-schema/index.ts';
import type { EventMetadata, EventStore, RecordedEvent } from '../ports/event-store.ts';
import { backoffMs, pause } from '../ports/backoff.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../ports/event-store.ts';
import type { Actor } from './actor.ts';
import type { SnapshotStore } from '../ports/snapshot-store.ts';
import { DomainError, type Command, type Decider, type StateCodec } from './decider.ts';
import { deterministicUuid } from './event-ids.ts';

/**
 * What every command carries besides its data: where it came from, its Idempotency-Key, and who gave it
 * (verified by the gateway; a use case that checks authority refuses a command without one).
 */
/** `ranBy`: told which gateway ran the command when it was routed to its stream's owner (never recorded). */
export type CommandContext = { metadata: EventMetadata; idempotencyKey?: string; actor?: Actor; ranBy?: (memberId: string) => void };

/** A use case, configured once: which decider, on which stream, with which event ids and retries. */
export type UseCase<State, C extends Command, E extends ProoflineEvent> = {
  /** The bounded context: spans are named `command <context>.<command type>`. */
  context: string;
  decider: Decider<State, C, E>;
  streamId(command: C): string;
  /**
   * The id of a command's `index`-th event when the domain fixes it (a crawl's bill: the same id on every
   * stream, so the store refuses a crawl billed twice). Undefined: derived from the Idempotency-Key when
   * there is one (the store recognises a retry), else random.
   */
  eventId?(command: C, index: number): string | undefined;
  /** What a caller whose event id is recorded by another command is told. Default: the DuplicateEventIdError. */
  duplicateError?(command: C, error: DuplicateEventIdError): Error;
  /** Conflicts after which the caller gets WrongExpectedRevisionError instead of another try. Default 3. */
  conflictRetries?: number;
  /**
   * For streams that are almost always new (a ballot): decide against the initial state and append with
   * `no_stream` without reading first; if the stream exists after all, the conflict sends the command
   * down the normal path (load, recognise a replay, decide again).
   */
  assumeNewStream?: boolean;
};

export type CommandResult<State, E> = {
  streamId: string;
  /** The state right after this command's events (for a replay: the stream's state when it was noticed). */
  state: State;
  events: E[];
  eventIds: string[];
  /** LSN of the command's last event (appended or replayed); null when it decided no event. */
  lastLsn: number | null;
};

export type LoadedStream<State> = {
  state: State;
  /** The stream's revision after the events folded; null while the stream does not exist. */
  revision: number | null;
  /** The events read by this load (all of them, unless it continued from an earlier state). */
  recorded: RecordedEvent[];
};

/** Reads the stream after `from` (the whole stream without it) and folds what it read onto `from`'s state. */
export async function loadStream<State, E extends ProoflineEvent>(
  eventStore: EventStore,
  decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>,
  streamId: string,
  from?: { state: State; revision: number | null },
): Promise<LoadedStream<State>> {
  const fromRevision = from?.revision == null ? 0 : from.revision + 1;
  const { currentRevision, events } = await eventStore.readStream(streamId, { fromRevision });
  let state = from?.state ?? decider.initialState();
  for (const recorded of events) state = decider.evolve(state, decodeEvent(recorded.data) as E);
  return { state, revision: events.at(-1)?.revision ?? (from ? from.revision : currentRevision), recorded: events };
}

/** The few logger methods snapshotting uses (pino's Logger has them). */
export type SnapshotLogger = { warn(details: object, message: string): void };

/**
 * Snapshots for a use case whose streams grow long (an escrow): where they are kept, how its state is
 * written, how often. A snapshot only shortens a load; a missing, failed or unreadable one costs a full fold.
 */
export type Snapshots<State> = {
  store: SnapshotStore;
  codec: StateCodec<State>;
  /** Events appended to a stream between two of its snapshots. Default 1000. */
  everyEvents?: number;
  logger: SnapshotLogger;
};

export const DEFAULT_SNAPSHOT_EVERY_EVENTS = 1000;

/**
 * loadStream from the stream's latest snapshot: its state, then the events after its revision. The snapshot
 * is ignored (and the whole stream folded) when it cannot be read, is of another schema version, does not
 * decode, or is ahead of the stream (a snapshot of some other store's stream). `recorded` then holds the
 * events after the snapshot only; `snapshotRevision` says which snapshot was used, null for none.
 */
export async function loadFromSnapshot<State, E extends ProoflineEvent>(
  eventStore: EventStore,
  decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>,
  streamId: string,
  snapshots: Pick<Snapshots<State>, 'store' | 'codec' | 'logger'>,
): Promise<LoadedStream<State> & { snapshotRevision: number | null }> {
  const snapshot = await snapshots.store.read(streamId).catch((error: unknown) => {
    snapshots.logger.warn({ err: error, streamId }, 'snapshot not read; folding the stream from the start');
    return undefined;
  });
  let from: { state: State; revision: number } | undefined;
  if (snapshot && snapshot.schemaVersion === snapshots.codec.schemaVersion) {
    try {
      from = { state: snapshots.codec.decode(snapshot.state), revision: snapshot.revision };
    } catch (error) {
      snapshots.logger.warn({ err: error, streamId, revision: snapshot.revision }, 'snapshot does not decode; folding the stream from the start');
    }
  }
  if (from) {
    const { currentRevision, events } = await eventStore.readStream(streamId, { fromRevision: from.revision + 1 });
    if (currentRevision !== null && currentRevision >= from.revision) {
      let state = from.state;
      for (const recorded of events) state = decider.evolve(state, decodeEvent(recorded.data) as E);
      return { state, revision: events.at(-1)?.revision ?? from.revision, recorded: events, snapshotRevision: from.revision };
    }
    snapshots.logger.warn({ streamId, revision: from.revision, currentRevision }, 'snapshot is ahead of its stream; folding the stream from the start');
  }
  return { ...(await loadStream(eventStore, decider, streamId)), snapshotRevision: null };
}

/** The id of a command's `index`-th event under a use case's policy. */
export function eventIdOf<C extends Command>(useCase: Pick<UseCase<never, C, never>, 'eventId'>, streamId: string, command: C, index: number, context: CommandContext): string {
  return useCase.eventId?.(command, index) ?? (context.idempotencyKey ? deterministicUuid(context.idempotencyKey, streamId, String(index)) : randomUUID());
}

/**
 * The replay rule: a command whose first event id is recorded under its own Idempotency-Key went through
 * before; its answer is the run of events recorded under that key from there. Undefined otherwise (no key,
 * the id is not recorded, or it was recorded by another request: a duplicate, not a replay).
 */
export function replayOf(recorded: readonly RecordedEvent[], firstEventId: string, idempotencyKey: string | undefined): RecordedEvent[] | undefined {
  if (idempotencyKey === undefined) return undefined;
  const start = recorded.findIndex((event) => event.eventId === firstEventId);
  if (start < 0 || recorded[start]!.metadata.idempotencyKey !== idempotencyKey) return undefined;
  const run: RecordedEvent[] = [];
  for (const event of recorded.slice(start)) {
    if (event.metadata.idempotencyKey !== idempotencyKey) break;
    run.push(event);
  }
  return run;
}

/** A replayed command's answer, from its recorded events. */
export function replayResult<State, E>(streamId: string, state: State, run: readonly RecordedEvent[]): CommandResult<State, E> {
  return { streamId, state, events: run.map((event) => decodeEvent(event.data) as E), eventIds: run.map((event) => event.eventId), lastLsn: run.at(-1)!.lsn };
}

/** A command accepted by its decider: its events, their ids and bytes (encoded once), and the state after them. */
export type Decided<State, C, E, T> = { item: T; command: C; events: E[]; eventIds: string[]; encoded: Uint8Array[]; state: State };
export type Refused<T> = { item: T; error: unknown };

/**
 * Decides each command against the state the ones before it left; a refusal (or an event the schema
 * refuses) fails only its own command and leaves the state as it was.
 */
export function decideInOrder<State, C extends Command, E extends ProoflineEvent, T extends { command: C; context: CommandContext }>(
  useCase: UseCase<State, C, E>,
  streamId: string,
  start: State,
  items: readonly T[],
): { accepted: Decided<State, C, E, T>[]; refused: Refused<T>[]; state: State } {
  let state = start;
  const accepted: Decided<State, C, E, T>[] = [];
  const refused: Refused<T>[] = [];
  for (const item of items) {
    try {
      const events = useCase.decider.decide(item.command, state);
      const encoded = events.map((event) => encodeEvent(event));
      const eventIds = events.map((_, index) => eventIdOf(useCase, streamId, item.command, index, item.context));
      state = events.reduce(useCase.decider.evolve, state);
      accepted.push({ item, command: item.command, events, eventIds, encoded, state });
    } catch (error) {
      refused.push({ item, error });
    }
  }
  return { accepted, refused, state };
}

/** Appends the accepted commands' events in one append (all or nothing), expecting the stream at `revision`. */
export function appendDecided<T extends { context: CommandContext }>(
  eventStore: EventStore,
  streamId: string,
  decided: readonly Decided<unknown, unknown, ProoflineEvent, T>[],
  revision: number | null,
) {
  return eventStore.appendToStream(
    streamId,
    decided.flatMap(({ item, events, eventIds, encoded }) =>
      events.map((event, index) => ({ eventId: eventIds[index]!, type: event.type, data: encoded[index]!, metadata: recordedMetadata(item.context) })),
    ),
    { expectedRevision: revision ?? 'no_stream' },
  );
}

/** The metadata recorded with a command's events: the request's, and the Idempotency-Key replays are recognised by. */
export function recordedMetadata(context: CommandContext): EventMetadata {
  return context.idempotencyKey ? { ...context.metadata, idempotencyKey: context.idempotencyKey } : context.metadata;
}

/**
 * Wait before the `conflicts`-th try after a conflict: none before the first (the stream just moved, or a
 * stream assumed new existed), then a random share of 5 ms doubling to 200 ms, so writers that collided
 * do not collide again in step.
 */
export function conflictDelayMs(conflicts: number): number {
  return conflicts <= 1 ? 0 : backoffMs(conflicts - 1, 5, 200);
}


const tracer = trace.getTracer('proofline.commands');
const propagator = new W3CTraceContextPropagator();

/** What a traced command reports about itself before its span ends. */
export type CommandTrace = { conflicts: number; outcome?: 'appended' | 'replayed' | 'no_events' };

/**
 * Runs `work` inside the command's span, a child of the request's trace (the context's traceparent). The
 * command's events carry the span's own context as their traceparent, so a projection's span for an event
 * is a child of the command that caused it.
 */
export function traced<R>(contextName: string, streamId: string, command: Command, commandContext: CommandContext, work: (context: CommandContext, report: CommandTrace) => Promise<R>): Promise<R> {
  const carrier: Record<string, string> = {};
  const { traceparent, tracestate } = commandContext.metadata;
  if (typeof traceparent === 'string') carrier.traceparent = traceparent;
  if (typeof tracestate === 'string') carrier.tracestate = tracestate;
  const parent = propagator.extract(otelContext.active(), carrier, { get: (c, key) => c[key], keys: (c) => Object.keys(c) });
  return tracer.startActiveSpan(`command ${contextName}.${command.type}`, { attributes: { 'proofline.stream_id': streamId } }, parent, async (span) => {
    const report: CommandTrace = { conflicts: 0 };
    try {
      const result = await work(withSpanContext(commandContext, span), report);
      span.setAttributes({ 'proofline.command.outcome': report.outcome ?? 'appended', 'proofline.command.conflicts': report.conflicts });
      return result;
    } catch (error) {
      const refused = error instanceof DomainError;
      span.setAttributes({ 'proofline.command.outcome': refused ? 'refused' : 'failed', 'proofline.command.conflicts': report.conflicts });
      if (refused) span.setAttribute('proofline.command.refusal', error.code);
      else {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The context with the span's trace context as traceparent (unchanged when nothing records spans). */
function withSpanContext(commandContext: CommandContext, span: Span): CommandContext {
  if (!trace.isSpanContextValid(span.spanContext())) return commandContext;
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, { set: (c, key, value) => (c[key] = value) });
  if (!carrier.traceparent || carrier.traceparent === commandContext.metadata.traceparent) return commandContext;
  const metadata: EventMetadata = { ...commandContext.metadata, traceparent: carrier.traceparent };
  if (carrier.tracestate) metadata.tracestate = carrier.tracestate;
  return { ...commandContext, metadata };
}

export type CommandHandler<State, C extends Command, E extends ProoflineEvent> = {
  /**
   * `loaded`: the command's stream as the caller has just loaded it (loadStream, the whole stream), which the
   * first try decides on instead of reading it again; a conflict reloads as always.
   */
  handle(command: C, context: CommandContext, loaded?: LoadedStream<State>): Promise<CommandResult<State, E>>;
};

/** One command at a time: the steps above, for use cases whose streams see few writers at once. */
export function commandHandler<State, C extends Command, E extends ProoflineEvent>(eventStore: EventStore, useCase: UseCase<State, C, E>): CommandHandler<State, C, E> {
  const maxConflicts = useCase.conflictRetries ?? 3;
  return {
    handle(command, commandContext, alreadyLoaded) {
      const streamId = useCase.streamId(command);
      return traced(useCase.context, streamId, command, commandContext, async (context, report) => {
        for (;;) {
          // 1. Load and fold (or, on the first try, take the caller's load, or assume a new stream).
          const firstTry = report.conflicts === 0;
          const loaded: LoadedStream<State> =
            firstTry && alreadyLoaded
              ? alreadyLoaded
              : useCase.assumeNewStream && firstTry
                ? { state: useCase.decider.initialState(), revision: null, recorded: [] }
                : await loadStream(eventStore, useCase.decider, streamId);
          // 2. A retry of a command that already went through answers as the first time did.
          const replay = replayOf(loaded.recorded, eventIdOf(useCase, streamId, command, 0, context), context.idempotencyKey);
          if (replay?.length) {
            report.outcome = 'replayed';
            return replayResult<State, E>(streamId, loaded.state, replay);
          }
          // 3. Decide (pure; a DomainError refuses the command).
          const { accepted, refused } = decideInOrder(useCase, streamId, loaded.state, [{ command, context }]);
          if (refused[0]) throw refused[0].error;
          const decided = accepted[0]!;
          if (decided.events.length === 0) {
            report.outcome = 'no_events';
            return { streamId, state: decided.state, events: [], eventIds: [], lastLsn: null };
          }
          // 4. Append, expecting the stream exactly as it was loaded.
          try {
            const appended = await appendDecided(eventStore, streamId, [decided], loaded.revision);
            report.outcome = appended.idempotentReplay ? 'replayed' : 'appended';
            return { streamId, state: decided.state, events: decided.events, eventIds: decided.eventIds, lastLsn: appended.lastLsn };
          } catch (error) {
            // 5. Another writer moved the stream: start again after a pause.
            if (error instanceof WrongExpectedRevisionError && report.conflicts < maxConflicts) {
              report.conflicts += 1;
              await pause(conflictDelayMs(report.conflicts));
              continue;
            }
            if (error instanceof DuplicateEventIdError && useCase.duplicateError) throw useCase.duplicateError(command, error);
            throw error;
          }
        }
      });
    },
  };
}
