// `proofline <command>`: the platform's entry points.
import pino from 'pino';
import { RESPONSE_WINDOW_DAYS } from '../../events-schema/workplace/rules.ts';
import { ConfigError, loadConfig } from '../../infra/config.ts';
import { openDatabase } from '../../infra/db/database.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { initTelemetry } from '../../infra/telemetry/index.ts';
import { anchoringProjection } from '../../projections/anchoring/anchoring-projection.ts';
import { projectionNamed, projections } from '../../projections/index.ts';
import { rebuildProjection } from '../../projections/runtime/index.ts';
import { auditCommand } from './audit.ts';
import { startPlatform, type Roles } from './platform.ts';

const USAGE = `usage: proofline <command>

commands:
  start                      everything in one process: HTTP gateway, projections, the anchorer, the
                             engagement deadline process, and the relay when KAFKA_BROKERS is set
                             (embedded PostgreSQL unless DATABASE_URL is set, embedded anvil unless
                             CHAIN_RPC_URL is set)
  gateway                    the HTTP gateway only
  relay                      publish the event log to Kafka (needs KAFKA_BROKERS); refuses topics that hold
                             another event store's records. --adopt-empty-topics: also publish into topics
                             written before that hold no record now (also taken by start)
  project <name>             run one projection worker (Kafka consumer group, or the local bus)
  project <name> --rebuild   rebuild that projection from LSN 1 into fresh tables and swap them in
  anchor                     commit Merkle roots of the log to the EventAnchor contract (the anchoring
                             projection's leaves, batches of ANCHOR_BATCH_SIZE or every ANCHOR_INTERVAL_MS)
  deadlines                  watch-list companies whose ${RESPONSE_WINDOW_DAYS}-day engagement deadline passed unanswered (reads
                             the workplace read model; safe to run more than one)
  audit verify               replay the log and check every batch root on chain (exit 1 on a mismatch);
                             --json, --quiet, --allow-unanchored-tail, --rebuild (also compare read models)
  audit stream <streamId>    a stream's events with their leaves and Merkle proofs
  help                       this text

projections: ${projections.map((projection) => projection.name).join(', ')}`;

function rolesFor(command: string, args: string[], kafka: boolean): Roles | undefined {
  const adoptEmptyTopics = args.includes('--adopt-empty-topics');
  switch (command) {
    case 'start':
      return { gateway: true, relay: kafka, projections, anchorer: true, deadlines: true, adoptEmptyTopics };
    case 'gateway':
      return { gateway: true, relay: false, projections: [], anchorer: false, deadlines: false };
    case 'relay':
      return { gateway: false, relay: true, projections: [], anchorer: false, deadlines: false, adoptEmptyTopics };
    case 'project':
      if (!args[0]) throw new ConfigError('proofline project needs a projection name');
      return { gateway: false, relay: false, projections: [projectionNamed(args[0])], anchorer: false, deadlines: false };
    case 'anchor':
      return { gateway: false, relay: false, projections: [anchoringProjection], anchorer: true, deadlines: false };
    case 'deadlines':
      return { gateway: false, relay: false, projections: [], anchorer: false, deadlines: true };
    default:
      return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
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
