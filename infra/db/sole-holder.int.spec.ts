import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aborted } from '../../ports/backoff.ts';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.ts';
import { openDatabase, type Database } from './database.ts';
import { runAsSoleHolder } from './sole-holder.ts';

let database: TestDatabase;
let db: Database;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase('proofline_lock');
  db = openDatabase(database.url);
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Backend pids of the sessions holding advisory locks in the test database. */
async function lockHolders(): Promise<number[]> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`,
  );
  return rows.map((row) => row.pid);
}

/** A worker that records how often it started and how many of its runs are in progress. */
function worker(key: string) {
  const stop = new AbortController();
  const state = { starts: 0, active: 0, signals: [] as AbortSignal[] };
  const done = runAsSoleHolder(db, { key, logger, signal: stop.signal, standbyPollMs: 50 }, async (held) => {
    state.starts += 1;
    state.active += 1;
    state.signals.push(held);
    await aborted(held);
    state.active -= 1;
  });
  return { state, done, stop: () => stop.abort() };
}

describe('runAsSoleHolder', () => {
  it('lets one of two processes work; the other takes over when the first stops', async () => {
    const key = `test.${randomUUID()}`;
    const first = worker(key);
    await until(() => first.state.active === 1, 'the first works');
    const second = worker(key);
    // The second has asked for the lock (two sessions of this database have) and was refused: it never started.
    const askers = async () =>
      (
        await db.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'select pg_try_advisory_lock%'`,
        )
      ).rows[0]!.n;
    await until(async () => (await askers()) >= 2, 'the second asks for the lock');
    expect(second.state.starts).toBe(0);

    first.stop();
    await first.done;
    await until(() => second.state.active === 1, 'the second takes over');
    expect(first.state.active).toBe(0);
    second.stop();
    await second.done;
    expect(await lockHolders()).toEqual([]);
  });

  it('stops the work when the lock connection dies, and takes the lock again on a new connection', async () => {
    const key = `test.${randomUUID()}`;
    const holder = worker(key);
    await until(() => holder.state.active === 1, 'it works');
    const [pid] = await lockHolders();
    expect(pid).toBeDefined();

    await db.pool.query('select pg_terminate_backend($1)', [pid]);

    await until(() => holder.state.starts === 2 && holder.state.active === 1, 'it works again');
    expect(holder.state.signals[0]?.aborted).toBe(true);
    const [newPid] = await lockHolders();
    expect(newPid).not.toBe(pid);
    holder.stop();
    await holder.done;
  });

  it('does not exclude processes with different keys', async () => {
    const one = worker(`test.${randomUUID()}`);
    const two = worker(`test.${randomUUID()}`);
    await until(() => one.state.active === 1 && two.state.active === 1, 'both work');
    one.stop();
    two.stop();
    await Promise.all([one.done, two.done]);
  });

  it('rethrows what the work throws, and releases the lock', async () => {
    const key = `test.${randomUUID()}`;
    const failing = runAsSoleHolder(db, { key, logger, signal: new AbortController().signal }, async () => {
      throw new Error('work failed');
    });
    await expect(failing).rejects.toThrow('work failed');
    expect(await lockHolders()).toEqual([]);
  });
});
