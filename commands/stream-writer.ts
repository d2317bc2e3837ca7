// A single writer per stream, for streams that take many commands a second (a platform's escrow). It only
// schedules: the steps are command-core.ts's, run for a batch of commands instead of one.
//
// One at a time, concurrent callers of one hot stream race for the same expected revision and all but one
// retry, so throughput collapses to about one command per round trip. Here each stream has one in-process
// writer that
//   1. queues the commands sent to the stream while its previous append is in flight,
//   2. keeps the folded state and its revision (the stream is read once, then only what others appended),
//   3. decides the queued commands in order (decideInOrder) — each accepted or refused on its own, exactly
//      as if they had been handled one after another,
//   4. appends every accepted event in ONE append with the expected revision (appendDecided),
//   5. answers each caller with its own events and LSN, or its own refusal.
// When the store reports event ids it already holds (a replayed append, DuplicateEventIdError), the writer
// reads the stream again and answers the commands concerned by the one replay rule (replayOf): a retry is
// answered with what was recorded, anything else is a duplicate; the others are decided again. Another
// writer (WrongExpectedRevisionError) means: catch up, wait a jittered backoff, decide the batch again.
//
// Across processes the expected revision keeps the stream consistent; throughput stays high while one
// process writes a given stream (route a platform's commands to one gateway, e.g. by hashing its id).
//
// With `snapshots` (a use case whose streams grow long), the first load starts from the stream's latest
// snapshot (loadFromSnapshot), and every `everyEvents` events appended the writer snapshots its state, after
// answering the callers and without waiting for the write: a snapshot that fails is logged and tried again
// after as many more events. Only the first load uses snapshots; the replay rule still reads the stream from
// the start, as it needs the recorded events of the command it recognises.
import type { ProoflineEvent } from '../events-schema/index.ts';
import { pause } from '../ports/backoff.ts';
import type { EventStore } from '../ports/event-store.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../ports/event-store.ts';
import {
  appendDecided,
  conflictDelayMs,
  DEFAULT_SNAPSHOT_EVERY_EVENTS,
  loadFromSnapshot,
  decideInOrder,
  eventIdOf,
  loadStream,
  replayOf,
  replayResult,
  traced,
  type CommandContext,
  type CommandResult,
  type CommandTrace,
  type Decided,
  type Snapshots,
  type UseCase,
} from './command-core.ts';
import type { Command } from './decider.ts';

/** `State` is the use case's: options written without it (no snapshots) suit every use case. */
export type StreamWriterOptions<State = never> = {
  /** Most commands decided and appended together. Default 1000. */
  maxBatch?: number;
  /** Idle stream writers (and their cached state) kept. Default 1000. */
  maxIdleStreams?: number;
  /** Load streams from snapshots and take them as they grow; none by default. */
  snapshots?: Snapshots<State>;
};

export type StreamWriters<State, C extends Command, E extends ProoflineEvent> = {
  handle(command: C, context?: CommandContext): Promise<CommandResult<State, E>>;
};

