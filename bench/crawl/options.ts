// The bench's command-line options (listed at the top of main.ts), checked as they are parsed, and the
// PostgreSQL server it creates its throw-away database on. --clients-spec is internal: main.ts passes it to the
// load-generator process it starts (see load-generator.ts).
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_SERVER } from '../support/databases.ts';
import { positiveOption } from '../support/options.ts';

export type Options = {
  clients: number;
  crawls: number;
  seconds?: number;
  warmupSeconds: number;
  peerSeconds: number;
  publishers: number;
  coverage: number;
  poolSize: number;
  peerRetries: number;
  /** 2: the batched phase again on one gateway process, then on two routing each escrow to its owner. */
  gateways: 1 | 2;
  /** Rounds of the --gateways 2 comparison. */
  gatewayRounds: number;
  serverUrl: string;
};

export function parseOptions(argv: string[]): Options & { clientsSpec?: string; gatewayProcess?: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '64' },
      crawls: { type: 'string', default: '20000' },
      seconds: { type: 'string' },
      warmup: { type: 'string', default: '1' },
      'peer-seconds': { type: 'string', default: '10' },
      publishers: { type: 'string', default: '4' },
      coverage: { type: 'string', default: '0.8' },
      pool: { type: 'string', default: '20' },
      'peer-retries': { type: 'string', default: '10000' },
      gateways: { type: 'string', default: '1' },
      'gateway-rounds': { type: 'string', default: '3' },
      'clients-spec': { type: 'string' },
      'gateway-process': { type: 'boolean' },
    },
    strict: true,
  });
  const coverage = positiveOption('coverage', values.coverage, false);
  if (values.gateways !== '1' && values.gateways !== '2') throw new Error(`--gateways is 1 or 2, got ${values.gateways}`);
  if (coverage > 1) throw new Error(`--coverage is the share of the offered crawls the deposit pays for, at most 1, got ${coverage}`);
  return {
    clients: positiveOption('clients', values.clients, true),
    crawls: positiveOption('crawls', values.crawls, true),
    ...(values.seconds === undefined ? {} : { seconds: positiveOption('seconds', values.seconds, false) }),
    warmupSeconds: values.warmup === '0' ? 0 : positiveOption('warmup', values.warmup, false),
    peerSeconds: values['peer-seconds'] === '0' ? 0 : positiveOption('peer-seconds', values['peer-seconds'], false),
    publishers: positiveOption('publishers', values.publishers, true),
    coverage,
    poolSize: positiveOption('pool', values.pool, true),
    peerRetries: positiveOption('peer-retries', values['peer-retries'], true),
    gateways: values.gateways === '2' ? 2 : 1,
    gatewayRounds: positiveOption('gateway-rounds', values['gateway-rounds'], true),
    serverUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_SERVER,
    ...(values['clients-spec'] === undefined ? {} : { clientsSpec: values['clients-spec'] }),
    ...(values['gateway-process'] ? { gatewayProcess: true } : {}),
  };
}
