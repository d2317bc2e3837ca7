// Telling a refused event from a failing database. Parking is for events the projection cannot apply; a
// deadlock, a lost connection or a server shutting down says nothing about the event, so such errors fail the
// whole batch transaction (nothing of it is kept) and the worker tries the batch again. The gateway uses the
// narrower of the two, isDatabaseUnreachable, to answer 503 not_ready instead of 500.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

// SQLSTATE classes: 08 connection, 40 transaction rollback (serialization, deadlock), 53 resources,
// 57 operator intervention (shutdown, cancel), 58 system error; 55P03 lock not available.
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)[0-9A-Z]{3}$|^55P03$/;

// Reaching the server at all: class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting up or shutting down), 53300 too_many_connections.
const UNREACHABLE_SQLSTATE = /^08[0-9A-Z]{3}$|^57P0[123]$|^53300$/;
const UNREACHABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

// pg and knex report a connection lost, or never made, with these messages and no code.
const LOST_CONNECTION = /Connection terminated|Connection ended unexpectedly|not queryable|connection is closed|timeout exceeded when trying to connect/i;

/** The errors an error was caused by, itself first (`cause`, kafkajs' `originalError`, an AggregateError's `errors`). */
function* causes(error: unknown, depth = 0): Generator<Error> {
  if (!(error instanceof Error) || depth > 5) return;
  yield error;
  yield* causes(error.cause, depth + 1);
  yield* causes((error as { originalError?: unknown }).originalError, depth + 1);
  if (error instanceof AggregateError) for (const inner of error.errors) yield* causes(inner, depth + 1);
}

/** PostgreSQL could not be reached, or dropped the connection: down, restarting, refusing connections. */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE_SQLSTATE.test(code) || UNREACHABLE_NODE_CODES.has(code))) return true;
    if (cause.name === 'KnexTimeoutError' || LOST_CONNECTION.test(cause.message)) return true;
  }
  return false;
}

/** Worth trying again as it is: the database unreachable, or a conflict or shortage that passes. */
export function isTransientError(error: unknown): boolean {
  if (isDatabaseUnreachable(error)) return true;
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_SQLSTATE.test(code)) return true;
  }
  return false;
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
