// Errors of the projection runtime. Each carries what a caller needs to report it without parsing the message.

/** The read model did not reach the wanted LSN in time (a query's `consistentWith` wait). */
export class ReadModelTimeoutError extends Error {
  override readonly name = 'ReadModelTimeoutError';
  constructor(
    readonly projection: string,
    readonly wantedLsn: number,
    readonly reachedLsn: number,
    readonly timeoutMs: number,
  ) {
    super(`read model ${projection} reached LSN ${reachedLsn}, not ${wantedLsn}, within ${timeoutMs} ms`);
  }
}

/** A batch transaction failed (not a refused event: those are parked). Nothing of the batch was kept. */
export class ProjectionBatchError extends Error {
  override readonly name = 'ProjectionBatchError';
  constructor(
    readonly projection: string,
    readonly topic: string,
    readonly partition: number,
    readonly fromLsn: number | null,
    readonly toLsn: number | null,
    cause: unknown,
  ) {
    const range = fromLsn === null ? 'no events' : `LSN ${fromLsn}..${toLsn}`;
    super(`projection ${projection}: batch of ${topic}/${partition} (${range}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
