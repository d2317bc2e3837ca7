// A single writer per stream for streams that take many commands a second (a platform's escrow).
//
// handleCommand (command-handler.ts) loads, decides and appends one command at a time; on one hot stream,
// concurrent callers then race for the same expected revision and all but one retry, so throughput
// collapses to about one command per round trip. Here, each stream has one in-process writer that
//   1. queues the commands sent to the stream while its previous append is in flight,
//   2. keeps the folded state and its revision in memory (the stream is read once, then only new events),
//   3. decides the queued commands one after another against the evolving state — each one accepted or
//      refused on its own, exactly as if they had been handled in that order,
//   4. appends every accepted event in ONE append with the expected revision: one transaction, all or nothing,
//   5. answers each waiting caller with its own events and LSN, or its own refusal.
// If another process wrote to the stream meanwhile (WrongExpectedRevisionError), or an event id was already
// recorded (DuplicateEventIdError, or an append the store answers as a replay because every id in it was),
// the writer reloads the stream and decides the batch again; a command whose event id is already recorded
// is refused by itself, unless it is a retry: its events were recorded under its own Idempotency-Key, and it
// is answered with them. Deciders stay pure functions of (command, state).
//
// Across processes the expected revision keeps the stream consistent; throughput stays high while one
// process writes a given stream (route a platform's commands to one gateway, e.g. by hashing its id).
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../ports/event-store.ts';
import { decodeEvent, encodeEvent, type ProoflineEvent } from '../events-schema/index.ts';
import { aggregateStream, eventIdFor, recordedMetadata, type CommandContext } from './command-handler.ts';
import type { Command, Decider } from './decider.ts';

export type BatchedCommandResult<State, E> = {
  streamId: string;
  /**
   * The state right after this command's events (later commands of the batch are not in it). For a command
   * answered as a replay (sent again under the Idempotency-Key its events were recorded with), the stream's
   * state when the replay was noticed, and `events` are the recorded ones.
   */
  state: State;
  events: E[];
  eventIds: string[];
  /** LSN of this command's last event; null when it decided no event. */
  lastLsn: number | null;
};

export type BatchedHandlerOptions<C extends Command, E extends ProoflineEvent> = {
  /**
   * Event ids for a command's events. Default: derived from the Idempotency-Key when there is one (a retry
   * is recognised by the store), else random. A domain key (a crawl id) makes the store itself refuse a
   * second command for the same thing, on any stream. Answer undefined for the default.
   */
  eventIds?: (streamId: string, command: C, events: readonly E[], context: CommandContext) => string[] | undefined;
  /** What a caller whose event id is already recorded is told. Default: the DuplicateEventIdError itself. */
  duplicateError?: (command: C, error: DuplicateEventIdError) => Error;
  /** Most commands decided and appended together. Default 1000. */
  maxBatch?: number;
  /** Reloads after conflicts before the batch's callers get the conflict. Default 5. */
  maxConflictRetries?: number;
  /** Idle stream writers (and their cached state) kept. Default 1000. */
  maxIdleStreams?: number;
};

type Pending<State, C, E> = {
  command: C;
  context: CommandContext;
  resolve(result: BatchedCommandResult<State, E>): void;
  reject(error: unknown): void;
};

type Cached<State> = { state: State; revision: number | null };

/** A command decided within a batch: its events, encoded, ready to append. */
type Decided<State, C, E> = { pending: Pending<State, C, E>; events: E[]; eventIds: string[]; encoded: Buffer[]; state: State };

export type BatchedCommandHandler<State, C extends Command, E extends ProoflineEvent> = {
  handle(streamId: string, command: C, context?: CommandContext): Promise<BatchedCommandResult<State, E>>;
};

export function batchedCommandHandler<State, C extends Command, E extends ProoflineEvent>(
  eventStore: EventStore,
  decider: Decider<State, C, E>,
  options: BatchedHandlerOptions<C, E> = {},
): BatchedCommandHandler<State, C, E> {
  const writers = new Map<string, StreamWriter<State, C, E>>();
  const maxIdle = options.maxIdleStreams ?? 1000;

  const writerFor = (streamId: string): StreamWriter<State, C, E> => {
    let writer = writers.get(streamId);
    if (writer) {
      writers.delete(streamId); // re-inserted below: Map order is least recently used first
    } else {
      writer = new StreamWriter(eventStore, decider, streamId, options);
    }
    writers.set(streamId, writer);
    if (writers.size > maxIdle) {
      for (const [id, candidate] of writers) {
        if (writers.size <= maxIdle) break;
        // Not the writer being handed out: it is idle only until its command is submitted, and a stream whose
        // writer left the map would get a second one, racing the first for the same revision.
        if (candidate.idle && candidate !== writer) writers.delete(id);
      }
    }
    return writer;
  };

  return {
    handle: (streamId, command, context = { metadata: {} }) => writerFor(streamId).submit(command, context),
  };
}

