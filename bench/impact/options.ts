// The bench's command-line options (listed at the top of main.ts), checked as they are parsed, and the
// PostgreSQL server it creates its throw-away database on. --load-spec is internal: main.ts passes it to the
// load-generator process it starts (see load-generator.ts).
import { parseArgs } from 'node:util';
import { HTTP_LOAD_ARGS, httpLoadOptionsOf, positiveOption, type HttpLoadOptions } from '../support/options.ts';

export type Options = HttpLoadOptions & {
  players: number;
  quests: number;
  probeEvery: number;
  probes: number;
};

export function parseOptions(argv: string[]): Options & { loadSpec?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...HTTP_LOAD_ARGS,
      players: { type: 'string', default: '4000' },
      quests: { type: 'string', default: '25' },
      'probe-every': { type: 'string', default: '20' },
      probes: { type: 'string', default: '4' },
    },
    strict: true,
  });
  const options = {
    ...httpLoadOptionsOf(values),
    players: positiveOption('players', values.players, true),
    quests: positiveOption('quests', values.quests, true),
    probeEvery: positiveOption('probe-every', values['probe-every'], true),
    probes: positiveOption('probes', values.probes, true),
  };
  // A client's players are its own: no two clients ever submit for the same player at once.
  if (options.players < options.clients) throw new Error(`--players (${options.players}) must be at least --clients (${options.clients}): each client submits for players of its own`);
  return options;
}
