// The bench's command-line options (listed at the top of main.ts), checked as they are parsed, and the
// PostgreSQL server it creates its throw-away database on. --load-spec is internal: main.ts passes it to the
// load-generator process it starts (see load-generator.ts).
import { parseArgs } from 'node:util';
import { HTTP_LOAD_ARGS, httpLoadOptionsOf, positiveOption, type HttpLoadOptions } from '../support/options.ts';

export type Options = HttpLoadOptions & {
  wallets: number;
  assets: number;
  /** One relist in this many also changes the price first (PUT price). */
  repriceEvery: number;
};

export function parseOptions(argv: string[]): Options & { loadSpec?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...HTTP_LOAD_ARGS,
      wallets: { type: 'string', default: '1000' },
      assets: { type: 'string', default: '1000' },
      'reprice-every': { type: 'string', default: '4' },
    },
    strict: true,
  });
  const options = {
    ...httpLoadOptionsOf(values),
    wallets: positiveOption('wallets', values.wallets, true),
    assets: positiveOption('assets', values.assets, true),
    repriceEvery: positiveOption('reprice-every', values['reprice-every'], true),
  };
  // Up to three creators per asset, and a buyer who owns none of it.
  if (options.wallets < 4) throw new Error(`--wallets (${options.wallets}) must be at least 4`);
  return options;
}
