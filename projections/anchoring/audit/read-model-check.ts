// `audit verify --rebuild`: every read model rebuilt from the log into a shadow schema and compared, table by
// table, with the live one at the same LSN (projections/runtime/rebuild.ts, rebuildShadow). The live tables
// are only read; the shadows are dropped.
import type { Logger } from 'pino';
import type { EventStore } from '../../../ports/event-store.ts';
import type { SqlDatabase } from '../../../ports/sql.ts';
import type { Projection } from '../../projection.ts';
import { rebuildShadow } from '../../runtime/rebuild.ts';
import { compareSchemas, type TableComparison } from '../../runtime/shadow-diff.ts';

export type ReadModelCheck = {
  projection: string;
  /** Both sides hold exactly the events up to here. */
  comparedAtLsn: number;
  tables: TableComparison[];
  /** Events the shadow rebuild parked (refused by the projection). */
  parked: number;
  durationMs: number;
};

export type ReadModelsReport = { ok: boolean; projections: ReadModelCheck[] };

export async function checkReadModels(options: {
  db: SqlDatabase;
  eventStore: EventStore;
  projections: readonly Projection[];
  logger?: Logger;
  pageSize?: number;
  settleTimeoutMs?: number;
}): Promise<ReadModelsReport> {
  const checks: ReadModelCheck[] = [];
  for (const projection of options.projections) {
    const result = await rebuildShadow({
      db: options.db,
      eventStore: options.eventStore,
      projection,
      pageSize: options.pageSize ?? 5000,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.settleTimeoutMs ? { settleTimeoutMs: options.settleTimeoutMs } : {}),
      inspect: (trx, schemas) => compareSchemas(trx, schemas),
    });
    checks.push({ projection: projection.name, comparedAtLsn: result.comparedAtLsn, tables: result.outcome, parked: result.parked, durationMs: result.durationMs });
  }
  return { ok: checks.every((check) => check.tables.every((table) => table.same)), projections: checks };
}
