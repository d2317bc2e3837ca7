// The projection runtime's public face: workers, read-model consistency, parking and rebuilds.
export { createProjectionWorker, type ProjectionWorker, type ProjectionWorkerOptions } from './worker.ts';
export { foreignRecords, lowestPartitions, watermark, waitForWatermark, type ForeignRecordsSummary, type WaitForWatermarkOptions } from './watermark.ts';
export { StallTracker, type ProjectionProgressSample } from './stall-tracker.ts';
export { countParked, listParked, type ParkedEvent } from './parking.ts';
export { retryParkedStream, type RetryParkedResult } from './retry-parked.ts';
export { rebuildProjection, type RebuildOptions, type RebuildResult } from './rebuild.ts';
export { ensureProjectionSchema, inProjectionTransaction, projectionChannel, projectionSchema } from './projection-schema.ts';
export { applySourceBatch, type BatchOutcome } from './apply-batch.ts';
export { SourceContractError } from './batch-plan.ts';
export { ProjectionBatchError, ReadModelTimeoutError } from './errors.ts';
export { createWatermarkWatch, DEFAULT_CONSISTENCY_MAX_WAITERS, type WatermarkWatch, type WatermarkWatchOptions } from './watermark-watch.ts';
export { isDatabaseUnreachable, isTransientError } from './transient-errors.ts';
export { ANALYTICS_SCHEMA, ensureAnalyticsSchema, installAnalyticsViews } from './analytics-views.ts';
