// The sole-holder lock (ports/sole-holder.ts) on PostgreSQL: one active instance of a long-running worker
// (the relay, the anchorer) per name, however many processes are started; each holds a PostgreSQL session
// advisory lock while it works, and the others stand by.
//
// The lock lives as long as its connection. If that connection dies (server restart, terminated backend,
// network), the lock is gone and another process may already hold it, so the work's signal is aborted at
// once; when the work has returned, the lock is sought again on a fresh connection.
import type pg from 'pg';
import type { Logger } from 'pino';
import { backoffMs, pause } from '../../ports/backoff.ts';
import type { SoleHolder, SoleHolderOptions } from '../../ports/sole-holder.ts';
import type { Database } from './database.ts';

export type { SoleHolderOptions };

/** The lock port over this database's pool. */
export function soleHolderOn(db: Database): SoleHolder {
  return { run: (options, work) => runAsSoleHolder(db, options, work) };
}

/**
 * Runs `work` while this process holds the lock `key`, waiting while another holds it. Returns when `signal`
 * aborts (or `work` returns with the lock still held); rethrows what `work` throws.
 */
export async function runAsSoleHolder(db: Database, options: SoleHolderOptions, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const { key, logger, signal } = options;
  const standbyPollMs = options.standbyPollMs ?? 1000;
  let connectFailures = 0;
  while (!signal.aborted) {
    let client: pg.PoolClient;
    try {
      client = await db.pool.connect();
      connectFailures = 0;
    } catch (error) {
      connectFailures += 1;
      const retryInMs = backoffMs(connectFailures, 500, 30_000);
      logger.warn({ err: error, lock: key, retryInMs }, 'cannot reach PostgreSQL for the lock; retrying after a pause');
      await pause(retryInMs, signal);
      continue;
    }
    const held = new AbortController();
    const lost = (error?: Error) => {
      if (held.signal.aborted) return;
      if (!signal.aborted) logger.warn({ err: error, lock: key }, 'lost the lock with its connection; stopping the work to seek it again');
      held.abort();
    };
    const onOuterAbort = () => held.abort();
    client.on('error', lost);
    client.on('end', lost);
    signal.addEventListener('abort', onOuterAbort, { once: true });
    let broken: Error | undefined;
    try {
      if (!(await acquire(client, key, logger, held.signal, standbyPollMs))) continue;
      await work(held.signal);
      if (!held.signal.aborted) return; // the work is done, not interrupted
    } catch (error) {
      if (!held.signal.aborted || signal.aborted) throw error;
      broken = error as Error; // the connection died under the lock query or the work: seek the lock again
      logger.warn({ err: error, lock: key }, 'work ended after the lock was lost');
    } finally {
      signal.removeEventListener('abort', onOuterAbort);
      client.off('error', lost);
      client.off('end', lost);
      if (held.signal.aborted && !signal.aborted) broken ??= new Error(`lock ${key} lost`);
      // Unlocking on a healthy connection lets a standby in at once; a broken one is destroyed, not pooled.
      if (!broken) await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
      client.release(broken);
    }
    await pause(standbyPollMs, signal);
  }
}

/** Takes the lock, polling while another session holds it; false if `signal` aborted first. */
async function acquire(client: pg.PoolClient, key: string, logger: Logger, signal: AbortSignal, pollMs: number): Promise<boolean> {
  let standingBy = false;
  while (!signal.aborted) {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [key]);
    if (rows[0]?.locked) {
      if (standingBy) logger.info({ lock: key }, 'took over the lock; working');
      return true;
    }
    if (!standingBy) logger.info({ lock: key }, 'another process holds the lock; standing by');
    standingBy = true;
    await pause(pollMs, signal);
  }
  return false;
}
