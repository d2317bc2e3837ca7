// What every bounded context's HTTP plugin is given: the command side always, the read side when the
// gateway has one (query routes are registered only then).
import type { EventStore } from '../../../ports/event-store.ts';
import type { IdempotencyStore } from '../../../ports/idempotency-store.ts';
import type { ReadModels } from '../../../ports/read-models.ts';

export type ContextRoutesOptions = {
  eventStore: EventStore;
  idempotency: IdempotencyStore;
  clock: () => number;
  readModels?: ReadModels;
  /** Longest wait for ?consistentWith= before answering 504. */
  consistencyTimeoutMs: number;
};
