// The strings a client may send, in one place: every string field of a command body and every path or query
// parameter is built from these. PostgreSQL refuses a NUL in text, so a NUL accepted at the door would be
// appended and then park its stream in every read model; other control characters and unpaired surrogates
// (which UTF-8 cannot carry: they would be replaced on the way to storage) are never meant either.
import { z } from 'zod';

export const CONTROL_CHARACTERS = 'control characters are not allowed';

// C0, DEL and C1 controls (\p{Cc}) and lone UTF-16 surrogates (\p{Cs}: with the u flag a valid pair is one
// code point, so only an unpaired half matches).
const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

export function isCleanText(value: string): boolean {
  return !FORBIDDEN.test(value);
}

/** Any string without control characters; add length and shape rules to it. */
export const cleanString = () => z.string().refine(isCleanText, CONTROL_CHARACTERS);

/** Text shown to people: trimmed, not empty, at most `max` characters, no control characters. */
export const text = (max: number) => z.string().trim().min(1).max(max).refine(isCleanText, CONTROL_CHARACTERS);

/**
 * Calendar years a date or time may name. PostgreSQL has no year 0 (ISO `0000` passes `z.iso.date()` and would
 * fail in a query); nothing the platform records predates the Unix epoch, and four digits end at 9999.
 */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;
const YEARS = `a year from ${MIN_YEAR} to ${MAX_YEAR}`;
const yearInRange = (value: string) => {
  const year = Number(value.slice(0, 4));
  return year >= MIN_YEAR && year <= MAX_YEAR;
};

/** A calendar day, `YYYY-MM-DD`, in the years above. */
export const calendarDay = () => z.iso.date().refine(yearInRange, YEARS);

/**
 * An instant with its UTC offset (ISO 8601), in the years above. The year is checked in UTC too, so an
 * offset cannot carry 9999-12-31 into year 10000.
 */
export const instant = () =>
  z.iso.datetime({ offset: true }).refine((value) => {
    const utcYear = new Date(value).getUTCFullYear();
    return yearInRange(value) && utcYear >= MIN_YEAR && utcYear <= MAX_YEAR;
  }, YEARS);
