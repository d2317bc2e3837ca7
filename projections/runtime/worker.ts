// A projection worker: sets up the projection's schema, then applies whatever its source delivers, one
// transaction per batch (apply-batch.ts). It keeps no position in memory: the source resumes from the stored
// checkpoints, and events at or below a checkpoint are dropped, so a restart at any moment changes nothing.
//
// A batch whose transaction fails for a database reason is tried again a few times; after that run() rejects
// with a ProjectionBatchError and whoever runs the worker restarts it. Refused events never fail a batch:
// they are parked.
import pino, { type Logger } from 'pino';
import { backoffMs, pause } from '../../ports/backoff.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ProjectionTracer } from '../../ports/projection-tracing.ts';
import type { Projection } from '../projection.ts';
import { applySourceBatch, type BatchOutcome } from './apply-batch.ts';
import { raiseWatermarks, readPositions, registerPartitions, retirePartitions } from './checkpoint-store.ts';
import { ProjectionBatchError } from './errors.ts';
import { assertProjectionName, ensureProjectionSchema, inProjectionTransaction, projectionChannel } from './projection-schema.ts';
import type { ProjectionSource, SourceBatch } from '../../ports/projection-source.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import { isDatabaseUnreachable, retryTransient } from './transient-errors.ts';

export type ProjectionWorkerOptions = {
  db: SqlDatabase;
  projection: Projection;
  source: ProjectionSource;
  /** Only read to log how far behind the log the projection starts. */
  eventStore?: EventStore;
  logger?: Logger;
  /** Attempts per batch when its transaction fails for a transient database reason. Default 5. */
  batchAttempts?: number;
  /**
   * Whether a run stopped by an unreachable database starts again after a pause (default) or rejects, for a
   * caller that restarts the worker itself or wants to see the batch failure.
   */
  waitOutOutages?: boolean;
  /** Reports each batch (spans); the composition gives the telemetry adapter's. Default: batches are not traced. */
  tracer?: ProjectionTracer;
};

const untraced: ProjectionTracer = { traceBatch: (_projection, _batch, apply) => apply() };

export type ProjectionWorker = {
  /** Runs until the signal aborts (resolves) or a batch cannot be committed (rejects); waits out an unreachable database. */
  run(signal: AbortSignal): Promise<void>;
};

export function createProjectionWorker(options: ProjectionWorkerOptions): ProjectionWorker {
  const { db, projection, source } = options;
  assertProjectionName(projection.name);
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ projection: projection.name });
  const shared = { projection: projection.name, lock: 'shared' } as const;
  const tracer = options.tracer ?? untraced;

  /** One run of the source, from the stored positions, until the signal aborts or something fails. */
  const runOnce = async (signal: AbortSignal, committed: () => void) => {
    await ensureProjectionSchema(db, projection);
    await logStart(options, logger);
    await source.run({
      signal,
      positions: () => inProjectionTransaction(db, shared, readPositions),
      partitionsKnown: (partitions) => inProjectionTransaction(db, shared, (trx) => registerPartitions(trx, partitions)),
      retirePartitions: async (partitions) => {
        const retired = await inProjectionTransaction(db, shared, (trx) => retirePartitions(trx, partitions));
        if (retired.length > 0) logger.warn({ retired }, 'partitions this source no longer reads stop holding the watermark back');
      },
      handle: async (batch) => {
        const apply = () => inProjectionTransaction(db, shared, (trx) => applySourceBatch(trx, projection, batch));
        // Spans: one per batch, and one per traced event as a child of its traceparent (ports/projection-tracing.ts).
        const outcome = await tracer.traceBatch(projection, batch, async () => {
          try {
            return await retryTransient(apply, { attempts: options.batchAttempts ?? 5, firstDelayMs: 100, signal, logger });
          } catch (error) {
            const failure = batchError(projection.name, batch, error);
            logger.error({ err: failure }, 'batch could not be committed; the worker stops');
            throw failure;
          }
        });
        logOutcome(logger, batch, outcome);
        committed();
      },
      advanceWatermarks: async (watermarks) => {
        const raise = () =>
          inProjectionTransaction(db, shared, async (trx) => {
            const highest = await raiseWatermarks(trx, watermarks);
            if (highest > 0) await trx.raw('select pg_notify(?, ?)', [projectionChannel(projection.name), String(highest)]);
          });
        await retryTransient(raise, { attempts: options.batchAttempts ?? 5, firstDelayMs: 100, signal, logger });
        committed();
      },
    });
  };

  return {
    async run(signal) {
      // PostgreSQL down or restarting stops this run (a batch that cannot commit, positions that cannot be
      // read); the worker starts again after a growing pause instead of failing for good. Every batch is
      // committed with its checkpoint, so starting again loses and repeats nothing.
      for (let outages = 0; ; ) {
        try {
          await runOnce(signal, () => (outages = 0));
          break;
        } catch (error) {
          if (signal.aborted || options.waitOutOutages === false || !isDatabaseUnreachable(error)) throw error;
          outages += 1;
          const waitMs = backoffMs(outages, 500, 30_000);
          logger.warn({ err: error, outages, waitMs }, 'PostgreSQL is unreachable; the worker starts again after a pause');
          await pause(waitMs, signal);
          if (signal.aborted) break;
        }
      }
      logger.info('projection worker stopped');
    },
  };
}

async function logStart(options: ProjectionWorkerOptions, logger: Logger): Promise<void> {
  const headLsn = options.eventStore ? await options.eventStore.headLsn() : undefined;
  logger.info({ headLsn }, 'projection worker started');
}

function logOutcome(logger: Logger, batch: SourceBatch, outcome: BatchOutcome): void {
  for (const { event, error } of outcome.parked) {
    logger.warn({ streamId: event.streamId, lsn: event.lsn, eventId: event.eventId, type: event.type, error }, 'event parked');
  }
  logger.debug(
    {
      topic: batch.topic,
      partition: batch.partition,
      appliedLsn: outcome.appliedLsn,
      applied: outcome.applied,
      parked: outcome.parked.length,
      alreadyApplied: outcome.alreadyApplied,
      notHandled: outcome.notHandled,
    },
    'batch committed',
  );
}

function batchError(projection: string, batch: SourceBatch, cause: unknown): ProjectionBatchError {
  return new ProjectionBatchError(projection, batch.topic, batch.partition, batch.events[0]?.lsn ?? null, batch.events.at(-1)?.lsn ?? null, cause);
}
