// How busy a pg pool is: samples, every few milliseconds, how many of its connections are checked out and how
// many callers are queued waiting for one. Averages between two snapshots tell whether the pool, rather than
// the server, is what writers wait on.
import type pg from 'pg';

export type PoolGaugeSnapshot = { samples: number; inUse: number; waiting: number };
export type PoolUsage = { size: number; meanInUse: number; meanWaiting: number };

export class PoolGauge {
  private readonly totals: PoolGaugeSnapshot = { samples: 0, inUse: 0, waiting: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    intervalMs = 5,
  ) {
    this.timer = setInterval(() => {
      this.totals.samples += 1;
      this.totals.inUse += pool.totalCount - pool.idleCount;
      this.totals.waiting += pool.waitingCount;
    }, intervalMs);
    this.timer.unref();
  }

  snapshot(): PoolGaugeSnapshot {
    return { ...this.totals };
  }

  usageBetween(before: PoolGaugeSnapshot, after: PoolGaugeSnapshot): PoolUsage {
    const samples = Math.max(1, after.samples - before.samples);
    return {
      size: this.pool.options.max ?? 10,
      meanInUse: (after.inUse - before.inUse) / samples,
      meanWaiting: (after.waiting - before.waiting) / samples,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
