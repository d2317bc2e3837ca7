// What every bounded context's HTTP plugin is given: the command side always, the read side when the
// gateway has one (query routes are registered only then), and the settings some context needs.
import type { EventStore } from '../../../ports/event-store.ts';
import type { IdempotencyStore } from '../../../ports/idempotency-store.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import type { SnapshotStore } from '../../../ports/snapshot-store.ts';
import type { AuditReader } from '../../../ports/read-models/anchoring.ts';
import type { StreamRouter } from '../../../ports/stream-routing.ts';
import type { Credentials } from '../credentials.ts';

/** Configuration a single context reads; each field is named after its context. */
export type ContextSettings = {
  /** The HMAC key of reviewer pseudonyms (WORKPLACE_PSEUDONYM_KEY, or drawn per data directory). */
  workplacePseudonymKey: Uint8Array;
};

export type ContextRoutesOptions = {
  eventStore: EventStore;
  idempotency: IdempotencyStore;
  clock: () => number;
  readModels?: ReadModels;
  /** Snapshots of long streams (a platform's escrow); without it they are folded from the start on each load. */
  snapshots?: SnapshotStore;
  /** Anchoring proofs, when the gateway serves /v1/audit (asset provenance embeds each event's). */
  audit?: AuditReader;
  /** Longest wait for ?consistentWith= before answering 504. */
  consistencyTimeoutMs: number;
  settings: ContextSettings;
  /** The gateway's credentials (absent: no sign-in configured, every non-public route answers 401). */
  credentials?: Credentials;
  /** Where hot streams' commands run when several gateways take them (absent: here). */
  streamRouter?: StreamRouter;
};
