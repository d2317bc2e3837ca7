// What query routes need from the read side: the read-model database and how far each projection got.
import type { Knex } from 'knex';

export type ReadModels = {
  knex: Knex;
  /** The LSN up to which the projection has applied every event. */
  watermark(projection: string): Promise<number>;
  /** Waits (bounded) until the projection has applied `lsn`; answers the watermark reached either way. */
  waitFor(projection: string, lsn: number, timeoutMs: number): Promise<{ reached: boolean; watermark: number }>;
};

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
