// Command-line helpers shared by the benchmarks: option values checked as they are parsed (node:util
// parseArgs gives strings), URLs printed without their password, the met/MISSED verdict of a target, and the
// options every HTTP load bench with a load-generator process takes (bench:impact, bench:assets).
import { DEFAULT_BENCH_SERVER } from './databases.ts';

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

/**
 * The parseArgs specs of the options every HTTP load bench takes: --clients, --seconds, --warmup, --pool, and
 * --load-spec (internal: main.ts passes it to the load-generator process it starts).
 */
export const HTTP_LOAD_ARGS = {
  clients: { type: 'string', default: '64' },
  seconds: { type: 'string', default: '20' },
  warmup: { type: 'string', default: '2' },
  pool: { type: 'string', default: '20' },
  'load-spec': { type: 'string' },
} as const;

export type HttpLoadOptions = {
  clients: number;
  seconds: number;
  warmupSeconds: number;
  poolSize: number;
  /** The PostgreSQL server the throw-away database is created on. */
  serverUrl: string;
};

/** The HTTP_LOAD_ARGS values, checked (a warm-up may be 0), and the server from BENCH_DATABASE_URL or DATABASE_URL. */
export function httpLoadOptionsOf(values: { clients: string; seconds: string; warmup: string; pool: string; 'load-spec'?: string | undefined }): HttpLoadOptions & { loadSpec?: string } {
  return {
    clients: positiveOption('clients', values.clients, true),
    seconds: positiveOption('seconds', values.seconds, false),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    poolSize: positiveOption('pool', values.pool, true),
    serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values['load-spec'] === undefined ? {} : { loadSpec: values['load-spec'] }),
  };
}
