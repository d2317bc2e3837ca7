// The snapshot store port: a stream's folded state as of a revision, so a long stream is loaded from its
// latest snapshot plus the events after it instead of from the start (commands/command-core.ts,
// loadFromSnapshot). Snapshots are a cache: losing one, or finding one of another schema version, only
// costs a longer fold. The adapter lives in infra/db (PostgreSQL), whichever store holds the events.

export type StreamSnapshot = {
  streamId: string;
  /** Revision of the last event folded into `state`. */
  revision: number;
  /** The shape of `state` (and the evolve that folded it): a reader ignores a version it does not know. */
  schemaVersion: number;
  /** The state as JSON (a StateCodec's encoding). */
  state: unknown;
};

export interface SnapshotStore {
  /** The stream's snapshot, whatever its schema version; undefined when it has none. */
  read(streamId: string): Promise<StreamSnapshot | undefined>;
  /**
   * Keeps `snapshot` as the stream's one snapshot (an upsert), unless the one kept is of the same schema
   * version and a later revision: two writers racing never move a snapshot back.
   */
  write(snapshot: StreamSnapshot): Promise<void>;
}
