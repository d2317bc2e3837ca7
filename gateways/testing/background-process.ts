// Test support for the command side's background processes (settlement, transfer completion, engagement
// deadlines): one run in the background with its passes counted, waited on with a deadline and stopped by
// aborting it (and how fast that is); and an event store that fails the append carrying an event of a type,
// as a request cut off there would leave the log.
import { expect } from 'vitest';
import { waitFor } from '../../infra/testing/process.ts';
import type { EventStore } from '../../ports/event-store.ts';

export type PassCounting<P> = {
  /** Every pass completed so far, in order. */
  passes: P[];
  /** Waits until `more` further passes have completed (at most `waitMs`). */
  passesMore(more: number): Promise<void>;
  /** Aborts the process and waits for it to stop. */
  stop(): Promise<void>;
};

/** Starts the process `create` builds with the given `onPass`, in the background, its passes counted. */
export function runCountingPasses<P>(create: (onPass: (pass: P) => void) => { run(signal: AbortSignal): Promise<void> }, waitMs: number): PassCounting<P> {
  const passes: P[] = [];
  const controller = new AbortController();
  const running = create((pass) => passes.push(pass)).run(controller.signal);
  return {
    passes,
    async passesMore(more) {
      const target = passes.length + more;
      await waitFor(async () => passes.length >= target, waitMs, () => `only ${passes.length} of ${target} passes`);
    },
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** A process started to wait long between passes stops as soon as its signal aborts, after its first pass. */
export async function expectStopsMidWait(running: PassCounting<unknown>): Promise<void> {
  await running.passesMore(1);
  const stopping = Date.now();
  await running.stop();
  expect(Date.now() - stopping).toBeLessThan(1000);
  expect(running.passes).toHaveLength(1);
}

/** The store, failing the append that carries an event of `type` (a request cut off there). */
export function cutOffBefore(eventStore: EventStore, type: string): EventStore {
  return new Proxy(eventStore, {
    get(target, property) {
      if (property === 'appendToStream') {
        return (async (streamId, events, options) => {
          if (events.some((event) => event.type === type)) throw new Error(`cut off before ${type}`);
          return target.appendToStream(streamId, events, options);
        }) satisfies EventStore['appendToStream'];
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
