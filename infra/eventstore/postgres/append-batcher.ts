// Group commit: appends queue up while one batch transaction is in flight; the next transaction takes all of
// them (up to maxBatchEvents). One commit then serves many appends, so throughput is not bounded by
// 1 / commit latency. Each request's promise settles with its own outcome; if the transaction itself fails,
// every request in it is rejected with that error (the transaction rolled back: nothing of it is written).
import type { AppendResult } from '../../../ports/event-store.ts';
import type { AppendOutcome, AppendRequest } from './append-plan.ts';

/** Commits one batch; returns one outcome per request, in order. Throws when the transaction fails. */
export type CommitBatch = (requests: readonly AppendRequest[]) => Promise<AppendOutcome[]>;

type Pending = { request: AppendRequest; resolve(result: AppendResult): void; reject(error: Error): void };

export class AppendBatcher {
  private readonly queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly commit: CommitBatch,
    private readonly maxBatchEvents: number,
  ) {}

  submit(request: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves once every append submitted so far is settled. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        // Let every append issued in this turn of the event loop join the batch (writers whose previous
        // append has just resolved issue their next one from promise callbacks).
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.takeBatch();
        if (batch.length === 0) return;
        await this.commitAndSettle(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Queued requests in order, up to maxBatchEvents events (at least one request, however large). */
  private takeBatch(): Pending[] {
    let count = 0;
    let take = 0;
    for (const pending of this.queue) {
      const size = pending.request.events.length;
      if (take > 0 && count + size > this.maxBatchEvents) break;
      count += size;
      take += 1;
    }
    return this.queue.splice(0, take);
  }

  private async commitAndSettle(batch: Pending[]): Promise<void> {
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.commit(batch.map((pending) => pending.request));
    } catch (error) {
      const failure = new Error(`append batch of ${batch.length} request(s) to ${describeStreams(batch)} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (!outcome) pending.reject(new Error(`append batch returned no outcome for request ${index} of ${batch.length}`));
      else if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
  }
}

function describeStreams(batch: readonly Pending[]): string {
  const streams = [...new Set(batch.map((pending) => pending.request.streamId))];
  const shown = streams.slice(0, 5).join(', ');
  return streams.length > 5 ? `${shown} and ${streams.length - 5} more streams` : shown;
}
