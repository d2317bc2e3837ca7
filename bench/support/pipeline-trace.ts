// What the Kafka pipeline did and when, for a freshness breakdown: each relay batch (send → broker ack) and
// each batch the projection worker handled (delivered → committed). Times are epoch milliseconds with
// sub-millisecond precision (performance.timeOrigin + performance.now()), so records from a child process
// line up with the parent's.
import pino, { type Logger } from 'pino';
import type { ProjectionSource } from '../../ports/projection-source.ts';

export const epochNow = (): number => performance.timeOrigin + performance.now();

export type RelayBatchRecord = { kind: 'relay'; firstLsn: number; lastLsn: number; events: number; sentAt: number; ackedAt: number };
export type HandleRecord = {
  kind: 'handle';
  partition: number;
  startedAt: number;
  committedAt: number;
  /** LSNs of the events in the batch (ascending). */
  lsns: number[];
  watermarkLsn: number;
};
export type PipelineRecord = RelayBatchRecord | HandleRecord;

/**
 * A pino logger for the relay that turns its debug line 'batch acknowledged' (firstLsn, lastLsn, events, ms)
 * into a record; everything else is dropped. Errors and warnings go to stderr.
 */
export function relayTraceLogger(record: (entry: RelayBatchRecord) => void): Logger {
  return pino(
    { level: 'debug' },
    {
      write(line: string) {
        if (line.includes('"batch acknowledged"')) {
          const ackedAt = epochNow();
          const entry = JSON.parse(line) as { firstLsn: number; lastLsn: number; events: number; ms: number };
          record({ kind: 'relay', firstLsn: entry.firstLsn, lastLsn: entry.lastLsn, events: entry.events, sentAt: ackedAt - entry.ms, ackedAt });
          return;
        }
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level !== undefined && Number(level) >= 40 && !line.includes('"namespace"')) process.stderr.write(`[pipeline] ${line}`);
      },
    },
  );
}

/** The source, with every `handle` call timed. */
export function tracedSource(source: ProjectionSource, record: (entry: HandleRecord) => void): ProjectionSource {
  return {
    run(hooks) {
      return source.run({
        ...hooks,
        async handle(batch) {
          const startedAt = epochNow();
          await hooks.handle(batch);
          record({
            kind: 'handle',
            partition: batch.partition,
            startedAt,
            committedAt: epochNow(),
            lsns: batch.events.map((event) => event.lsn),
            watermarkLsn: batch.watermarkLsn,
          });
        },
      });
    },
  };
}
