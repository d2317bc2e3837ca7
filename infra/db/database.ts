// One PostgreSQL connection for the whole process: a pg pool for hot paths (event store appends) and a
// knex instance over its own small pool for migrations and read models. It is the adapter of the SQL port
// (ports/sql.ts) the read side works through.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Migration, MigrationGroup, SqlDatabase } from '../../ports/sql.ts';

export type { Migration };

// bigint (int8) columns hold LSNs and revisions, all far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Database = SqlDatabase & {
  url: string;
  pool: pg.Pool;
  knex: Knex;
  close(): Promise<void>;
};

const silent = () => {};
const SILENT_KNEX_LOG = { warn: silent, error: silent, debug: silent, deprecate: silent };

export function openDatabase(url: string, options: { poolSize?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 20 });
  // A client that loses its server must not crash the process, idle (the pool's 'error') or checked out
  // between two queries (the client's own 'error', which pg emits with no listener of its own then): the
  // next query on it fails, and its holder releases it broken.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  // knex would also print connection failures to the console; they reach the caller, who logs them structured.
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 5 }, log: SILENT_KNEX_LOG });
  return {
    url,
    pool,
    knex,
    // The caller names the row shape it selected; pg cannot check it.
    query: <Row>(text: string, params: readonly unknown[] = []) => pool.query<Row & pg.QueryResultRow>(text, [...params]),
    migrate: (group, migrations) => migrate(knex, group, migrations),
    migrateSchema: (schema, groups) => migrateSchema(url, schema, groups),
    async close() {
      await Promise.allSettled([pool.end(), knex.destroy()]);
    },
  };
}

/** Runs a group's migrations in order; each group keeps its own history table so groups evolve apart. */
export async function migrate(knex: Knex, group: string, migrations: readonly Migration[]): Promise<void> {
  await knex.migrate.latest({
    tableName: `proofline_migrations_${group}`,
    migrationSource: {
      getMigrations: async () => [...migrations],
      getMigrationName: (migration: Migration) => migration.name,
      getMigration: async (migration: Migration) => ({
        up: migration.up,
        down: migration.down ?? (async () => {}),
      }),
    },
  });
}

/**
 * Creates `schema` if needed and runs the groups' migrations in it. knex's migrator cannot be handed a
 * transaction or a search_path, so this opens a connection of its own whose search_path is the schema.
 * Its failures reach the caller; knex's own console logging is silenced.
 */
async function migrateSchema(url: string, schema: string, groups: readonly MigrationGroup[]): Promise<void> {
  const scoped = knexFactory({
    client: 'pg',
    connection: url,
    searchPath: [schema],
    pool: { min: 0, max: 1 },
    log: SILENT_KNEX_LOG,
  });
  try {
    await scoped.raw('create schema if not exists ??', [schema]);
    for (const { group, migrations } of groups) await migrate(scoped, group, migrations);
  } finally {
    await scoped.destroy();
  }
}
