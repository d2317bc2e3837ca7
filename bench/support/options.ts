// Command-line helpers shared by the benchmarks: option values checked as they are parsed (node:util
// parseArgs gives strings), URLs printed without their password, and the met/MISSED verdict of a target.

/** A positive number (or integer) from an option's text; throws naming the option otherwise. */
export function positiveOption(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The URL as it may be printed: its password replaced by ***. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** ' — met' or ' — MISSED' for a figure against its target (higher is better); '' when not measured. */
export function verdict(value: number | undefined, target: number): string {
  if (value === undefined) return '';
  return value >= target ? ' — met' : ' — MISSED';
}
