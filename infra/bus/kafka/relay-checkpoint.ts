// Where the relay remembers how far the broker has acknowledged the log: one row per relay name in
// PostgreSQL. The LSN is the port's dense LSN. On EventStoreDB the adapter numbers $all densely itself
// (infra/eventstore/esdb/lsn-index.ts), so this checkpoint maps to "the k-th log event of $all" there
// too; resuming from it is `subscribeToAll({ fromLsn: lsn + 1 })` on either store.
import { migrate, type Database, type Migration } from '../../db/database.ts';

export const RELAY_MIGRATION_GROUP = 'relay';

export const relayMigrations: readonly Migration[] = [
  {
    name: '0001_relay_checkpoint',
    async up(knex) {
      await knex.schema.createTable('relay_checkpoint', (table) => {
        table.text('name').primary();
        table.bigInteger('lsn').notNullable();
        table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('relay_checkpoint');
    },
  },
];

export async function migrateRelay(db: Database): Promise<void> {
  await migrate(db.knex, RELAY_MIGRATION_GROUP, relayMigrations);
}

/** The last LSN the broker acknowledged for this relay, 0 when it never published. */
export async function readRelayCheckpoint(db: Database, name: string): Promise<number> {
  const { rows } = await db.pool.query<{ lsn: number }>('select lsn from relay_checkpoint where name = $1', [name]);
  return rows[0]?.lsn ?? 0;
}

/** Records an acknowledged LSN. Never moves backwards, so a late write from a stale process changes nothing. */
export async function storeRelayCheckpoint(db: Database, name: string, lsn: number): Promise<void> {
  await db.pool.query(
    `insert into relay_checkpoint (name, lsn, updated_at) values ($1, $2, now())
     on conflict (name) do update set lsn = excluded.lsn, updated_at = excluded.updated_at
     where relay_checkpoint.lsn < excluded.lsn`,
    [name, lsn],
  );
}
