// A local Apache Kafka for development, in the background:
//   node --import tsx infra/local/kafka-cli.ts fetch    resolve the broker's jars with Maven (CI runs this first)
//   node --import tsx infra/local/kafka-cli.ts start    npm run kafka:start: start a broker, return once it accepts clients
//   node --import tsx infra/local/kafka-cli.ts status   print whether it runs, and where
//   node --import tsx infra/local/kafka-cli.ts stop     npm run kafka:stop
// State lives in $PROOFLINE_DATA_DIR/kafka (default ./.proofline/kafka): kafka.pid, brokers, the KRaft data
// and logs/server.log. KAFKA_PORT (default 9092) and KAFKA_CONTROLLER_PORT (default KAFKA_PORT + 1) choose ports.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { portFromEnv, runCliCommand, say, seconds } from './cli-output.ts';
import { KAFKA_VERSION, describeKafkaCluster, resolveKafkaClasspath, startKafka } from './kafka.ts';
import { stopProcess } from './processes.ts';

const kafkaDir = path.resolve(process.env.PROOFLINE_DATA_DIR || './.proofline', 'kafka');
const pidFile = path.join(kafkaDir, 'kafka.pid');
const brokersFile = path.join(kafkaDir, 'brokers');

/** The broker recorded in kafka.pid, if that process is still this data directory's Kafka. */
async function runningBroker(): Promise<{ pid: number; brokers: string } | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!isOurKafka(pid)) return undefined;
  const brokers = (await readFile(brokersFile, 'utf8').catch(() => '')).trim();
  return { pid, brokers };
}

/**
 * Alive (not a zombie: a detached broker's parent is gone, and whoever adopted it may not reap it) and running
 * kafka.Kafka on this directory's server.properties, so a reused pid is never signalled. Reads /proc (Linux).
 */
function isOurKafka(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(path.join(kafkaDir, 'server.properties'));
  } catch {
    return false;
  }
}

async function fetchCommand(): Promise<void> {
  const result = await resolveKafkaClasspath({ onProgress: (message) => say(`kafka: ${message}`) });
  say(`kafka: Apache Kafka ${KAFKA_VERSION} classpath ready: ${result.jars} jars (${result.cached ? 'cached' : 'resolved with Maven'} in ${seconds(result.ms)})`);
}

async function startCommand(): Promise<void> {
  const running = await runningBroker();
  if (running) {
    say(`kafka: already running (pid ${running.pid}, logs ${path.join(kafkaDir, 'logs', 'server.log')})`);
    say(`KAFKA_BROKERS=${running.brokers}`);
    return;
  }
  const port = portFromEnv('KAFKA_PORT', 9092);
  const controllerPort = portFromEnv('KAFKA_CONTROLLER_PORT', port + 1);
  const started = Date.now();
  const broker = await startKafka({ dataDir: kafkaDir, port, controllerPort });
  await writeFile(pidFile, `${broker.pid}\n`);
  await writeFile(brokersFile, `${broker.brokers.join(',')}\n`);
  broker.detach();
  say(`kafka: Apache Kafka ${broker.version} ready in ${seconds(Date.now() - started)} (pid ${broker.pid}, cluster ${broker.clusterId}, logs ${broker.logFile})`);
  say(`KAFKA_BROKERS=${broker.brokers.join(',')}`);
}

async function statusCommand(): Promise<void> {
  const running = await runningBroker();
  if (!running) {
    say('kafka: not running');
    process.exitCode = 3;
    return;
  }
  const cluster = await describeKafkaCluster(running.brokers.split(','));
  say(`kafka: running (pid ${running.pid}, cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s))`);
  say(`KAFKA_BROKERS=${running.brokers}`);
}

async function stopCommand(): Promise<void> {
  const running = await runningBroker();
  if (!running) {
    await rm(pidFile, { force: true });
    say(existsSync(kafkaDir) ? 'kafka: not running' : `kafka: not running (no ${kafkaDir})`);
    return;
  }
  const started = Date.now();
  // Not our child: poll until it is gone (a reused pid does not count); SIGKILL its group after the deadline.
  const killed = await stopProcess(running.pid, 'SIGTERM', 30_000, { group: true, alive: () => isOurKafka(running.pid) });
  await rm(pidFile, { force: true });
  say(`kafka: stopped pid ${running.pid} in ${seconds(Date.now() - started)}${killed ? ' (killed after 30 s)' : ''}`);
}

await runCliCommand('infra/local/kafka-cli.ts', 'kafka', { fetch: fetchCommand, start: startCommand, status: statusCommand, stop: stopCommand });
