// Visibility of a projection's read model: its watermark (every LSN up to it applied), polled every 5 ms. A
// command answered with LSN n is visible once the watermark reaches n; the first poll that sees it is its
// visibleAt (resolution: the poll interval plus one query round trip). Times are epoch milliseconds
// (epochNow), so answers timed in another process line up with them.
import { setTimeout as delay } from 'node:timers/promises';
import type { Database } from '../../infra/db/database.ts';
import { watermark } from '../../projections/runtime/index.ts';
import { epochNow } from './pipeline-trace.ts';

const POLL_MS = 5;

type Waiting = { lsn: number; answeredAt: number; resolve: (visibleAt: number) => void };

export class VisibilityTracker {
  private current = 0;
  private waiting: Waiting[] = [];
  /** Each rise of the watermark, in time order (so the watermarks ascend too). */
  private readonly samples: Array<{ at: number; watermark: number }> = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly projection: string,
  ) {
    this.loop = this.poll();
  }

  get watermark(): number {
    return this.current;
  }

  /** Resolves with the time the LSN was first seen visible (its answer time if it already was). */
  visibleAt(lsn: number, answeredAt: number): Promise<number> {
    if (lsn <= this.current) return Promise.resolve(answeredAt);
    return new Promise((resolve) => this.waiting.push({ lsn, answeredAt, resolve }));
  }

  /** The watermark at a time (the last sample at or before it). */
  watermarkAt(at: number): number {
    let found = 0;
    for (const sample of this.samples) {
      if (sample.at > at) break;
      found = sample.watermark;
    }
    return found;
  }

  /** After the fact: the first poll time at which the watermark was ≥ lsn; undefined if it never was. */
  reachedAt(lsn: number): number | undefined {
    let low = 0;
    let high = this.samples.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.samples[middle]!.watermark >= lsn) high = middle;
      else low = middle + 1;
    }
    return this.samples[low]?.at;
  }

  async waitFor(lsn: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.current < lsn) {
      if (Date.now() > deadline) throw new Error(`the ${this.projection} projection's watermark stayed at ${this.current}, below ${lsn}, for ${timeoutMs} ms`);
      await delay(POLL_MS);
    }
    return epochNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      let reached: number;
      try {
        reached = await watermark(this.db, this.projection);
      } catch (error) {
        process.stderr.write(`watermark poll failed: ${(error as Error).message}\n`);
        await delay(100);
        continue;
      }
      const at = epochNow();
      if (reached > this.current) {
        this.current = reached;
        this.samples.push({ at, watermark: reached });
        const still: Waiting[] = [];
        for (const entry of this.waiting) {
          if (entry.lsn <= reached) entry.resolve(at);
          else still.push(entry);
        }
        this.waiting = still;
      }
      await delay(POLL_MS);
    }
  }
}
