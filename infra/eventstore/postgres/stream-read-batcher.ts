// Concurrent readStream calls as one query. Under load a gateway reads thousands of small streams a second
// (a voter's grants, a ballot, a player); one statement per read costs a round trip and a socket write
// each, and the socket writes are what the gateway's CPU profile is made of. Reads issued in the same turn
// of the event loop are taken together and answered from one statement (one snapshot), each as its own
// statement would have answered: a read is never older than its call.
import type { ReadStreamResult } from '../../../ports/event-store.ts';

export type StreamRead = { streamId: string; fromRevision: number };

/** Reads every stream asked for in one statement; one result per read, in order. */
export type ReadStreams = (reads: readonly StreamRead[]) => Promise<ReadStreamResult[]>;

type Pending = StreamRead & { resolve(result: ReadStreamResult): void; reject(error: unknown): void };

export class StreamReadBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly readStreams: ReadStreams,
    /** Most reads in one statement; more wait for no one, they go in another statement at once. */
    private readonly maxBatch = 256,
  ) {}

  read(streamId: string, fromRevision: number): Promise<ReadStreamResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ streamId, fromRevision, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After this turn's callbacks: every read they issue joins this batch.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const taken = this.pending;
    this.pending = [];
    for (let start = 0; start < taken.length; start += this.maxBatch) {
      const batch = taken.slice(start, start + this.maxBatch);
      this.readStreams(batch).then(
        (results) => batch.forEach((read, index) => read.resolve(results[index]!)),
        (error: unknown) => batch.forEach((read) => read.reject(error)),
      );
    }
  }
}
