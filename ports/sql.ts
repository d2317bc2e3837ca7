// The SQL database the read side works in: transactions, plain statements and migrations. The adapter is
// infra/db/database.ts (pg for statements, knex for transactions and migrations). The query builder is
// knex's, named here through aliases: projections write SQL against it, never open a connection.
import type { Knex } from 'knex';

/** A query builder over the database (outside any transaction): reads, DDL, `transaction(...)`. */
export type Sql = Knex;

/** A transaction handle: what a projection's applyBatch and the runtime's steps run their statements on. */
export type SqlTransaction = Knex.Transaction;

/** A value bound to a `?` placeholder of a raw statement. */
export type SqlBinding = Knex.RawBinding;

/** One schema change, applied once per database (or per schema) in name order within its group. */
export type Migration = {
  name: string;
  up(sql: Sql): Promise<void>;
  down?(sql: Sql): Promise<void>;
};

/** Migrations that evolve together, with their own history table (`proofline_migrations_<group>`). */
export type MigrationGroup = { group: string; migrations: readonly Migration[] };

export type SqlDatabase = {
  /** The query builder (its own small pool): transactions, and queries built rather than written. */
  readonly knex: Sql;
  /** One statement with positional parameters (`$1`, `$2`, …) on the hot-path pool. int8 columns come back as numbers. */
  query<Row>(text: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>;
  /** Runs a group's pending migrations, in order, in the default schema. */
  migrate(group: string, migrations: readonly Migration[]): Promise<void>;
  /**
   * Creates `schema` if needed and runs each group's pending migrations in it, in order, on a connection whose
   * search_path is that schema: the migrations (and their history tables) use unqualified names.
   */
  migrateSchema(schema: string, groups: readonly MigrationGroup[]): Promise<void>;
};
