// `proofline <command>`: the platform's entry points.
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../../infra/config.ts';
import { openDatabase } from '../../infra/db/database.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { initTelemetry } from '../../infra/telemetry/index.ts';
import { projectionNamed, projections } from '../contexts/index.ts';
import { rebuildProjection } from '../../projections/runtime/index.ts';
import { analystRoleCommand } from './analyst-role.ts';
import { auditCommand } from './audit.ts';
import { gatewayWorkers, rolesFor, USAGE } from './commands.ts';
import { keysCommand } from './keys.ts';
import { runLogin } from './login.ts';
import { statusCommand } from './status.ts';
import { startLocalServices, startPlatform, type Roles } from './platform.ts';
import { clusterWorkerMetrics, gatewayWorkerLabel, reportReady, supervisedRole, untilShutdownAsked } from './supervised.ts';
import { startSupervisor } from './supervisor.ts';

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
  // These take the embedded default too: the data directory's database (the running platform's, or one started for it).
  if (command === 'keys') return keysCommand(args, config, output);
  if (command === 'analyst-role') return analystRoleCommand(args, config, output);
  if (command === 'status') return statusCommand(args, config, projections, output);
  const logger = pino({ level: config.logLevel, base: { service: 'proofline', role: supervisedRole() ?? command, ...(supervisedRole() === 'gateway' ? { worker: gatewayWorkerLabel() } : {}) } });
  if (command !== 'start' && !config.databaseUrl && !supervisedRole()) {
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

  const kafka = Boolean(config.kafkaBrokers);
  const supervised = supervisedRole();
  if (supervised) return runSupervised(supervised === 'gateway' ? rolesFor('gateway', [], kafka)! : rolesFor('background', args, kafka)!, config, logger);

  const workers = gatewayWorkers(command, args);
  if (command === 'start' || (command === 'gateway' && workers > 1)) {
    // Listened for from the start: a signal while the workers start stops them once they have.
    const signalled = untilSignal(logger);
    const services = command === 'start' ? await startLocalServices(config, logger) : undefined;
    try {
      const supervisor = await startSupervisor({ gateways: workers, background: command === 'start', env: services?.env ?? {}, logger });
      logger.info({ url: `http://${config.host}:${config.port}`, gateways: workers }, 'proofline is running');
      const outcome = await Promise.race([signalled.then(() => 0), supervisor.failed.catch(reportFailure)]);
      await supervisor.stop();
      logger.info('proofline stopped');
      return outcome;
    } finally {
      await services?.stop();
    }
  }

  const roles = rolesFor(command, args, kafka);
  if (!roles) {
    process.stderr.write(`proofline: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  const telemetry = initTelemetry({ serviceName: `proofline-${command}` });
  const platform = await startPlatform(config, logger, roles);
  logger.info({ url: platform.url, relay: roles.relay, projections: roles.projections.map((p) => p.name) }, 'proofline is running');
  const outcome = await untilStopped(platform.failed, logger);
  await platform.stop();
  await telemetry.shutdown();
  logger.info('proofline stopped');
  return outcome;
}

/** A process the supervisor forked: its roles, until the supervisor asks it to stop (or is gone). */
async function runSupervised(roles: Roles, config: Config, logger: pino.Logger): Promise<number> {
  // Listened for from the start: asked while starting, it stops as soon as it has started.
  const shutdownAsked = untilShutdownAsked();
  const telemetry = initTelemetry({ serviceName: roles.gateway ? 'proofline-gateway' : 'proofline-background' });
  const platform = await startPlatform(config, logger, roles, roles.gateway ? { gatewayMetrics: clusterWorkerMetrics } : {});
  reportReady();
  const outcome = await Promise.race([shutdownAsked.then(() => 0), platform.failed.catch(reportFailure)]);
  await platform.stop();
  await telemetry.shutdown();
  return outcome;
}

/** 0 after SIGINT or SIGTERM, 1 when `failed` rejects first. */
function untilStopped(failed: Promise<never>, logger: pino.Logger): Promise<number> {
  return Promise.race([untilSignal(logger).then(() => 0), failed.catch(reportFailure)]);
}

// Also said plainly, for whoever started it from a terminal: the logs above have the details.
function reportFailure(error: unknown): number {
  process.stderr.write(`proofline: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
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