class StreamWriter<State, C extends Command, E extends ProoflineEvent> {
  private readonly queue: Pending<State, C, E>[] = [];
  private running: Promise<void> | undefined;
  private cached: Cached<State> | undefined;

  constructor(
    private readonly eventStore: EventStore,
    private readonly decider: Decider<State, C, E>,
    private readonly streamId: string,
    private readonly options: BatchedHandlerOptions<C, E>,
  ) {}

  get idle(): boolean {
    return this.running === undefined && this.queue.length === 0;
  }

  submit(command: C, context: CommandContext): Promise<BatchedCommandResult<State, E>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ command, context, resolve, reject });
      this.running ??= this.run();
    });
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        // Let every command issued in this turn of the event loop join the batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.options.maxBatch ?? 1000);
        if (batch.length === 0) return;
        await this.process(batch).catch((error: unknown) => {
          this.cached = undefined; // unknown outcome: read the stream again next time
          for (const pending of batch) pending.reject(error);
        });
      }
    } finally {
      this.running = undefined;
    }
  }

  private async process(batch: Pending<State, C, E>[]): Promise<void> {
    const maxRetries = this.options.maxConflictRetries ?? 5;
    let waiting = batch;
    for (let attempt = 0; ; attempt++) {
      const start = await this.current();
      const { accepted, refused, state } = this.decideAll(waiting, start);
      // Callers are answered only once the batch's fate is known: when it has to be decided again (a
      // duplicate event id, another writer), a refusal may turn into an acceptance and the other way round.
      const answerRefusals = () => refused.forEach(({ pending, error }) => pending.reject(error));
      const withEvents = accepted.filter((decided) => decided.events.length > 0);
      if (withEvents.length === 0) {
        this.cached = { state, revision: start.revision };
        for (const decided of accepted) decided.pending.resolve(result(decided, this.streamId, null));
        answerRefusals();
        return;
      }
      try {
        const appended = await this.eventStore.appendToStream(
          this.streamId,
          withEvents.flatMap((decided) =>
            decided.events.map((event, index) => ({
              eventId: decided.eventIds[index]!,
              type: event.type,
              data: decided.encoded[index]!,
              metadata: recordedMetadata(decided.pending.context),
            })),
          ),
          { expectedRevision: start.revision ?? 'no_stream' },
        );
        if (appended.idempotentReplay) {
          // Nothing was written: every id was recorded before, by an earlier run of the same request or by
          // another command for the same thing (a crawl another writer billed since this one read the
          // stream). The state decided here counts those events twice: drop it, answer the commands that
          // appended, and decide the others again.
          this.cached = undefined;
          await this.answerRecorded(withEvents, (decided) => new DuplicateEventIdError(decided.eventIds[0]!, this.streamId, this.streamId));
          const answered = new Set(withEvents.map((decided) => decided.pending));
          waiting = waiting.filter((pending) => !answered.has(pending));
          if (waiting.length === 0) return;
          continue;
        }
        this.cached = { state, revision: appended.nextExpectedRevision };
        settle(accepted, this.streamId, appended.firstLsn, appended.lastLsn);
        answerRefusals();
        return;
      } catch (error) {
        // The decided state may share structure with the cached one (see escrow.ts): drop both.
        this.cached = undefined;
        if (error instanceof DuplicateEventIdError) {
          // Answer the command that owns the id; decide all the others again, refusals included.
          const owner = withEvents.find((decided) => decided.eventIds.includes(error.eventId));
          if (!owner) throw error;
          if (error.existingStreamId === this.streamId) await this.answerRecorded([owner], () => error);
          else owner.pending.reject(this.duplicate(owner, error));
          waiting = waiting.filter((pending) => pending !== owner.pending);
          continue;
        }
        if (error instanceof WrongExpectedRevisionError && attempt < maxRetries) continue;
        throw error;
      }
    }
  }

  /**
   * Commands whose event ids are already recorded in this stream: a retry (every one of its events recorded
   * under its own Idempotency-Key) is answered with what was recorded, as the first run was; any other is
   * refused as a duplicate. Reads the stream only when some command has a key.
   */
  private async answerRecorded(commands: Decided<State, C, E>[], errorOf: (decided: Decided<State, C, E>) => DuplicateEventIdError): Promise<void> {
    const keyed = commands.some((decided) => decided.pending.context.idempotencyKey !== undefined);
    const stream = keyed ? await this.reload(new Set(commands.flatMap((decided) => decided.eventIds))) : undefined;
    for (const decided of commands) {
      const key = decided.pending.context.idempotencyKey;
      const recorded = decided.eventIds.map((id) => stream?.byId.get(id));
      if (stream && key !== undefined && recorded.every((event) => event !== undefined && event.metadata.idempotencyKey === key)) {
        const events = recorded as RecordedEvent[];
        decided.pending.resolve({
          streamId: this.streamId,
          state: stream.state,
          events: events.map((event) => decodeEvent(event.data) as E),
          eventIds: decided.eventIds,
          lastLsn: events.at(-1)?.lsn ?? null,
        });
      } else {
        decided.pending.reject(this.duplicate(decided, errorOf(decided)));
      }
    }
  }

  private duplicate(decided: Decided<State, C, E>, error: DuplicateEventIdError): Error {
    return this.options.duplicateError?.(decided.pending.command, error) ?? error;
  }

  /** The whole stream read again: its state (cached) and its events with these ids. */
  private async reload(ids: ReadonlySet<string>): Promise<{ state: State; byId: Map<string, RecordedEvent> }> {
    const { state, revision, recorded } = await aggregateStream(this.eventStore, this.decider, this.streamId);
    this.cached = revision === null ? undefined : { state, revision };
    return { state, byId: new Map(recorded.filter((event) => ids.has(event.eventId)).map((event) => [event.eventId, event])) };
  }

  /** Decides each command against the state left by the ones before it; a refusal leaves the state as it was. */
  private decideAll(batch: Pending<State, C, E>[], start: Cached<State>) {
    let state = start.state;
    const accepted: Decided<State, C, E>[] = [];
    const refused: { pending: Pending<State, C, E>; error: unknown }[] = [];
    for (const pending of batch) {
      try {
        const events = this.decider.decide(pending.command, state);
        // Encode now: an event the schema refuses fails its own command, not the batch.
        const encoded = events.map((event) => encodeEvent(event));
        const eventIds = this.eventIdsOf(pending, events);
        state = events.reduce(this.decider.evolve, state);
        accepted.push({ pending, events, eventIds, encoded, state });
      } catch (error) {
        refused.push({ pending, error });
      }
    }
    return { accepted, refused, state };
  }

  private eventIdsOf(pending: Pending<State, C, E>, events: E[]): string[] {
    const chosen = this.options.eventIds?.(this.streamId, pending.command, events, pending.context);
    return chosen ?? events.map((_, index) => eventIdFor(pending.context.idempotencyKey, this.streamId, index));
  }

  /** The cached state, caught up with events other processes appended; the whole stream the first time. */
  private async current(): Promise<Cached<State>> {
    const cached = this.cached ?? { state: this.decider.initialState(), revision: null };
    const fromRevision = cached.revision === null ? 0 : cached.revision + 1;
    const { events } = await this.eventStore.readStream(this.streamId, { fromRevision });
    if (events.length === 0) return cached;
    let state = cached.state;
    for (const recorded of events) state = this.decider.evolve(state, decodeEvent(recorded.data) as E);
    this.cached = { state, revision: events[events.length - 1]!.revision };
    return this.cached;
  }
}

/** One append's events have consecutive LSNs, in the order they were given. */
function settle<State, C, E>(accepted: Decided<State, C, E>[], streamId: string, firstLsn: number, lastLsn: number): void {
  let next = firstLsn;
  for (const decided of accepted) {
    next += decided.events.length;
    decided.pending.resolve(result(decided, streamId, decided.events.length === 0 ? null : Math.min(next - 1, lastLsn)));
  }
}

function result<State, C, E>(decided: Decided<State, C, E>, streamId: string, lastLsn: number | null): BatchedCommandResult<State, E> {
  return { streamId, state: decided.state, events: decided.events, eventIds: decided.eventIds, lastLsn };
}
