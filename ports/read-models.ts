// What query routes need from the read side: typed queries per read model, and how far each projection got.
// The composition (gateways/composition/read-models.ts) builds them from projections/*/queries.ts.
import type { AccessQueries } from './read-models/access.ts';
import type { AssetsQueries } from './read-models/assets.ts';
import type { CrawlQueries } from './read-models/crawl.ts';
import type { GovernanceQueries } from './read-models/governance.ts';
import type { ImpactQueries } from './read-models/impact.ts';
import type { WorkplaceQueries } from './read-models/workplace.ts';

export type ReadModels = {
  governance: GovernanceQueries;
  workplace: WorkplaceQueries;
  crawl: CrawlQueries;
  access: AccessQueries;
  impact: ImpactQueries;
  assets: AssetsQueries;
  /** The LSN up to which the projection has applied every event. */
  watermark(projection: string): Promise<number>;
  /**
   * Waits (bounded) until the projection has applied `lsn`; answers the watermark reached either way. Rejects
   * with ReadModelWaitersBusyError when too many requests are waiting already.
   */
  waitFor(projection: string, lsn: number, timeoutMs: number): Promise<{ reached: boolean; watermark: number }>;
};

/** More requests are waiting for read models than the cap allows (HTTP 503 `busy`). */
export class ReadModelWaitersBusyError extends Error {
  override readonly name = 'ReadModelWaitersBusyError';
  constructor(readonly maxWaiters: number) {
    super(`${maxWaiters} requests are already waiting for a read model`);
  }
}

export type ParkedEventView = {
  projection: string;
  streamId: string;
  lsn: number;
  eventId: string;
  type: string;
  revision: number;
  error: string;
  parkedAt: Date;
};

/** Parked events of every projection, and a retry of one parked stream. */
export type ParkingAdmin = {
  projections: readonly string[];
  list(): Promise<ParkedEventView[]>;
  retry(projection: string, streamId: string): Promise<RetryParkedResult>;
};

export type RetryParkedResult =
  | { status: 'applied'; streamId: string; applied: number }
  | { status: 'failed'; streamId: string; failedLsn: number; error: string; stillParked: number }
  | { status: 'nothing_parked'; streamId: string };

/**
 * How a read model keeps up with the log, as the gateway's readiness probe reports it:
 * `current` — applied up to the head; `catching_up` — behind, and its watermark moved within the stall
 * threshold; `stalled` — behind, and its watermark has not moved for longer than the threshold.
 */
export type ProjectionHealth = {
  projection: string;
  status: 'current' | 'catching_up' | 'stalled';
  watermarkLsn: number;
  headLsn: number;
  /** While behind: how long the watermark has stood still, ms (0 when current). */
  stillForMs: number;
  /** Why it does not move, when that is known (e.g. records of another event store, a relay behind). */
  reason?: string;
};
