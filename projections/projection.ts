// What a read model is: a named PostgreSQL schema, its migrations, and how a batch of events changes it.
import type { ProoflineEvent } from '../events-schema/index.ts';
import type { EventMetadata } from '../ports/event-store.ts';
import type { Migration, SqlTransaction } from '../ports/sql.ts';

/** A recorded event, decoded, as a projection sees it. */
export type ProjectedEvent = {
  event: ProoflineEvent;
  eventId: string;
  streamId: string;
  revision: number;
  lsn: number;
  metadata: EventMetadata;
  recordedAt: Date;
  /** The event's bytes as stored (Avro single-object encoding), before any upcasting: what anchoring hashes. */
  data: Uint8Array;
};

export type Projection = {
  /** Stable name: `proofline project <name>`, checkpoint rows, the Kafka consumer group `proofline.<name>`. */
  name: string;
  /** Event types this projection reads; other events only move its checkpoint. */
  canHandle: readonly string[];
  /**
   * Migrations of its tables. They run with search_path set to the projection's own schema, so they
   * (and applyBatch) use unqualified table names; a rebuild runs them again in a fresh schema.
   */
  migrations: readonly Migration[];
  /** Applies events in LSN order (per stream) inside the runtime's transaction; throws to refuse. */
  applyBatch(events: readonly ProjectedEvent[], trx: SqlTransaction): Promise<void>;
};
