// The crawl billing rules, defined once: the command schemas and deciders enforce them, the error messages
// state them. Plain values only. (The largest amount an event records, MAX_EXACT_LONG, is a fact of the
// events' encoding and lives with them in events.ts.)

const DAY_MS = 24 * 60 * 60 * 1000;

/** A platform may dispute a bill for this many days after it was billed. */
export const DISPUTE_WINDOW_DAYS = 7;
export const DISPUTE_WINDOW_MS = DISPUTE_WINDOW_DAYS * DAY_MS;

/** The smallest deposit into an escrow, in micro-units. */
export const MIN_DEPOSIT_MICROS = 1;
