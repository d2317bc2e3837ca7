// The governance rules, defined once: the command schemas and deciders enforce them, the read model and the
// error messages state them. Plain values and pure functions only.
import type { ClassWeights } from './events.ts';

/**
 * Weight of one vote per voter class (seed 003): an expert's counts three times a citizen's, a community's
 * twice. A decision records the weights in force when it opens, so results never depend on today's values.
 */
export const defaultClassWeights: ClassWeights = { citizen: 1, expert: 3, community: 2 };

/** A decision offers at least this many options... */
export const MIN_OPTIONS = 2;
/** ...and at most this many. */
export const MAX_OPTIONS = 20;

/** A decision takes no votes from its deadline on (the instant `closesAt` included), closed by an event or not. */
export function deadlinePassed(closesAt: number | null, now: number): boolean {
  return closesAt !== null && now >= closesAt;
}
