// What a read model is: a named PostgreSQL schema, its migrations, and how a batch of events changes it.
// A projection is typed by the union of the events it reads (`E`): its `canHandle` lists exactly that union's
// types, so its switch over `event.type` can end in a `never` check that fails to compile when one is missing.
import type { ProoflineEvent } from '../events-schema/index.ts';
import type { EventMetadata } from '../ports/event-store.ts';
import type { Migration, SqlTransaction } from '../ports/sql.ts';

/** A recorded event, decoded, as a projection sees it. */
export type ProjectedEvent<E extends ProoflineEvent = ProoflineEvent> = {
  event: E;
  eventId: string;
  streamId: string;
  revision: number;
  lsn: number;
  metadata: EventMetadata;
  recordedAt: Date;
  /** The event's bytes as stored (Avro single-object encoding), before any upcasting: what anchoring hashes. */
  data: Uint8Array;
};

/**
 * `Projection` alone (E = every event) is how the runtime holds any projection. It hands `applyBatch` only
 * events whose type is in `canHandle` (batch-plan.ts selectFresh, retry-parked.ts), which is what lets a
 * `Projection<GovernanceEvent>` stand where a `Projection` is expected.
 */
export type Projection<E extends ProoflineEvent = ProoflineEvent> = {
  /** Stable name: `proofline project <name>`, checkpoint rows, the Kafka consumer group `proofline.<name>`. */
  name: string;
  /** Event types this projection reads (`eventTypesOf<E>(…)`); other events only move its checkpoint. */
  canHandle: readonly E['type'][];
  /**
   * Migrations of its tables. They run with search_path set to the projection's own schema, so they
   * (and applyBatch) use unqualified table names; a rebuild runs them again in a fresh schema.
   */
  migrations: readonly Migration[];
  /** Applies events in LSN order (per stream) inside the runtime's transaction; throws to refuse. */
  applyBatch(events: readonly ProjectedEvent<E>[], trx: SqlTransaction): Promise<void>;
  /** Its read model as analysts query it: views in schema `analytics` (runtime/analytics-views.ts). */
  analyticsViews?: readonly AnalyticsView[];
};

/**
 * One view `analytics.<name>` over the projection's tables: a contract analysts build on. Columns may be
 * appended at the end, never renamed, retyped, reordered or dropped (CREATE OR REPLACE VIEW refuses those,
 * and an analyst's own views depend on them).
 */
export type AnalyticsView = {
  /** `analytics.<name>`: lower case, digits and underscores. */
  name: string;
  /** What one row is (COMMENT ON VIEW). */
  comment: string;
  /**
   * Every output column, in the SELECT's order, with its COMMENT. Names carry units (`_micro_usdc`,
   * `_points`, `_at` for timestamptz).
   */
  columns: Readonly<Record<string, string>>;
  /** A SELECT over the projection's own tables by plain names (resolved in its schema when installed). */
  select: string;
};

export { eventTypesOf } from '../events-schema/event.ts';

/** The end of an exhaustive switch over a projection's events: `event` is `never` when every type has its case. */
export function unhandledEvent(event: never): never {
  throw new Error(`no case for event ${JSON.stringify(event)}`);
}
