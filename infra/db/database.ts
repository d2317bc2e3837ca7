// One PostgreSQL connection for the whole process: a pg pool for hot paths (event store appends) and a
// knex instance over its own small pool for migrations and read models.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// bigint (int8) columns hold LSNs and revisions, all far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Database = {
  url: string;
  pool: pg.Pool;
  knex: Knex;
  close(): Promise<void>;
};

export function openDatabase(url: string, options: { poolSize?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 20 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 5 } });
  return {
    url,
    pool,
    knex,
    async close() {
      await Promise.allSettled([pool.end(), knex.destroy()]);
    },
  };
}

export type Migration = {
  name: string;
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
};

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
