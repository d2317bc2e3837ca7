// Chooses the event store adapter from the configuration: EventStoreDB when EVENTSTORE_URL is set,
// otherwise PostgreSQL on the platform's database.
import type { EventStore } from '../../ports/event-store.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { createPostgresEventStore, migrateEventStore } from './postgres/postgres-event-store.ts';

export type OpenEventStoreOptions = {
  /**
   * For a process that only reads the log forward from a stored relay checkpoint: a store that numbers
   * its log itself (EventStoreDB) starts numbering there instead of at the start. Ignored by PostgreSQL.
   */
  resumeFrom?: { lsn: number; logPosition: string };
};

export async function openEventStore(config: Pick<Config, 'eventStoreUrl'>, db: Database, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  if (config.eventStoreUrl) {
    // Loaded only when used: the gRPC client is heavy and the embedded default never needs it.
    const { connectEsdbEventStore } = await import('./esdb/esdb-event-store.ts');
    return connectEsdbEventStore(config.eventStoreUrl, options.resumeFrom ? { resumeFrom: options.resumeFrom } : {});
  }
  await migrateEventStore(db);
  return createPostgresEventStore(db);
}
