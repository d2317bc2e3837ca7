// Shared waiting for read models (`?consistentWith=<lsn>`): however many requests wait on a projection, one
// loop reads its watermark once per poll interval and wakes every waiter whose LSN it reached. The number of
// waiters is capped, so a flood of waiting requests costs memory and timers, never database queries.

import { ReadModelWaitersBusyError } from '../../ports/read-models.ts';

export type WatermarkWatchOptions = {
  /** Reads a projection's watermark (one query). */
  read(projection: string): Promise<number>;
  /** How many requests may wait at once, over all projections (CONSISTENCY_MAX_WAITERS). */
  maxWaiters: number;
  /** Time between two reads of a watched projection's watermark. Default 20 ms. */
  pollIntervalMs?: number;
};

export type WatermarkWait = { reached: boolean; watermark: number };

export type WatermarkWatch = {
  /**
   * Resolves once the projection's watermark is at least `lsn` (reached), or at `timeoutMs` with the last
   * watermark read (not reached). Rejects with ReadModelWaitersBusyError when the cap is reached.
   */
  waitFor(projection: string, lsn: number, timeoutMs: number): Promise<WatermarkWait>;
  /** Requests waiting now. */
  waiting(): number;
};

type Waiter = { lsn: number; settle(result: WatermarkWait | Error): void };
type Watch = { waiters: Set<Waiter>; last: number; polling: boolean };

export const DEFAULT_CONSISTENCY_MAX_WAITERS = 1000;

export function createWatermarkWatch(options: WatermarkWatchOptions): WatermarkWatch {
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const watches = new Map<string, Watch>();
  let waiting = 0;

  async function poll(projection: string, watch: Watch): Promise<void> {
    watch.polling = true;
    try {
      while (watch.waiters.size > 0) {
        let reached: number;
        try {
          reached = await options.read(projection);
        } catch (error) {
          for (const waiter of watch.waiters) waiter.settle(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        watch.last = Math.max(watch.last, reached);
        for (const waiter of watch.waiters) if (reached >= waiter.lsn) waiter.settle({ reached: true, watermark: reached });
        if (watch.waiters.size === 0) return;
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    } finally {
      watch.polling = false;
    }
  }

  return {
    waiting: () => waiting,
    waitFor(projection, lsn, timeoutMs) {
      if (waiting >= options.maxWaiters) return Promise.reject(new ReadModelWaitersBusyError(options.maxWaiters));
      let watch = watches.get(projection);
      if (!watch) {
        watch = { waiters: new Set(), last: 0, polling: false };
        watches.set(projection, watch);
      }
      const watched = watch;
      // The watermark only moves forward: an LSN the last read already reached needs no wait for the next one.
      if (watched.last >= lsn) return Promise.resolve({ reached: true, watermark: watched.last });
      waiting += 1;
      return new Promise<WatermarkWait>((resolve, reject) => {
        const waiter: Waiter = {
          lsn,
          settle(result) {
            if (!watched.waiters.delete(waiter)) return;
            clearTimeout(timer);
            waiting -= 1;
            if (result instanceof Error) reject(result);
            else resolve(result);
          },
        };
        const timer = setTimeout(() => waiter.settle({ reached: false, watermark: watched.last }), timeoutMs);
        watched.waiters.add(waiter);
        if (!watched.polling) void poll(projection, watched);
      });
    },
  };
}
