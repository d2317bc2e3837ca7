// The options of bench:http, checked as they are parsed.
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_SERVER } from '../support/databases.ts';
import { positiveOption } from '../support/options.ts';

export type HttpBenchOptions = {
  seconds: number;
  /** Seconds of load before each measured target, not reported (JIT, pools, connections); 0: none. */
  warmupSeconds: number;
  connections: number;
  /** Connections of the results route's load, beside the votes. */
  readerConnections: number;
  /** Passed on as `proofline gateway --workers N` when given. */
  workers: number | undefined;
  json: boolean;
  /** The PostgreSQL server the throw-away database is created on. */
  serverUrl: string;
};

/** What the bench's entry file is started as: the bench, the floor's server, or a load generator. */
export type HttpBenchRole = { role: 'bench'; options: HttpBenchOptions } | { role: 'floor-server'; port: number } | { role: 'load'; specFile: string };

export function parseRole(argv: string[]): HttpBenchRole {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '128' },
      'reader-connections': { type: 'string', default: '4' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
      // Internal: how main.ts starts this file again as a child process.
      'floor-server': { type: 'string' },
      'load-spec': { type: 'string' },
    },
    strict: true,
  });
  if (values['floor-server'] !== undefined) return { role: 'floor-server', port: positiveOption('floor-server', values['floor-server'], true) };
  if (values['load-spec'] !== undefined) return { role: 'load', specFile: values['load-spec'] };
  return {
    role: 'bench',
    options: {
      seconds: positiveOption('seconds', values.seconds, false),
      warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
      connections: positiveOption('connections', values.connections, true),
      readerConnections: positiveOption('reader-connections', values['reader-connections'], true),
      workers: values.workers === undefined ? undefined : positiveOption('workers', values.workers, true),
      json: values.json,
      serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    },
  };
}
