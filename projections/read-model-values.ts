// Values every read model converts or checks the same way: UTC days, exact integers from bigint columns.

/** bigint columns arrive as strings; anything past 2^53 would be a bug upstream, so it fails loudly. */
export function exact(value: string | number): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`amount ${value} is not a safe integer`);
  return number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day `YYYY-MM-DD` (a RangeError naming `name` otherwise: the gateway validated it first). */
export function checkDay(day: string, name: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new RangeError(`${name} must be a day YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return day;
}

/** The UTC day `YYYY-MM-DD` of an instant. */
export const dayOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);
