// Closed-loop load: W writers, each issuing one operation at a time for a warm-up and then a measured window.
//
// An operation counts when it completes inside the measured window; its latency is its own start-to-end time.
// Writers stop starting operations at the end of the window, and each writer stops after maxOpsPerWriter
// operations whatever the time (then the result says `capped`, and the figures understate the store).
import { summarizeLatencies, type LatencySummary } from './stats.ts';

/** What one operation did: events it appended, optimistic-concurrency conflicts it retried on the way. */
export type OpOutcome = { events: number; conflicts?: number };

/** One writer: called again as soon as its previous call settled. `sequence` counts this writer's calls from 0. */
export type WriterOp = (sequence: number) => Promise<OpOutcome>;

export type LoadOptions = {
  writers: number;
  warmupMs: number;
  durationMs: number;
  maxOpsPerWriter: number;
  /** Called when the measured window opens and closes (to snapshot store counters). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
};

export type LoadResult = {
  writers: number;
  durationMs: number;
  ops: number;
  events: number;
  conflicts: number;
  eventsPerSecond: number;
  latency: LatencySummary;
  capped: boolean;
};

export async function runClosedLoop(makeWriter: (writerIndex: number) => WriterOp, options: LoadOptions): Promise<LoadResult> {
  const { writers, warmupMs, durationMs, maxOpsPerWriter } = options;
  const ops = Array.from({ length: writers }, (_, index) => makeWriter(index));
  const latencies: number[] = [];
  let events = 0;
  let conflicts = 0;
  let capped = false;
  let failure: { error: unknown } | undefined;

  const startedAt = performance.now();
  const windowStart = startedAt + warmupMs;
  const windowEnd = windowStart + durationMs;
  let windowOpened = false;
  let windowClosed = false;
  const timers = [
    setTimeout(() => {
      windowOpened = true;
      options.onWindowStart?.();
    }, warmupMs),
    setTimeout(() => {
      windowClosed = true;
      options.onWindowEnd?.();
    }, warmupMs + durationMs),
  ];

  const writerLoop = async (op: WriterOp) => {
    for (let sequence = 0; sequence < maxOpsPerWriter; sequence++) {
      if (failure) return;
      const began = performance.now();
      if (began >= windowEnd) return;
      let outcome: OpOutcome;
      try {
        outcome = await op(sequence);
      } catch (error) {
        failure ??= { error };
        return;
      }
      const ended = performance.now();
      if (ended >= windowStart && ended <= windowEnd) {
        latencies.push(ended - began);
        events += outcome.events;
        conflicts += outcome.conflicts ?? 0;
      }
    }
    capped = true;
  };

  try {
    await Promise.all(ops.map(writerLoop));
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  if (failure) throw failure.error;
  // Every writer stopped before the window closed (capped): close it now so counters cover what was measured.
  if (windowOpened && !windowClosed) options.onWindowEnd?.();
  return {
    writers,
    durationMs,
    ops: latencies.length,
    events,
    conflicts,
    eventsPerSecond: events / (durationMs / 1000),
    latency: summarizeLatencies(latencies),
    capped,
  };
}
