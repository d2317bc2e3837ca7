// Where the relay remembers how far the broker has acknowledged the log: one row per relay name in
// PostgreSQL. The LSN is the port's dense LSN; resuming from it is `subscribeToAll({ fromLsn: lsn + 1 })`
// on either store. On EventStoreDB, where the adapter numbers $all densely itself
// (infra/eventstore/esdb/lsn-index.ts), the row also keeps that event's $all position (`log_position`):
// the LSN ↔ position mapping, from which a relay-only process resumes numbering without reading $all from
// the start, and against which a process that did number from the start checks that no event vanished.
// The row also names the event store it counts in (`store_id`): a checkpoint of another store (the event
// store was replaced, the database kept) is refused rather than resumed from.
import { migrate, type Database, type Migration } from '../../db/database.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';

export const RELAY_MIGRATION_GROUP = 'relay';

export type RelayCheckpoint = {
  /** The last LSN the broker acknowledged, 0 when the relay never published. */
  readonly lsn: number;
  /** The store's own position of that event, when the store has one (EventStoreDB). */
  readonly logPosition: string | null;
  /** The event store the LSN counts in; null before the first publish (and on rows older than store ids). */
  readonly storeId: string | null;
};

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
  {
    name: '0002_relay_checkpoint_log_position',
    async up(knex) {
      await knex.schema.alterTable('relay_checkpoint', (table) => {
        table.text('log_position');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('relay_checkpoint', (table) => {
        table.dropColumn('log_position');
      });
    },
  },
  {
    name: '0003_relay_checkpoint_store_id',
    async up(knex) {
      await knex.schema.alterTable('relay_checkpoint', (table) => {
        table.uuid('store_id');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('relay_checkpoint', (table) => {
        table.dropColumn('store_id');
      });
    },
  },
];

export async function migrateRelay(db: Database): Promise<void> {
  await migrate(db.knex, RELAY_MIGRATION_GROUP, relayMigrations);
}

export async function readRelayCheckpoint(db: Database, name: string): Promise<RelayCheckpoint> {
  const { rows } = await db.pool.query<{ lsn: string; log_position: string | null; store_id: string | null }>(
    'select lsn, log_position, store_id from relay_checkpoint where name = $1',
    [name],
  );
  const row = rows[0];
  return row ? { lsn: Number(row.lsn), logPosition: row.log_position, storeId: row.store_id } : { lsn: 0, logPosition: null, storeId: null };
}

/** Every relay's checkpoint, by name (for metrics; the table exists once a relay has migrated it). */
export async function readRelayCheckpoints(db: Database): Promise<Array<RelayCheckpoint & { readonly name: string }>> {
  const { rows } = await db.pool.query<{ name: string; lsn: string; log_position: string | null; store_id: string | null }>(
    'select name, lsn, log_position, store_id from relay_checkpoint order by name',
  );
  return rows.map((row) => ({ name: row.name, lsn: Number(row.lsn), logPosition: row.log_position, storeId: row.store_id }));
}

/** Records the last acknowledged event. Never moves backwards, so a late write from a stale process changes nothing. */
export async function storeRelayCheckpoint(
  db: Database,
  name: string,
  storeId: string,
  event: Pick<RecordedEvent, 'lsn' | 'logPosition'>,
): Promise<void> {
  await db.pool.query(
    `insert into relay_checkpoint (name, lsn, log_position, store_id, updated_at) values ($1, $2, $3, $4, now())
     on conflict (name) do update
       set lsn = excluded.lsn, log_position = excluded.log_position, store_id = excluded.store_id, updated_at = excluded.updated_at
     where relay_checkpoint.lsn < excluded.lsn`,
    [name, event.lsn, event.logPosition ?? null, storeId],
  );
}

/** The checkpoint was written while publishing another event store's log. */
export class RelayCheckpointOfAnotherStoreError extends Error {
  override readonly name = 'RelayCheckpointOfAnotherStoreError';
  constructor(
    readonly relay: string,
    readonly checkpoint: RelayCheckpoint,
    readonly storeId: string,
  ) {
    super(
      `relay ${relay}: its checkpoint (LSN ${checkpoint.lsn}) counts in event store ${checkpoint.storeId}, but this event store is ` +
        `${storeId}: the database holds the relay state of another store (was the event store replaced?). Give this store its ` +
        `own relay name and topics (KAFKA_TOPIC_PREFIX), or delete the row of relay_checkpoint named ${relay} together with its topics`,
    );
  }
}

/** Refuses a checkpoint stamped with another store's id (rows from before store ids carry none and are taken). */
export function checkCheckpointStore(relay: string, checkpoint: RelayCheckpoint, storeId: string): void {
  if (checkpoint.storeId !== null && checkpoint.storeId !== storeId) throw new RelayCheckpointOfAnotherStoreError(relay, checkpoint, storeId);
}

/** The stored mapping says LSN k is at one position; the store now numbers another event (or none) as k. */
export class RelayCheckpointMismatchError extends Error {
  override readonly name = 'RelayCheckpointMismatchError';
  constructor(
    readonly relay: string,
    readonly checkpoint: RelayCheckpoint,
    readonly found: string | null,
  ) {
    super(
      `relay ${relay}: the checkpoint maps LSN ${checkpoint.lsn} to log position ${checkpoint.logPosition}, but the event store ` +
        `now numbers ${found === null ? 'no event' : `the event at ${found}`} as LSN ${checkpoint.lsn}. Events before it were removed ` +
        `(deleted, truncated or scavenged), so every LSN after it has shifted; the relay stops rather than publish under shifted LSNs`,
    );
  }
}

/**
 * Checks the stored LSN ↔ position mapping against the store's current numbering (nothing to check on a
 * store without native positions, or before the first publish).
 */
export function checkCheckpointMapping(relay: string, checkpoint: RelayCheckpoint, atLsn: Pick<RecordedEvent, 'logPosition'> | undefined): void {
  if (checkpoint.lsn === 0 || checkpoint.logPosition === null) return;
  if (atLsn && atLsn.logPosition === undefined) return;
  const found = atLsn?.logPosition ?? null;
  if (found !== checkpoint.logPosition) throw new RelayCheckpointMismatchError(relay, checkpoint, found);
}
