// `proofline status [--json]`: the figures of /metrics' platform gauges, read once from the deployment's
// database (readPlatformStatus) and printed for an operator: head LSN, each projection's watermark, lag and
// parked events, the relay checkpoints, the anchored LSN and how long ago the last batch went on chain.
import type { Config } from '../../infra/config.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import type { Projection } from '../../projections/projection.ts';
import { readPlatformStatus, type PlatformStatus } from '../composition/platform-status.ts';
import { withOperatorDatabase } from './operator-database.ts';

export const STATUS_USAGE = `usage: proofline status [--json]

  the head LSN, each projection's watermark, lag (events behind the head) and parked events, each relay's
  checkpoint, the anchored LSN and the age of the last batch on chain. "—" (null in --json): no relay or
  no anchorer has run on this database, or the figure could not be read (said on stderr).

  database: DATABASE_URL, else the embedded PostgreSQL of PROOFLINE_DATA_DIR (the running platform's, or
  started for the command). Exit 1 only when the database cannot be reached.`;

export type StatusOutput = { out: (text: string) => void; err: (text: string) => void };

const ABSENT = '—';

/** The JSON `--json` prints: dates as ISO strings, the last batch's age in whole seconds. */
export function statusJson(status: PlatformStatus, now: Date) {
  const { anchor } = status;
  return {
    headLsn: status.headLsn,
    projections: status.projections,
    relays: status.relays,
    anchor: anchor && {
      anchoredLsn: anchor.anchoredLsn,
      anchoredBatches: anchor.anchoredBatches,
      storedBatches: anchor.storedBatches,
      lastAnchoredAt: anchor.lastAnchoredAt?.toISOString() ?? null,
      lastAnchoredAgeSeconds: anchor.lastAnchoredAt ? ageSeconds(anchor.lastAnchoredAt, now) : null,
    },
  };
}

/** The status as aligned tables: the deployment's figures, then one row per projection. */
export function statusTable(status: PlatformStatus, now: Date): string {
  const figure = (value: number | null | undefined) => (value === null || value === undefined ? ABSENT : String(value));
  const { anchor } = status;
  const relays = status.relays === null || status.relays.length === 0 ? [['relay checkpoint', ABSENT]] : status.relays.map((relay) => [`relay checkpoint (${relay.name})`, String(relay.checkpointLsn)]);
  const deployment = [
    ['head LSN', figure(status.headLsn)],
    ...relays,
    ['anchored LSN', figure(anchor?.anchoredLsn)],
    ['anchor batches', anchor ? `${anchor.anchoredBatches} anchored, ${anchor.storedBatches} stored` : ABSENT],
    ['last batch anchored', anchor?.lastAnchoredAt ? `${formatAge(ageSeconds(anchor.lastAnchoredAt, now))} ago (${anchor.lastAnchoredAt.toISOString()})` : ABSENT],
  ];
  const projections = [
    ['projection', 'watermark', 'lag', 'parked'],
    ...status.projections.map((p) => [p.name, figure(p.watermarkLsn), figure(p.lagEvents), figure(p.parkedEvents)]),
  ];
  return `${alignedRows(deployment, [])}\n${alignedRows(projections, [1, 2, 3])}`;
}

/** Rows as columns two spaces apart, each as wide as its widest cell; `rightAligned`: the columns of numbers. */
function alignedRows(rows: readonly (readonly string[])[], rightAligned: readonly number[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => {
        const padding = ' '.repeat(widths[column]! - [...cell].length);
        return rightAligned.includes(column) ? padding + cell : column === row.length - 1 ? cell : cell + padding;
      })
      .join('  ');
  return rows.map((row) => `${line(row)}\n`).join('');
}

const ageSeconds = (at: Date, now: Date) => Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000));

/** 42s, 7m 5s, 3h 2m, 2d 4h: the two largest units. */
export function formatAge(seconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

/** `proofline status …` from the configuration; answers the exit code. */
export async function statusCommand(argv: readonly string[], config: Config, projections: readonly Pick<Projection, 'name'>[], output: StatusOutput): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    output.out(`${STATUS_USAGE}\n`);
    return 0;
  }
  const unknown = argv.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    output.err(`proofline status: unexpected "${JSON.stringify(unknown[0]).slice(1, -1)}"\n${STATUS_USAGE}\n`);
    return 2;
  }
  const json = argv.includes('--json');
  let reached = false;
  try {
    return await withOperatorDatabase(config, async (db) => {
      await db.pool.query('select 1');
      reached = true;
      const eventStore = await openEventStore(config, db);
      try {
        const onReadError = (error: unknown, source: string) => output.err(`proofline status: could not read the ${source}: ${messageOf(error)}\n`);
        const status = await readPlatformStatus({ db, eventStore, projections, onReadError });
        const now = new Date();
        output.out(json ? `${JSON.stringify(statusJson(status, now), null, 2)}\n` : statusTable(status, now));
        return 0;
      } finally {
        await eventStore.close();
      }
    });
  } catch (error) {
    if (reached) throw error;
    output.err(`proofline status: cannot reach the database at ${where(config)}: ${messageOf(error)}\n`);
    return 1;
  }
}

// An AggregateError (every address of a host refused) has no message of its own: its code says it.
const messageOf = (error: unknown) => (error instanceof Error ? error.message || ((error as { code?: string }).code ?? error.name) : String(error));

/** The database named without its credentials: host, port and name, or the embedded one's data directory. */
function where(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `the embedded PostgreSQL of ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    return `${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return 'DATABASE_URL (not a URL)';
  }
}
