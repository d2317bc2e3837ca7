// What this process knows about the log as of one head LSN: the positions of recently touched streams
// (or that they do not exist). While nobody else appends, the head does not move behind our back and a batch
// can be decided without reading anything first; streams it does not know are assumed not to exist yet.
//
// None of this is trusted blindly (see append-transaction.ts): the write that uses it applies only if the head
// is still the one it was known at, and the unique indexes reject it if an event id was already recorded or an
// assumed-new stream already has a revision 0. The batch is then decided again from a fresh read.
import type { AppendPlan, AppendRequest, LogState, StreamPosition } from './append-plan.ts';

export class KnownStreams {
  private headLsn: number | undefined;
  /** null: the stream does not exist. Insertion order is recency order (least recent first). */
  private readonly streams = new Map<string, StreamPosition | null>();

  constructor(private readonly capacity: number) {}

  /**
   * The state a batch depends on as far as this process knows, if it knows the head: known streams at their
   * positions, the others (`assumed`) taken not to exist, no event id recorded.
   */
  guessStateFor(requests: readonly AppendRequest[]): { state: LogState; assumed: Set<string> } | undefined {
    if (this.headLsn === undefined) return undefined;
    const streams = new Map<string, StreamPosition>();
    const assumed = new Set<string>();
    for (const { streamId } of requests) {
      const position = this.streams.get(streamId);
      if (position) streams.set(streamId, position);
      else if (position === undefined) assumed.add(streamId);
    }
    return { state: { headLsn: this.headLsn, streams, recordedEvents: new Map() }, assumed };
  }

  /** Learns the log as `state` showed it and as `plan` (committed) changed it. */
  learn(state: LogState, requests: readonly AppendRequest[], plan: AppendPlan): void {
    // What was known at another head may have changed since: keep only what this state says.
    if (state.headLsn !== this.headLsn) this.streams.clear();
    for (const { streamId } of requests) this.remember(streamId, state.streams.get(streamId) ?? null);
    for (const [streamId, position] of plan.streamPositions) this.remember(streamId, position);
    this.headLsn = plan.lastLsn;
  }

  forget(): void {
    this.headLsn = undefined;
    this.streams.clear();
  }

  private remember(streamId: string, position: StreamPosition | null): void {
    this.streams.delete(streamId);
    this.streams.set(streamId, position);
    if (this.streams.size > this.capacity) this.streams.delete(this.streams.keys().next().value!);
  }
}
