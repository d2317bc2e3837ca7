// Reads an async iterator in batches of "what is already at hand": wait for the first item, then keep
// taking items while the iterator hands them over without waiting on I/O (it answers before the next
// turn of the event loop), up to a count and a byte budget. A tailing subscription pages through the
// log while catching up, so batches are full then, and hold whatever trickled in once it is live.
// The next item is requested as soon as a batch is cut, so reading overlaps with publishing.

const NOT_YET = Symbol('not yet');

export type BatchLimits<T> = {
  maxItems: number;
  /** A batch stops growing once it holds this many bytes; a single larger item still forms a batch. */
  maxBytes?: number;
  sizeOf?: (item: T) => number;
};

export class BatchReader<T> {
  private pending: Promise<IteratorResult<T>> | undefined;
  private ended = false;

  constructor(private readonly iterator: AsyncIterator<T>) {}

  /** The next batch; empty once the iterator has ended. Rejects with the iterator's error. */
  async next(limits: BatchLimits<T>): Promise<T[]> {
    if (this.ended) return [];
    const first = await this.take();
    if (first.done) {
      this.ended = true;
      return [];
    }
    const sizeOf = limits.sizeOf ?? (() => 0);
    const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    const batch = [first.value];
    let bytes = sizeOf(first.value);
    while (batch.length < limits.maxItems) {
      const ready = await Promise.race([this.prefetch(), nextTurn()]);
      if (ready === NOT_YET) break;
      if (ready.done) {
        this.ended = true;
        break;
      }
      const size = sizeOf(ready.value);
      if (bytes + size > maxBytes) break; // stays pending: it opens the next batch
      this.pending = undefined;
      batch.push(ready.value);
      bytes += size;
    }
    if (!this.ended) this.prefetch();
    return batch;
  }

  /** Lets go of the iterator. End its source first (abort its signal) if it may be waiting for new items. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    this.ended = true;
    if (pending) await pending.catch(() => undefined);
    await this.iterator.return?.();
  }

  /** Asks for the next item now; a failure surfaces when it is taken, not as an unhandled rejection. */
  private prefetch(): Promise<IteratorResult<T>> {
    if (!this.pending) {
      this.pending = this.iterator.next();
      this.pending.catch(() => undefined);
    }
    return this.pending;
  }

  private take(): Promise<IteratorResult<T>> {
    const result = this.pending ?? this.iterator.next();
    this.pending = undefined;
    return result;
  }
}

function nextTurn(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setImmediate(() => resolve(NOT_YET)));
}
