// The bench's command-line options (listed at the top of main.ts), checked as they are parsed, and the
// PostgreSQL server it creates its throw-away database on. --load-spec is internal: main.ts passes it to the
// load-generator process it starts (see load-generator.ts).
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_SERVER } from '../support/databases.ts';
import { positiveOption } from '../support/options.ts';

export type Options = {
  clients: number;
  players: number;
  quests: number;
  seconds: number;
  warmupSeconds: number;
  probeEvery: number;
  probes: number;
  poolSize: number;
  serverUrl: string;
};

export function parseOptions(argv: string[]): Options & { loadSpec?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '64' },
      players: { type: 'string', default: '4000' },
      quests: { type: 'string', default: '25' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      'probe-every': { type: 'string', default: '20' },
      probes: { type: 'string', default: '4' },
      pool: { type: 'string', default: '20' },
      'load-spec': { type: 'string' },
    },
    strict: true,
  });
  const options = {
    clients: positiveOption('clients', values.clients, true),
    players: positiveOption('players', values.players, true),
    quests: positiveOption('quests', values.quests, true),
    seconds: positiveOption('seconds', values.seconds, false),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    probeEvery: positiveOption('probe-every', values['probe-every'], true),
    probes: positiveOption('probes', values.probes, true),
    poolSize: positiveOption('pool', values.pool, true),
    serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values['load-spec'] === undefined ? {} : { loadSpec: values['load-spec'] }),
  };
  // A client's players are its own: no two clients ever submit for the same player at once.
  if (options.players < options.clients) throw new Error(`--players (${options.players}) must be at least --clients (${options.clients}): each client submits for players of its own`);
  return options;
}
