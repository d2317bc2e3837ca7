// CPU time of the PostgreSQL backends serving one database (the server on this machine), over a window: the
// store's own share of the machine, apart from other databases and other tenants. Backends are found in
// pg_stat_activity at the start and at the end; one born in between counts from zero, one that ended in
// between is missed (pooled connections live through a load). Linux only (support/proc-cpu.ts).
import type { Database } from '../../infra/db/database.ts';
import { sampleProcess, type ProcSample } from './proc-cpu.ts';

export type BackendSamples = { at: number; samples: Map<number, ProcSample> };

async function backendPids(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  return rows.map((row) => row.pid);
}

/** Samples every backend of `db`'s database (queried on `db`, which should not be the pool being measured). */
export async function sampleBackends(db: Database): Promise<BackendSamples> {
  const samples = new Map<number, ProcSample>();
  for (const pid of await backendPids(db)) samples.set(pid, sampleProcess(pid));
  return { at: performance.now(), samples };
}

/** The backends' CPU between two samples, in cores; undefined when no backend could be read (not Linux, another machine). */
export function backendCoresBetween(before: BackendSamples, after: BackendSamples): number | undefined {
  let ticks = 0;
  let read = 0;
  for (const [pid, sample] of after.samples) {
    if (sample.ticks === undefined) continue;
    read += 1;
    ticks += sample.ticks - (before.samples.get(pid)?.ticks ?? 0);
  }
  return read === 0 ? undefined : ticks / 100 / Math.max(1e-3, (after.at - before.at) / 1000);
}
