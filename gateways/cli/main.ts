// `proofline <command>`: the platform's entry points.
import pino from 'pino';
import { ConfigError, loadConfig } from '../../infra/config.ts';
import { startPlatform } from './platform.ts';

const USAGE = `usage: proofline <command>

commands:
  start     run the platform: HTTP gateway on PORT, embedded PostgreSQL unless DATABASE_URL is set
  gateway   the same, for an external DATABASE_URL or EVENTSTORE_URL (no embedded database)
  help      this text`;

async function main(argv: string[]): Promise<number> {
  const [command = 'help'] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, base: { service: 'proofline' } });
  if (command === 'gateway' && !config.databaseUrl) {
    throw new ConfigError('proofline gateway needs DATABASE_URL (use `proofline start` for the embedded default)');
  }
  switch (command) {
    case 'gateway':
    case 'start': {
      const platform = await startPlatform(config, logger);
      logger.info({ url: platform.url }, 'proofline is listening');
      await untilSignal(logger);
      await platform.stop();
      logger.info('proofline stopped');
      return 0;
    }
    default:
      process.stderr.write(`proofline: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

function untilSignal(logger: pino.Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`proofline: ${message}\n`);
    if (!(error instanceof ConfigError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
