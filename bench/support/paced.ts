// Open-loop load at a fixed rate: operation i is due at start + i/rate, whether or not earlier ones answered
// (no coordinated omission). A cap on operations in flight keeps a stalled system from piling up work: an
// operation due while the cap is reached is skipped and counted, never queued.
import { setTimeout as delay } from 'node:timers/promises';

export type PacedOutcome<T> = { index: number; scheduledAt: number; sentAt: number; answeredAt: number; value: T };

export type PacedOptions<T> = {
  rate: number;
  durationMs: number;
  maxInFlight: number;
  /** Epoch milliseconds with sub-millisecond precision (comparable across processes). */
  now: () => number;
  op: (index: number) => Promise<T>;
  onAnswer?: (outcome: PacedOutcome<T>) => void;
  signal?: AbortSignal;
};

export type PacedResult<T> = {
  startedAt: number;
  endedAt: number;
  issued: number;
  skipped: number;
  failed: number;
  firstError?: unknown;
  outcomes: PacedOutcome<T>[];
  /** Largest number of operations in flight at once. */
  peakInFlight: number;
};

export async function runPaced<T>(options: PacedOptions<T>): Promise<PacedResult<T>> {
  const { rate, durationMs, maxInFlight, now, op } = options;
  const total = Math.floor((rate * durationMs) / 1000);
  const intervalMs = 1000 / rate;
  const outcomes: PacedOutcome<T>[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let failed = 0;
  let firstError: unknown;
  let peakInFlight = 0;
  const startedAt = now();
  let index = 0;
  while (index < total && !options.signal?.aborted) {
    const current = now();
    // Everything due by now goes out in this turn.
    while (index < total && startedAt + index * intervalMs <= current) {
      const scheduledAt = startedAt + index * intervalMs;
      const mine = index++;
      if (inFlight.size >= maxInFlight) {
        skipped += 1;
        continue;
      }
      const sentAt = now();
      const running: Promise<void> = op(mine).then(
        (value) => {
          const outcome = { index: mine, scheduledAt, sentAt, answeredAt: now(), value };
          outcomes.push(outcome);
          options.onAnswer?.(outcome);
        },
        (error: unknown) => {
          failed += 1;
          firstError ??= error;
        },
      );
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running));
      peakInFlight = Math.max(peakInFlight, inFlight.size);
    }
    if (index < total) await delay(Math.max(0, Math.min(2, startedAt + index * intervalMs - now())));
  }
  const endedAt = now();
  await Promise.all(inFlight);
  return { startedAt, endedAt, issued: index - skipped, skipped, failed, firstError, outcomes, peakInFlight };
}
