// How a projection sends a batch's writes: each table's change is one multi-row statement (by unnest, keys
// sorted so two workers lock rows in the same order), and the statements that need no answer go to the server
// together, as one (writeTogether): one round trip however many tables a batch touches.
import type { SqlBinding, SqlTransaction } from '../ports/sql.ts';

/** knex's bindings type does not list arrays, which node-postgres sends as PostgreSQL arrays (unnest's input). */
export const bind = (values: unknown[]) => values as unknown as readonly SqlBinding[];

/**
 * One statement of the batch's writes: `sql` with its `?` bindings. A `name` lets a later statement of the same
 * write read its result (a data-modifying WITH ... RETURNING).
 */
export type Write = { name?: string; sql: string; bindings: unknown[] };

/**
 * Runs the writes as one statement: each a data-modifying WITH query of `with w0 as (…), w1 as (…) select 1`.
 * They all run, once, on the same snapshot, so none may depend on another's effect unless it reads its
 * RETURNING by name; each touches its own table (or rows no other one touches).
 */
export async function writeTogether(trx: SqlTransaction, writes: Write[]) {
  if (writes.length === 0) return;
  const ctes = writes.map((write, i) => `${write.name ?? `w${i}`} as (${write.sql})`);
  await trx.raw(`with ${ctes.join(',\n')}\nselect 1`, bind(writes.flatMap((write) => write.bindings)));
}
