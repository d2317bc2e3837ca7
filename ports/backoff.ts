// Waiting between retries of long-running loops (relay, projection sources, anchorer, the sole-holder lock).
// In ports/ so that every layer that loops may use it: it is pure timing, with no adapter behind it.
import type { Logger } from 'pino';

/** Waits `ms`, or less if the signal aborts first (then resolves; the caller checks the signal). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with jitter: attempt n waits between half and all of min(maxMs, initialMs·2ⁿ⁻¹). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** A promise that resolves when the signal aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export type RetrySessionsOptions = {
  signal: AbortSignal;
  backoff: { initialMs: number; maxMs: number };
  logger: Logger;
  /** Logged with each failure that is retried. */
  retryMessage: string;
  /** Failures a pause cannot fix: logged as fatal with this message and fields, then rethrown. */
  fatal?: (error: unknown) => { message: string; fields?: Record<string, unknown> } | undefined;
};

/**
 * Runs `session` until the signal aborts, starting a fresh one after each failure once a backoff has passed.
 * A session calls `onProgress` when it got work done, which resets the backoff.
 */
export async function retrySessions(session: (onProgress: () => void) => Promise<void>, options: RetrySessionsOptions): Promise<void> {
  const { signal, logger } = options;
  let failures = 0;
  while (!signal.aborted) {
    try {
      await session(() => {
        failures = 0;
      });
    } catch (error) {
      const fatal = options.fatal?.(error);
      if (fatal) {
        logger.fatal({ err: error, ...fatal.fields }, fatal.message);
        throw error;
      }
      if (signal.aborted) break;
      failures += 1;
      const retryInMs = backoffMs(failures, options.backoff.initialMs, options.backoff.maxMs);
      logger.error({ err: error, failures, retryInMs }, options.retryMessage);
      await pause(retryInMs, signal);
    }
  }
}
