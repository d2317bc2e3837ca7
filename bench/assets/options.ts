// The bench's command-line options (listed at the top of main.ts), checked as they are parsed, and the
// PostgreSQL server it creates its throw-away database on. --load-spec is internal: main.ts passes it to the
// load-generator process it starts (see load-generator.ts).
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_SERVER } from '../support/databases.ts';
import { positiveOption } from '../support/options.ts';

export type Options = {
  clients: number;
  wallets: number;
  assets: number;
  seconds: number;
  warmupSeconds: number;
  /** One relist in this many also changes the price first (PUT price). */
  repriceEvery: number;
  poolSize: number;
  serverUrl: string;
};

export function parseOptions(argv: string[]): Options & { loadSpec?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '64' },
      wallets: { type: 'string', default: '1000' },
      assets: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      'reprice-every': { type: 'string', default: '4' },
      pool: { type: 'string', default: '20' },
      'load-spec': { type: 'string' },
    },
    strict: true,
  });
  const options = {
    clients: positiveOption('clients', values.clients, true),
    wallets: positiveOption('wallets', values.wallets, true),
    assets: positiveOption('assets', values.assets, true),
    seconds: positiveOption('seconds', values.seconds, false),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    repriceEvery: positiveOption('reprice-every', values['reprice-every'], true),
    poolSize: positiveOption('pool', values.pool, true),
    serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values['load-spec'] === undefined ? {} : { loadSpec: values['load-spec'] }),
  };
  // Up to three creators per asset, and a buyer who owns none of it.
  if (options.wallets < 4) throw new Error(`--wallets (${options.wallets}) must be at least 4`);
  return options;
}
