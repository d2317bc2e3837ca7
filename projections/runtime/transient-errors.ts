// Telling a refused event from a failing database. Parking is for events the projection cannot apply; a
// deadlock, a lost connection or a server shutting down says nothing about the event, so such errors fail the
// whole batch transaction (nothing of it is kept) and the worker tries the batch again.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

// SQLSTATE classes: 08 connection, 40 transaction rollback (serialization, deadlock), 53 resources,
// 57 operator intervention (shutdown, cancel), 58 system error; 55P03 lock not available.
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)[0-9A-Z]{3}$|^55P03$/;
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

// pg and knex report a connection lost mid-transaction with these messages and no code.
const LOST_CONNECTION = /Connection terminated|Connection ended unexpectedly|not queryable|connection is closed/i;

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code))) return true;
  if (error.name === 'KnexTimeoutError') return true; // no pooled connection in time
  return LOST_CONNECTION.test(error.message) || (error.cause !== undefined && isTransientError(error.cause));
}

export type RetryOptions = { attempts: number; firstDelayMs: number; signal: AbortSignal; logger: Logger };

/** Runs `work` again after transient errors, with doubling delays, at most `attempts` times in all. */
export async function retryTransient<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts || !isTransientError(error) || options.signal.aborted) throw error;
      const waitMs = options.firstDelayMs * 2 ** (attempt - 1);
      options.logger.warn({ err: error, attempt, waitMs }, 'transient database error, trying the batch again');
      await delay(waitMs, undefined, { signal: options.signal }).catch(() => {});
      if (options.signal.aborted) throw error;
    }
  }
}
