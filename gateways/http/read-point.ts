// Read-your-writes for query routes: `?consistentWith=<lsn>` waits (bounded) for a read model to apply that
// LSN; the answer carries the watermark it was read at as `asOfLsn`.
import { z } from 'zod';
import { ReadModelWaitersBusyError, type ReadModels } from '../../ports/read-models.ts';
import { HttpError } from './errors.ts';

/** The `consistentWith` query parameter every query route accepts. */
export const consistentWithParam = z.coerce.number().int().min(0).optional();

/** The watermark of `projection` to answer with, after waiting for `lsn` when the client asked for it. */
export async function readPoint(readModels: ReadModels, projection: string, lsn: number | undefined, timeoutMs: number): Promise<number> {
  if (lsn === undefined) return readModels.watermark(projection);
  const { reached, watermark } = await readModels.waitFor(projection, lsn, timeoutMs).catch((error: unknown) => {
    // Waiters are capped: beyond the cap, the client tries again shortly rather than adding to the wait.
    if (error instanceof ReadModelWaitersBusyError) throw new HttpError('busy', error.message, undefined, 1);
    throw error;
  });
  if (!reached) throw new HttpError('read_model_timeout', `the ${projection} read model reached LSN ${watermark}, not ${lsn}, within ${timeoutMs} ms`);
  return watermark;
}
