import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadModelWaitersBusyError } from '../../ports/read-models.ts';
import { createWatermarkWatch, type WatermarkWait } from './watermark-watch.ts';

/** A projection whose watermark the test moves; every read is counted. */
function fakeProjections() {
  const watermarks = new Map<string, number>();
  const reads: string[] = [];
  return {
    reads,
    set: (projection: string, lsn: number) => watermarks.set(projection, lsn),
    read: async (projection: string) => {
      reads.push(projection);
      return watermarks.get(projection) ?? 0;
    },
  };
}

/** Settled results of promises, in order, `pending` for the unsettled. */
function track<T>(promises: Promise<T>[]) {
  const results: Array<T | 'pending' | Error> = promises.map(() => 'pending');
  promises.forEach((promise, index) => promise.then((value) => (results[index] = value), (error: Error) => (results[index] = error)));
  return results;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('createWatermarkWatch', () => {
  it('reads the watermark once per poll interval for a thousand waiters, not once per waiter', async () => {
    const projections = fakeProjections();
    const watch = createWatermarkWatch({ read: projections.read, maxWaiters: 5000, pollIntervalMs: 20 });
    const waits = track(Array.from({ length: 1000 }, (_, index) => watch.waitFor('governance', 100 + index, 5000)));
    await vi.advanceTimersByTimeAsync(0);
    expect(projections.reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20 * 10);
    expect(projections.reads).toHaveLength(11);
    expect(waits.every((result) => result === 'pending')).toBe(true);
    expect(watch.waiting()).toBe(1000);
  });

  it('wakes exactly the waiters whose LSN the watermark reached, and stops reading once none wait', async () => {
    const projections = fakeProjections();
    const watch = createWatermarkWatch({ read: projections.read, maxWaiters: 10, pollIntervalMs: 20 });
    const waits = track([watch.waitFor('governance', 5, 5000), watch.waitFor('governance', 7, 5000), watch.waitFor('governance', 9, 5000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(waits).toEqual(['pending', 'pending', 'pending']);

    projections.set('governance', 7);
    await vi.advanceTimersByTimeAsync(20);
    expect(waits).toEqual([{ reached: true, watermark: 7 }, { reached: true, watermark: 7 }, 'pending']);
    expect(watch.waiting()).toBe(1);

    projections.set('governance', 12);
    await vi.advanceTimersByTimeAsync(20);
    expect(waits[2]).toEqual({ reached: true, watermark: 12 });
    const readsWhenDone = projections.reads.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(projections.reads).toHaveLength(readsWhenDone);
  });

  it('watches each projection with its own loop', async () => {
    const projections = fakeProjections();
    const watch = createWatermarkWatch({ read: projections.read, maxWaiters: 10, pollIntervalMs: 20 });
    projections.set('crawl', 3);
    const waits = track([watch.waitFor('governance', 3, 5000), watch.waitFor('crawl', 3, 5000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(waits).toEqual(['pending', { reached: true, watermark: 3 }]);
    expect(projections.reads.sort()).toEqual(['crawl', 'governance']);
  });

  it('answers a waiter not reached in time with the last watermark read, at its own deadline', async () => {
    const projections = fakeProjections();
    const watch = createWatermarkWatch({ read: projections.read, maxWaiters: 10, pollIntervalMs: 20 });
    projections.set('governance', 4);
    const waits = track<WatermarkWait>([watch.waitFor('governance', 10, 100), watch.waitFor('governance', 10, 300)]);
    await vi.advanceTimersByTimeAsync(99);
    expect(waits).toEqual(['pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    expect(waits).toEqual([{ reached: false, watermark: 4 }, 'pending']);
    await vi.advanceTimersByTimeAsync(200);
    expect(waits[1]).toEqual({ reached: false, watermark: 4 });
    expect(watch.waiting()).toBe(0);
  });

  it('refuses a waiter beyond the cap with ReadModelWaitersBusyError, and takes one again once a place is free', async () => {
    const projections = fakeProjections();
    const watch = createWatermarkWatch({ read: projections.read, maxWaiters: 2, pollIntervalMs: 20 });
    const waits = track([watch.waitFor('governance', 1, 5000), watch.waitFor('governance', 2, 5000)]);
    await expect(watch.waitFor('governance', 1, 5000)).rejects.toBeInstanceOf(ReadModelWaitersBusyError);
    projections.set('governance', 1);
    await vi.advanceTimersByTimeAsync(20);
    expect(waits[0]).toEqual({ reached: true, watermark: 1 });
    const again = track([watch.waitFor('governance', 1, 5000)]);
    await vi.advanceTimersByTimeAsync(20);
    expect(again[0]).toEqual({ reached: true, watermark: 1 });
  });

  it('fails every waiter of a projection whose watermark cannot be read, and reads again for the next', async () => {
    let failing = true;
    const watch = createWatermarkWatch({
      read: async () => {
        if (failing) throw new Error('database unreachable');
        return 5;
      },
      maxWaiters: 10,
      pollIntervalMs: 20,
    });
    const waits = track([watch.waitFor('governance', 5, 5000), watch.waitFor('governance', 6, 5000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(waits.map((result) => (result instanceof Error ? result.message : result))).toEqual(['database unreachable', 'database unreachable']);
    expect(watch.waiting()).toBe(0);
    failing = false;
    const next = track([watch.waitFor('governance', 5, 5000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(next[0]).toEqual({ reached: true, watermark: 5 });
  });
});
