// `proofline <command>`: the platform's entry points.
import pino from 'pino';
import { ConfigError, loadConfig } from '../../infra/config.ts';
import { openDatabase } from '../../infra/db/database.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { initTelemetry } from '../../infra/telemetry/index.ts';
import { projectionNamed, projections } from '../contexts/index.ts';
import { rebuildProjection } from '../../projections/runtime/index.ts';
import { auditCommand } from './audit.ts';
import { rolesFor, USAGE } from './commands.ts';
import { keysCommand } from './keys.ts';
import { runLogin } from './login.ts';
import { startPlatform } from './platform.ts';

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const output = { out: (text: string) => void process.stdout.write(text), err: (text: string) => void process.stderr.write(text) };
  // Before the configuration is read: it refuses NODE_ENV=production itself, with its own reason.
  if (command === 'login') return runLogin(args, { ...output, env: process.env, fetch, now: () => new Date() });
  const config = loadConfig();
  // The embedded default too: the data directory's database (the running platform's, or one started for it).
  if (command === 'keys') return keysCommand(args, config, output);
  const logger = pino({ level: config.logLevel, base: { service: 'proofline', role: command } });
  if (command !== 'start' && !config.databaseUrl) {
    throw new ConfigError(`proofline ${command} needs DATABASE_URL (use \`proofline start\` for the embedded default)`);
  }

  if (command === 'audit') return auditCommand(args, config, logger, projections);

  if (command === 'project' && args.includes('--rebuild')) {
    const db = openDatabase(config.databaseUrl!);
    try {
      const eventStore = await openEventStore(config, db);
      const result = await rebuildProjection({ db, projection: projectionNamed(args[0]!), eventStore, logger });
      logger.info(result, 'projection rebuilt and swapped in');
      await eventStore.close();
      return 0;
    } finally {
      await db.close();
    }
  }

  const roles = rolesFor(command, args, Boolean(config.kafkaBrokers));
  if (!roles) {
    process.stderr.write(`proofline: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  const telemetry = initTelemetry({ serviceName: `proofline-${command}` });
  const platform = await startPlatform(config, logger, roles);
  logger.info({ url: platform.url, relay: roles.relay, projections: roles.projections.map((p) => p.name) }, 'proofline is running');
  const outcome = await Promise.race([
    untilSignal(logger).then(() => 0),
    platform.failed.catch((error: unknown) => {
      // Also said plainly, for whoever started it from a terminal: the logs above have the details.
      process.stderr.write(`proofline: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }),
  ]);
  await platform.stop();
  await telemetry.shutdown();
  logger.info('proofline stopped');
  return outcome;
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
