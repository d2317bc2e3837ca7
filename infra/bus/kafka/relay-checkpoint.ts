// Where the relay remembers how far the broker has acknowledged the log: one row per relay name in
// PostgreSQL. The LSN is the port's dense LSN; resuming from it is `subscribeToAll({ fromLsn: lsn + 1 })`
// on either store. On EventStoreDB, where the adapter numbers $all densely itself
// (infra/eventstore/esdb/lsn-index.ts), the row also keeps that event's $all position (`log_position`):
// the LSN ↔ position mapping, from which a relay-only process resumes numbering without reading $all from
// the start, and against which a process that did number from the start checks that no event vanished.
import { migrate, type Database, type Migration } from '../../db/database.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';

export const RELAY_MIGRATION_GROUP = 'relay';

export type RelayCheckpoint = {
  /** The last LSN the broker acknowledged, 0 when the relay never published. */
  readonly lsn: number;
  /** The store's own position of that event, when the store has one (EventStoreDB). */
  readonly logPosition: string | null;
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
];

export async function migrateRelay(db: Database): Promise<void> {
  await migrate(db.knex, RELAY_MIGRATION_GROUP, relayMigrations);
}

export async function readRelayCheckpoint(db: Database, name: string): Promise<RelayCheckpoint> {
  const { rows } = await db.pool.query<{ lsn: string; log_position: string | null }>(
    'select lsn, log_position from relay_checkpoint where name = $1',
    [name],
  );
  const row = rows[0];
  return row ? { lsn: Number(row.lsn), logPosition: row.log_position } : { lsn: 0, logPosition: null };
}

/** Every relay's checkpoint, by name (for metrics; the table exists once a relay has migrated it). */
export async function readRelayCheckpoints(db: Database): Promise<Array<RelayCheckpoint & { readonly name: string }>> {
  const { rows } = await db.pool.query<{ name: string; lsn: string; log_position: string | null }>(
    'select name, lsn, log_position from relay_checkpoint order by name',
  );
  return rows.map((row) => ({ name: row.name, lsn: Number(row.lsn), logPosition: row.log_position }));
}

/** Records the last acknowledged event. Never moves backwards, so a late write from a stale process changes nothing. */
export async function storeRelayCheckpoint(db: Database, name: string, event: Pick<RecordedEvent, 'lsn' | 'logPosition'>): Promise<void> {
  await db.pool.query(
    `insert into relay_checkpoint (name, lsn, log_position, updated_at) values ($1, $2, $3, now())
     on conflict (name) do update set lsn = excluded.lsn, log_position = excluded.log_position, updated_at = excluded.updated_at
     where relay_checkpoint.lsn < excluded.lsn`,
    [name, event.lsn, event.logPosition ?? null],
  );
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