/** A use case whose commands go through one writer per stream. Conflict retries default to 5 here. */
export function streamWriters<State, C extends Command, E extends ProoflineEvent>(
  eventStore: EventStore,
  useCase: UseCase<State, C, E>,
  options: StreamWriterOptions<NoInfer<State>> = {},
): StreamWriters<State, C, E> {
  const writers = new Map<string, StreamWriter<State, C, E>>();
  const maxIdle = options.maxIdleStreams ?? 1000;
  const settings: WriterSettings<State> = {
    maxBatch: options.maxBatch ?? 1000,
    maxConflicts: useCase.conflictRetries ?? 5,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
  };

  const writerFor = (streamId: string): StreamWriter<State, C, E> => {
    let writer = writers.get(streamId);
    if (writer) {
      writers.delete(streamId); // re-inserted below: Map order is least recently used first
    } else {
      writer = new StreamWriter(eventStore, useCase, streamId, settings);
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
    handle(command, context = { metadata: {} }) {
      const streamId = useCase.streamId(command);
      return traced(useCase.context, streamId, command, context, (traceContext, report) => writerFor(streamId).submit(command, traceContext, report));
    },
  };
}

type Pending<State, C, E> = {
  command: C;
  context: CommandContext;
  report: CommandTrace;
  resolve(result: CommandResult<State, E>): void;
  reject(error: unknown): void;
};

type Cached<State> = { state: State; revision: number | null };
type WriterSettings<State> = { maxBatch: number; maxConflicts: number; snapshots?: Snapshots<State> };

class StreamWriter<State, C extends Command, E extends ProoflineEvent> {
  private readonly queue: Pending<State, C, E>[] = [];
  private running: Promise<void> | undefined;
  private cached: Cached<State> | undefined;
  /** Revision of the latest snapshot this writer loaded or took (or tried to); -1 for none. */
  private snapshotRevision = -1;
  private snapshotting = false;

  constructor(
    private readonly eventStore: EventStore,
    private readonly useCase: UseCase<State, C, E>,
    private readonly streamId: string,
    private readonly settings: WriterSettings<State>,
  ) {}

  get idle(): boolean {
    return this.running === undefined && this.queue.length === 0;
  }

  submit(command: C, context: CommandContext, report: CommandTrace): Promise<CommandResult<State, E>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ command, context, report, resolve, reject });
      this.running ??= this.run();
    });
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        // Let every command issued in this turn of the event loop join the batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.settings.maxBatch);
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
    let waiting = batch;
    for (let conflicts = 0; ; ) {
      const start = await this.current();
      const { accepted, refused, state } = decideInOrder(this.useCase, this.streamId, start.state, waiting);
      // Callers are answered only once the batch's fate is known: when it has to be decided again (a
      // duplicate event id, another writer), a refusal may turn into an acceptance and the other way round.
      const answerRefusals = () => this.answerRefused(refused);
      const withEvents = accepted.filter((decided) => decided.events.length > 0);
      if (withEvents.length === 0) {
        this.cached = { state, revision: start.revision };
        for (const decided of accepted) {
          decided.item.report.outcome = 'no_events';
          decided.item.resolve(this.result(decided, null));
        }
        await answerRefusals();
        return;
      }
      try {
        const appended = await appendDecided(this.eventStore, this.streamId, withEvents, start.revision);
        if (appended.idempotentReplay) {
          // Nothing was written: every id was recorded before, by an earlier run of the same request or by
          // another command for the same thing (a crawl another writer billed since this one read the
          // stream). Answer those commands from the stream, decide the others again.
          await this.answerRecorded(withEvents, (decided) => new DuplicateEventIdError(decided.eventIds[0]!, this.streamId, this.streamId));
          const answered = new Set(withEvents.map((decided) => decided.item));
          waiting = waiting.filter((pending) => !answered.has(pending));
          if (waiting.length === 0) return;
          continue;
        }
        this.cached = { state, revision: appended.nextExpectedRevision };
        this.snapshotIfDue(state, appended.nextExpectedRevision);
        let lsn = appended.firstLsn - 1; // one append's events have consecutive LSNs, in the order given
        for (const decided of accepted) {
          lsn += decided.events.length;
          decided.item.report.outcome = decided.events.length === 0 ? 'no_events' : 'appended';
          decided.item.resolve(this.result(decided, decided.events.length === 0 ? null : Math.min(lsn, appended.lastLsn)));
        }
        await answerRefusals();
        return;
      } catch (error) {
        this.cached = undefined; // the append's outcome is known only for the errors below: read again
        if (error instanceof DuplicateEventIdError) {
          // Answer the command that owns the id; decide all the others again, refusals included.
          const owner = withEvents.find((decided) => decided.eventIds.includes(error.eventId));
          if (!owner) throw error;
          if (error.existingStreamId === this.streamId) await this.answerRecorded([owner], () => error);
          else owner.item.reject(this.duplicate(owner, error));
          waiting = waiting.filter((pending) => pending !== owner.item);
          continue;
        }
        if (error instanceof WrongExpectedRevisionError && conflicts < this.settings.maxConflicts) {
          conflicts += 1;
          for (const pending of waiting) pending.report.conflicts = conflicts;
          await pause(conflictDelayMs(conflicts));
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Refused commands are answered refused, unless one is the retry of a command that went through (its
   * answer lost, e.g. to a crash): its first event is then recorded under its own Idempotency-Key, and the
   * refusal only says so (a crawl "already billed" by itself). Such a retry gets the recorded answer.
   */
  private async answerRefused(refused: readonly { item: Pending<State, C, E>; error: unknown }[]): Promise<void> {
    const retries = refused.filter(({ item }) => item.context.idempotencyKey !== undefined);
    const stream = retries.length > 0 ? await loadStream(this.eventStore, this.useCase.decider, this.streamId) : undefined;
    for (const { item, error } of refused) {
      const run = stream && replayOf(stream.recorded, eventIdOf(this.useCase, this.streamId, item.command, 0, item.context), item.context.idempotencyKey);
      if (run?.length) {
        item.report.outcome = 'replayed';
        item.resolve(replayResult<State, E>(this.streamId, stream!.state, run));
      } else {
        item.reject(error);
      }
    }
  }

  /** Commands whose event ids the stream already holds: a replay is answered with what was recorded, any other is a duplicate. */
  private async answerRecorded(commands: Decided<State, C, E, Pending<State, C, E>>[], errorOf: (decided: Decided<State, C, E, Pending<State, C, E>>) => DuplicateEventIdError): Promise<void> {
    // Only a command with an Idempotency-Key can be a replay: read the stream only for those.
    const stream = commands.some((decided) => decided.item.context.idempotencyKey !== undefined)
      ? await loadStream(this.eventStore, this.useCase.decider, this.streamId)
      : undefined;
    if (stream) this.cached = stream.revision === null ? undefined : { state: stream.state, revision: stream.revision };
    for (const decided of commands) {
      const run = stream && replayOf(stream.recorded, decided.eventIds[0]!, decided.item.context.idempotencyKey);
      if (run?.length) {
        decided.item.report.outcome = 'replayed';
        decided.item.resolve(replayResult<State, E>(this.streamId, stream!.state, run));
      } else {
        decided.item.reject(this.duplicate(decided, errorOf(decided)));
      }
    }
  }

  private duplicate(decided: Decided<State, C, E, Pending<State, C, E>>, error: DuplicateEventIdError): Error {
    return this.useCase.duplicateError?.(decided.command, error) ?? error;
  }

  private result(decided: Decided<State, C, E, Pending<State, C, E>>, lastLsn: number | null): CommandResult<State, E> {
    return { streamId: this.streamId, state: decided.state, events: decided.events, eventIds: decided.eventIds, lastLsn };
  }

  /** The cached state, caught up with what other processes appended; the whole stream (or snapshot and tail) the first time. */
  private async current(): Promise<Cached<State>> {
    const { snapshots } = this.settings;
    let loaded;
    if (!this.cached && snapshots) {
      loaded = await loadFromSnapshot(this.eventStore, this.useCase.decider, this.streamId, snapshots);
      this.snapshotRevision = Math.max(this.snapshotRevision, loaded.snapshotRevision ?? -1);
    } else {
      loaded = await loadStream(this.eventStore, this.useCase.decider, this.streamId, this.cached);
    }
    this.cached = { state: loaded.state, revision: loaded.revision };
    return this.cached;
  }

  /**
   * Takes a snapshot of `state` (the stream's at `revision`) once `everyEvents` events have been appended
   * since the last one, after the callers are answered (setImmediate) and without waiting for it: one at a
   * time per stream, a failure logged and not retried before as many more events. States are never changed
   * in place (the deciders' rule), so encoding it later still encodes the state at `revision`.
   */
  private snapshotIfDue(state: State, revision: number): void {
    const { snapshots } = this.settings;
    if (!snapshots || this.snapshotting || revision - this.snapshotRevision < (snapshots.everyEvents ?? DEFAULT_SNAPSHOT_EVERY_EVENTS)) return;
    this.snapshotting = true;
    this.snapshotRevision = revision;
    const streamId = this.streamId;
    setImmediate(() => {
      Promise.resolve()
        .then(() => snapshots.store.write({ streamId, revision, schemaVersion: snapshots.codec.schemaVersion, state: snapshots.codec.encode(state) }))
        .catch((error: unknown) => snapshots.logger.warn({ err: error, streamId, revision }, 'snapshot not written; the next one is due after as many events'))
        .finally(() => (this.snapshotting = false));
    });
  }
}
