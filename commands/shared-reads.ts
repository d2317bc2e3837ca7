/**
 * Coalesces concurrent reads of the same key: a caller that arrives while a read of its key is in flight
 * shares that read's answer instead of starting another. The answer is as fresh as a read started at
 * the caller's arrival could be, give or take the read's own duration; nothing is kept afterwards.
 */
export class SharedReads<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, read: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const started = read().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
