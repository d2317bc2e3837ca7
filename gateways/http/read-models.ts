// What query routes need from the read side: the read-model database and how far each projection got.
import type { Knex } from 'knex';

export type ReadModels = {
  knex: Knex;
  /** The LSN up to which the projection has applied every event. */
  watermark(projection: string): Promise<number>;
  /** Waits (bounded) until the projection has applied `lsn`; answers the watermark reached either way. */
  waitFor(projection: string, lsn: number, timeoutMs: number): Promise<{ reached: boolean; watermark: number }>;
};
