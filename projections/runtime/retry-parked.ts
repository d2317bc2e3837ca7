// Applying a parked stream again once its cause is fixed (a corrected projection deployed, a missing row
// restored). All of the stream's parked events go in one transaction, in LSN order, all or nothing: on success
// they leave parked_events; on failure they all stay, and the failing one's error is updated.
import type { Logger } from 'pino';
import { decodeEvent } from '../../events-schema/index.ts';
import type { Projection } from '../projection.ts';
import { toProjected } from './batch-plan.ts';
import { toRecordedEvent, type ParkedEventRow } from './parking.ts';
import { inProjectionTransaction, messageOf, projectionSchema, schemaExists } from './projection-schema.ts';
import { isTransientError } from './transient-errors.ts';
import type { RetryParkedResult } from '../../ports/read-models.ts';
import type { SqlDatabase, SqlTransaction } from '../../ports/sql.ts';

export type { RetryParkedResult };

export async function retryParkedStream(
  db: SqlDatabase,
  projection: Projection,
  streamId: string,
  options: { logger?: Logger } = {},
): Promise<RetryParkedResult> {
  const result = await inProjectionTransaction(db, { projection: projection.name, lock: 'shared' }, async (trx) =>
    (await schemaExists(trx, projectionSchema(projection.name)))
      ? retryParkedWithin(trx, projection, streamId)
      : ({ status: 'nothing_parked', streamId } as const),
  );

  const log = options.logger?.child({ projection: projection.name, streamId });
  if (result.status === 'failed') log?.warn({ lsn: result.failedLsn, error: result.error }, 'parked stream still refused');
  if (result.status === 'applied') log?.info({ applied: result.applied }, 'parked stream applied');
  return result;
}

/** The retry itself, inside a projection transaction (search_path set to the schema to retry in). */
export async function retryParkedWithin(trx: SqlTransaction, projection: Projection, streamId: string): Promise<RetryParkedResult> {
  const rows: ParkedEventRow[] = await trx('parked_events').where({ stream_id: streamId }).orderBy('lsn').forUpdate().select('*');
  if (rows.length === 0) return { status: 'nothing_parked', streamId } as const;

  const handled = new Set<string>(projection.canHandle);
  let current: ParkedEventRow | undefined;
  try {
    await trx.transaction(async (savepoint) => {
      for (const row of rows) {
        current = row;
        // A type the projection no longer reads only moves on, as it would in a batch.
        if (!handled.has(row.type)) continue;
        const recorded = toRecordedEvent(row);
        await projection.applyBatch([toProjected(recorded, decodeEvent(recorded.data))], savepoint);
      }
    });
  } catch (error) {
    if (isTransientError(error) || !current) throw error;
    const message = `retry: ${projection.name} could not apply ${current.type}: ${messageOf(error)}`;
    await trx('parked_events').where({ stream_id: streamId, lsn: current.lsn }).update({ error: message });
    return { status: 'failed', streamId, failedLsn: current.lsn, error: message, stillParked: rows.length } as const;
  }
  await trx('parked_events').where({ stream_id: streamId }).whereIn('lsn', rows.map((row) => row.lsn)).delete();
  return { status: 'applied', streamId, applied: rows.length } as const;
}
