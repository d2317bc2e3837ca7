// A bounded queue between one producer and one consumer. put() waits while the queue is full; take() waits
// while it is empty, then takes whatever is there (up to a maximum). end() stops both: take() then drains
// what is left and returns [] (or throws the producer's failure).
export class Handoff<T> {
  private items: T[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  async put(item: T): Promise<void> {
    if (this.ended) return;
    this.items.push(item);
    this.wake('consumer');
    while (this.items.length >= this.capacity && !this.ended) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
  }

  async take(max: number): Promise<T[]> {
    while (this.items.length === 0) {
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return [];
      }
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
    const taken = this.items.splice(0, max);
    this.wake('producer');
    return taken;
  }

  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (failure !== undefined) this.failure = { error: failure };
    this.wake('consumer');
    this.wake('producer');
  }

  private wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
