// Tells a stalled read model from one that is catching up. Pure: fed samples (head LSN, each projection's
// watermark, the time), it keeps, per projection, since when its watermark has stood still while behind.
//
// The clock of a projection restarts whenever its watermark moves, and whenever it was current at the
// previous sample: a projection idle at the head for an hour that falls one event behind is catching up,
// not stalled. It is stalled once it has been behind the head, with the same watermark, for longer than
// `stallAfterMs`.
import type { ProjectionHealth } from '../../ports/read-models.ts';

export type ProjectionProgressSample = { projection: string; watermarkLsn: number };

export class StallTracker {
  readonly #still = new Map<string, { watermarkLsn: number; since: number; wasBehind: boolean }>();

  constructor(readonly stallAfterMs: number) {
    if (!(stallAfterMs > 0)) throw new RangeError(`stallAfterMs must be > 0, got ${stallAfterMs}`);
  }

  observe(headLsn: number, samples: readonly ProjectionProgressSample[], now: number): Omit<ProjectionHealth, 'reason'>[] {
    return samples.map(({ projection, watermarkLsn }) => {
      const behind = watermarkLsn < headLsn;
      const previous = this.#still.get(projection);
      const restart = !previous || previous.watermarkLsn !== watermarkLsn || !previous.wasBehind;
      const since = restart ? now : previous.since;
      this.#still.set(projection, { watermarkLsn, since, wasBehind: behind });
      if (!behind) return { projection, status: 'current', watermarkLsn, headLsn, stillForMs: 0 };
      const stillForMs = now - since;
      return { projection, status: stillForMs > this.stallAfterMs ? 'stalled' : 'catching_up', watermarkLsn, headLsn, stillForMs };
    });
  }
}
