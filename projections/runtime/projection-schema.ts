// Where a projection's tables live, and how every transaction on them begins.
//
// Each projection owns one PostgreSQL schema, `projection_<name>`, holding its read-model tables (made by its
// own migrations) and the runtime's tables (runtime-migrations.ts). Keeping both together lets a rebuild swap
// all of it at once by renaming schemas (rebuild.ts).
//
// Every transaction on a projection schema first takes the projection's advisory lock — shared for batches,
// retries and setup, exclusive for the rebuild's swap — and only then sets `search_path`. Table names are
// resolved after the lock is held, so no transaction ever sees half a swap.
import type { Sql, SqlDatabase, SqlTransaction } from '../../ports/sql.ts';
import type { Projection } from '../projection.ts';
import { installAnalyticsViews } from './analytics-views.ts';
import { RUNTIME_MIGRATION_GROUP, runtimeMigrations } from './runtime-migrations.ts';

/** Migration group (history table `proofline_migrations_projection`) of the projection's own tables. */
export const PROJECTION_MIGRATION_GROUP = 'projection';

// Short enough that `projection_<name>_rebuild_<13-digit ms>` stays within PostgreSQL's 63-byte identifiers.
const PROJECTION_NAME = /^[a-z][a-z0-9_]{0,29}$/;

export function assertProjectionName(name: string): void {
  if (!PROJECTION_NAME.test(name)) {
    throw new TypeError(`projection name ${JSON.stringify(name)} must match ${PROJECTION_NAME} (it names a PostgreSQL schema)`);
  }
}

/** The live schema of a projection: `projection_<name>`. */
export function projectionSchema(name: string): string {
  assertProjectionName(name);
  return `projection_${name}`;
}

/** Channel of the `pg_notify` sent when a projection's checkpoint moves; the payload is the partition's applied LSN. */
export function projectionChannel(name: string): string {
  assertProjectionName(name);
  return `proofline_projection_${name}`;
}

export type LockMode = 'shared' | 'exclusive';

/** Takes the projection's transaction-scoped advisory lock, then points search_path at `schema`. */
export async function enterProjection(trx: SqlTransaction, name: string, schema: string, lock: LockMode): Promise<void> {
  const lockFunction = lock === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await trx.raw(`select ${lockFunction}(hashtextextended(?, 0))`, [`proofline.projection.${name}`]);
  await trx.raw('set local search_path to ??', [schema]);
}

export type ProjectionTransactionOptions = {
  /** Projection name: the advisory lock key. */
  projection: string;
  /** Schema to work in; the live schema unless given (a rebuild works in its own). */
  schema?: string;
  lock: LockMode;
};

/** Runs `work` in one transaction that holds the projection's lock and sees the schema's tables by plain names. */
export async function inProjectionTransaction<T>(
  db: SqlDatabase,
  options: ProjectionTransactionOptions,
  work: (trx: SqlTransaction) => Promise<T>,
): Promise<T> {
  const schema = options.schema ?? projectionSchema(options.projection);
  return db.knex.transaction(async (trx) => {
    await enterProjection(trx, options.projection, schema, options.lock);
    return work(trx);
  });
}

/**
 * Creates the schema if needed and runs the runtime's and the projection's migrations in it. Setups of the
 * same projection are serialised (processes starting together), and hold the shared lock so that a rebuild's
 * swap never happens halfway through one. In the live schema it then (re)installs the projection's analytics
 * views over the migrated tables; a rebuild's or a shadow's schema gets none (the swap installs them).
 */
export async function ensureProjectionSchema(db: SqlDatabase, projection: Projection, schema = projectionSchema(projection.name)): Promise<void> {
  await db.knex.transaction(async (guard) => {
    await guard.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`proofline.projection-setup.${projection.name}`]);
    await enterProjection(guard, projection.name, schema, 'shared');
    // The migrations run on a connection of their own (see SqlDatabase.migrateSchema); `guard` only holds the
    // locks meanwhile.
    try {
      await db.migrateSchema(schema, [
        { group: RUNTIME_MIGRATION_GROUP, migrations: runtimeMigrations },
        { group: PROJECTION_MIGRATION_GROUP, migrations: projection.migrations },
      ]);
    } catch (error) {
      throw new Error(`projection ${projection.name}: migrating schema ${schema} failed: ${messageOf(error)}`, { cause: error });
    }
    if (schema === projectionSchema(projection.name)) await installAnalyticsViews(guard, projection, schema);
  });
}

export async function schemaExists(queryable: Sql | SqlTransaction, schema: string): Promise<boolean> {
  const { rows } = await queryable.raw<{ rows: Array<{ found: boolean }> }>(
    'select exists (select 1 from pg_namespace where nspname = ?) as found',
    [schema],
  );
  return rows[0]?.found ?? false;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
