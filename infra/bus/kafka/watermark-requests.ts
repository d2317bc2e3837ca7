// Reads waiting for an LSN ask the active relay for watermarks now (relay.ts header) with a NOTIFY on the
// deployment's database, which the relay LISTENs to. At most one NOTIFY per process and `throttleMs`, carrying
// the highest LSN asked for meanwhile; a failed one is logged at debug and forgotten (the wait still ends
// within the relay's interval).
import type { Logger } from 'pino';
import type { WatermarkRequests } from '../../../ports/watermark-requests.ts';
import type { SqlDatabase } from '../../../ports/sql.ts';

export const WATERMARKS_WANTED_CHANNEL = 'proofline_watermarks_wanted';

export type PostgresWatermarkRequestsOptions = {
  db: Pick<SqlDatabase, 'query'>;
  /** Least time between two NOTIFYs of this process. Default 20 ms. */
  throttleMs?: number;
  logger?: Logger;
};

export function createPostgresWatermarkRequests(options: PostgresWatermarkRequestsOptions): WatermarkRequests {
  const throttleMs = options.throttleMs ?? 20;
  let pendingLsn = 0;
  let lastSentAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;

  function send(): void {
    timer = undefined;
    const lsn = pendingLsn;
    pendingLsn = 0;
    lastSentAt = Date.now();
    options.db.query('select pg_notify($1, $2)', [WATERMARKS_WANTED_CHANNEL, String(lsn)]).catch((error: unknown) => {
      options.logger?.debug({ err: error, lsn }, 'could not ask the relay for watermarks');
    });
  }

  return {
    request(lsn) {
      if (!Number.isSafeInteger(lsn) || lsn <= 0) return;
      pendingLsn = Math.max(pendingLsn, lsn);
      if (timer) return; // coalesced into the NOTIFY already planned
      const wait = lastSentAt + throttleMs - Date.now();
      if (wait <= 0) return send();
      timer = setTimeout(send, wait);
      timer.unref();
    },
  };
}

/** The LSN a NOTIFY payload asks for, or undefined when it is not one. */
export function wantedLsn(payload: string): number | undefined {
  const lsn = Number(payload);
  return Number.isSafeInteger(lsn) && lsn > 0 ? lsn : undefined;
}
