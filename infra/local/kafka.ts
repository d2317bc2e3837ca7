// Runs a real Apache Kafka 3.9.x (KRaft, one combined broker+controller node on 127.0.0.1) from the Maven
// Central jars, for development, tests and CI on machines without Docker. The jars are resolved by Maven from
// infra/local/kafka/pom.xml into ~/.m2 (nothing is copied into the repository); the classpath Maven prints is
// cached per POM content. The caller owns the broker: stop() ends exactly the process group start began.
//
// Topics are not created on first use (auto.create.topics.enable=false unless `autoCreateTopics`): whoever
// writes to a topic creates it first (the relay does), so a misspelt topic fails loudly instead of silently
// creating a new one. Internal topics (__consumer_offsets, __transaction_state) are created as usual.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { freePort } from './embedded-postgres.ts';
import { serverGroup, signalGroup } from './processes.ts';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export { signalGroup }; // launchers and the chaos harness signal the broker's group too

export const KAFKA_POM = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url));

/** The Kafka release the POM pins (its `kafka.version` property). */
export const KAFKA_VERSION: string = (() => {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(KAFKA_POM, 'utf8'));
  if (!match?.[1]) throw new Error(`${KAFKA_POM} has no <kafka.version> property`);
  return match[1].trim();
})();

export type KafkaOptions = {
  /** Holds server.properties, log4j.properties, the KRaft log directory (`data/`) and `logs/`. Reused on restart. */
  dataDir: string;
  /** PLAINTEXT listener for clients; a free port when omitted. */
  port?: number;
  /** CONTROLLER listener (KRaft quorum); a free port when omitted. */
  controllerPort?: number;
  /** Default partition count of topics created without one (num.partitions); 3 when omitted. */
  partitions?: number;
  /** Let producers create topics on first use (auto.create.topics.enable); false when omitted. */
  autoCreateTopics?: boolean;
  /** JVM heap (-Xmx and -Xms); '512m' when omitted. */
  heap?: string;
  /** Deadline for the broker to accept clients; 120 s when omitted (the first run may resolve the jars). */
  startTimeoutMs?: number;
  /** Receives the broker's log lines (they also go to `logs/server.log`). Not with detach(). */
  onLog?: (line: string) => void;
};

export type KafkaHandle = {
  /** `host:port` of the PLAINTEXT listener, e.g. ['127.0.0.1:9092']. */
  brokers: string[];
  clusterId: string;
  version: string;
  /** The java process; it leads its own process group. */
  pid: number;
  dataDir: string;
  /** The broker's log file (log4j), e.g. `<dataDir>/logs/server.log`. */
  logFile: string;
  /** SIGTERM to the broker's process group, SIGKILL after `timeoutMs` (30 s); resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** Lets this Node process exit while the broker keeps running (for `npm run kafka:start`). */
  detach(): void;
};

// ---------------------------------------------------------------------------------------------------------
// Classpath: Maven resolves it once; the answer is cached per POM content and checked jar by jar.

export type MavenClasspath = { classpath: string; jars: number; cached: boolean; ms: number };
export type KafkaClasspath = MavenClasspath;

const MAVEN_TIMEOUT_MS = 10 * 60_000;
const resolving = new Map<string, Promise<MavenClasspath>>();

/** What a POM's classpath is for: `name` in messages (e.g. 'Apache Kafka 3.9.2'), `cacheName` in the cache file's name. */
export type MavenClasspathOf = { pom: string; name: string; cacheName: string; downloadSize: string };

function classpathCacheFile({ pom, cacheName }: MavenClasspathOf): string {
  const pomHash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'proofline', `${cacheName}-classpath-${pomHash}.txt`);
}

/**
 * The dependency classpath of a POM (jars in ~/.m2). The first run downloads them from Maven Central; after
 * that the cached answer is used as long as every jar in it is still there.
 */
export function resolveMavenClasspath(of: MavenClasspathOf, options: { onProgress?: (message: string) => void } = {}): Promise<MavenClasspath> {
  let resolved = resolving.get(of.pom);
  if (!resolved) {
    resolved = resolveClasspathOnce(of, options.onProgress ?? (() => {})).catch((error: unknown) => {
      resolving.delete(of.pom);
      throw error;
    });
    resolving.set(of.pom, resolved);
  }
  return resolved;
}

/** The broker's classpath; the first run downloads about 50 MB. */
export function resolveKafkaClasspath(options: { onProgress?: (message: string) => void } = {}): Promise<KafkaClasspath> {
  return resolveMavenClasspath({ pom: KAFKA_POM, name: `Apache Kafka ${KAFKA_VERSION}`, cacheName: `kafka-${KAFKA_VERSION}`, downloadSize: '~50 MB' }, options);
}

async function resolveClasspathOnce(of: MavenClasspathOf, onProgress: (message: string) => void): Promise<MavenClasspath> {
  const started = Date.now();
  const cacheFile = classpathCacheFile(of);
  const cached = await readFile(cacheFile, 'utf8').catch(() => undefined);
  if (cached !== undefined) {
    const jars = cached.trim().split(path.delimiter).filter(Boolean);
    if (jars.length > 0 && jars.every((jar) => existsSync(jar))) {
      return { classpath: jars.join(path.delimiter), jars: jars.length, cached: true, ms: Date.now() - started };
    }
  }
  onProgress(`resolving ${of.name} with Maven (${of.pom}); the first run downloads ${of.downloadSize} into ~/.m2`);
  await mkdir(path.dirname(cacheFile), { recursive: true });
  const outputFile = `${cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const args = ['-B', '-q', '-Dstyle.color=never', '-f', of.pom, 'dependency:build-classpath', `-Dmdep.outputFile=${outputFile}`];
  const { code, output } = await run('mvn', args, MAVEN_TIMEOUT_MS, 'install Maven 3.8+ (apt-get install maven)');
  if (code !== 0) {
    await rm(outputFile, { force: true });
    throw new Error(`mvn ${args.join(' ')} exited with ${code} while resolving the classpath of ${of.name}:\n${tail(output, 40)}`);
  }
  const jars = (await readFile(outputFile, 'utf8')).trim().split(path.delimiter).filter(Boolean);
  const missing = jars.filter((jar) => !existsSync(jar));
  if (jars.length === 0 || missing.length > 0) {
    await rm(outputFile, { force: true });
    throw new Error(`Maven resolved an unusable classpath for ${of.name} (${jars.length} jars, missing: ${missing.join(', ') || 'none'})`);
  }
  await rename(outputFile, cacheFile); // atomic: a concurrent reader sees the old file or the whole new one
  return { classpath: jars.join(path.delimiter), jars: jars.length, cached: false, ms: Date.now() - started };
}

/** Runs a command to completion, collecting stdout and stderr; kills it after `timeoutMs`. */
function run(command: string, args: string[], timeoutMs: number, missingHint: string): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new Error(`${command} not found: ${missingHint}`)
          : new Error(`could not run ${command}: ${error.message}`),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? `signal ${signal}${signal === 'SIGKILL' ? ` (timed out after ${timeoutMs} ms)` : ''}`, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Start and stop.

const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const JAVA_HINT = 'install a JDK 17+ or set JAVA_HOME';

export async function startKafka(options: KafkaOptions): Promise<KafkaHandle> {
  const dataDir = path.resolve(options.dataDir);
  const logsDir = path.join(dataDir, 'logs');
  const kraftDir = path.join(dataDir, 'data');
  await mkdir(logsDir, { recursive: true });
  const logFile = path.join(logsDir, 'server.log');
  const stdoutFile = path.join(logsDir, 'stdout.log');

  const partitions = options.partitions ?? 3;
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer, got ${partitions}`);
  const port = options.port ?? (await freePort());
  let controllerPort = options.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  // A broker already listening there would answer our readiness probe: refuse rather than report its address.
  await assertPortFree(port, 'Kafka client (PLAINTEXT) port');
  await assertPortFree(controllerPort, 'Kafka controller port');

  const { classpath } = await resolveKafkaClasspath({ onProgress: options.onLog });

  const serverProperties = path.join(dataDir, 'server.properties');
  const log4jProperties = path.join(dataDir, 'log4j.properties');
  const formatLog4jProperties = path.join(dataDir, 'log4j-format.properties');
  const formatLogFile = path.join(logsDir, 'format.log');
  await writeFile(serverProperties, serverConfig({ ...options, port, controllerPort, partitions, kraftDir }));
  await writeFile(log4jProperties, log4jConfig(logFile, options.onLog !== undefined));
  await writeFile(formatLog4jProperties, log4jConfig(formatLogFile, false));
  const log4jFlag = `-Dlog4j.configuration=${pathToFileURL(log4jProperties).href}`;

  // Format the KRaft storage once (a single-node dynamic quorum); a restart reuses it and its cluster id.
  let clusterId = await readClusterId(kraftDir);
  if (!clusterId) {
    clusterId = newClusterId();
    const formatLog4jFlag = `-Dlog4j.configuration=${pathToFileURL(formatLog4jProperties).href}`;
    const args = [formatLog4jFlag, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverProperties, '--standalone'];
    const { code, output } = await run(JAVA, args, 120_000, JAVA_HINT);
    if (code !== 0) {
      throw new Error(`formatting Kafka storage in ${kraftDir} failed (exit ${code}):\n${tail(output, 30)}${await logTails(formatLogFile)}`);
    }
  }

  const stdoutFd = options.onLog ? undefined : openSync(stdoutFile, 'a');
  const heap = options.heap ?? '512m';
  const jvmArgs = [
    `-Xmx${heap}`,
    `-Xms${heap}`,
    // kafka-server-start.sh's KAFKA_JVM_PERFORMANCE_OPTS
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    log4jFlag,
  ];
  let child: ChildProcess;
  try {
    child = spawn(JAVA, [...jvmArgs, '-cp', classpath, 'kafka.Kafka', serverProperties], {
      cwd: dataDir,
      detached: true, // its own process group: stop() signals exactly it, and Ctrl-C in a terminal does not
      stdio: stdoutFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', stdoutFd, stdoutFd],
    });
  } finally {
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  if (options.onLog) {
    const onLog = options.onLog;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLog);
    }
  }

  const server = serverGroup(child, (error) => (error.code === 'ENOENT' ? `${JAVA} not found: ${JAVA_HINT}` : `spawn failed: ${error.message}`));
  const exited = server.exited;

  const brokers = [`127.0.0.1:${port}`];
  const fail = async (reason: string): Promise<never> => {
    await server.kill();
    throw new Error(`Kafka ${KAFKA_VERSION} did not start on ${brokers[0]} (data dir ${dataDir}): ${reason}${await logTails(stdoutFile, logFile)}`);
  };

  if (child.pid === undefined) return fail(await exited);
  const pid = child.pid;
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const abort = new AbortController();
  const outcome = await Promise.race([
    waitForKafka(brokers, { timeoutMs, signal: abort.signal }).then(
      (cluster) => ({ ok: true as const, cluster }),
      (error: Error) => ({ ok: false as const, reason: error.message }),
    ),
    exited.then((how) => ({ ok: false as const, reason: `the broker ${how} before accepting clients` })),
  ]);
  abort.abort();
  if (!outcome.ok) return fail(outcome.reason);
  if (outcome.cluster.clusterId !== clusterId) {
    return fail(`${brokers[0]} answered with cluster id ${outcome.cluster.clusterId}, not ours (${clusterId})`);
  }
  try {
    await warmUp(brokers);
  } catch (error) {
    return fail(`it answered, but ${(error as Error).message}`);
  }

  return {
    brokers,
    clusterId,
    version: KAFKA_VERSION,
    pid,
    dataDir,
    logFile,
    stop: (stopTimeoutMs = 30_000) => server.stop(stopTimeoutMs),
    detach() {
      if (options.onLog) throw new Error('detach() needs the broker to log to files: start it without onLog');
      server.detach();
    },
  };
}

/** Sends `signal` to the process group led by `pid`; quiet when it is already gone. */

// ---------------------------------------------------------------------------------------------------------
// Readiness: a broker is ready when a Kafka client can describe its cluster.

export type KafkaClusterInfo = { clusterId: string; controller: number | null; brokers: { nodeId: number; host: string; port: number }[] };

/** Polls `describeCluster` on `brokers` until it answers, or fails after `timeoutMs` with the last error. */
export async function waitForKafka(
  brokers: string[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<KafkaClusterInfo> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no attempt';
  for (;;) {
    if (options.signal?.aborted) throw new Error('aborted');
    try {
      return await describeKafkaCluster(brokers);
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`${brokers.join(',')} did not answer within ${options.timeoutMs} ms (last error: ${lastError})`);
    await delay(200, undefined, { signal: options.signal }).catch(() => {});
  }
}

/** One `describeCluster` round trip, with short timeouts and no retries. */
export async function describeKafkaCluster(brokers: string[]): Promise<KafkaClusterInfo> {
  const kafka = new Kafka({
    clientId: 'proofline-kafka-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { clusterId: cluster.clusterId, controller: cluster.controller, brokers: cluster.brokers };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A fresh broker answers its first idempotent producer and its first consumer group with retriable errors
 * ("the coordinator is loading") while it fetches a producer-id block from the controller and creates
 * __consumer_offsets. Doing both here, once, means a started broker serves its first real client at once.
 */
async function warmUp(brokers: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'proofline-kafka-warm-up', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const admin = kafka.admin();
  try {
    await producer.connect().catch((error: Error) => {
      throw new Error(`its first idempotent producer failed: ${error.message}`);
    });
    await admin.connect();
    await admin.describeGroups(['proofline-warm-up']).catch((error: Error) => {
      throw new Error(`its group coordinator did not come up: ${error.message}`);
    });
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Configuration files.

function serverConfig(options: KafkaOptions & { port: number; controllerPort: number; partitions: number; kraftDir: string }): string {
  return [
    '# Written by infra/local/kafka.ts on every start: edits here are overwritten.',
    '# One combined broker+controller KRaft node on 127.0.0.1 (a single-node dynamic quorum).',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${options.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `controller.quorum.bootstrap.servers=127.0.0.1:${options.controllerPort}`,
    `log.dirs=${options.kraftDir}`,
    `num.partitions=${options.partitions}`,
    'default.replication.factor=1',
    'min.insync.replicas=1',
    `auto.create.topics.enable=${options.autoCreateTopics === true}`,
    '# One node: internal topics with one replica, and fewer partitions than a production cluster needs.',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    '# Consumer groups form at once instead of waiting 3 s for more members.',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

function log4jConfig(logFile: string, toStdout: boolean): string {
  return [
    '# Written by infra/local/kafka.ts: the broker logs to a file, never to the terminal.',
    `log4j.rootLogger=INFO, file${toStdout ? ', stdout' : ''}`,
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.MaxFileSize=20MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.kafka.log.LogCleaner=WARN',
    'log4j.logger.org.apache.kafka.storage.internals.log=WARN',
    '',
  ].join('\n');
}

async function readClusterId(kraftDir: string): Promise<string | undefined> {
  const meta = await readFile(path.join(kraftDir, 'meta.properties'), 'utf8').catch(() => undefined);
  return meta ? /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim() : undefined;
}

/** A Kafka Uuid as `StorageTool random-uuid` prints it: 16 random bytes, URL-safe base64 without padding. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // a leading '-' would read as a command-line flag
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

export { freePort };
/** For the other JVM launchers (registry.ts): the same process and log helpers. */
export { run as runCommand, logTails };


/** Resolves when nothing listens on 127.0.0.1:`port`; otherwise throws, naming what the port is for. */
export async function assertPortFree(port: number, what: string, hint = 'is another broker running? (npm run kafka:stop)'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`${what} 127.0.0.1:${port} is not free (${error.code ?? error.message}); ${hint}`)),
    );
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()));
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last lines of each log file that exists, for error messages. */
async function logTails(...files: string[]): Promise<string> {
  let text = '';
  for (const file of files) {
    const content = await readTail(file, 16_384);
    if (content.trim()) text += `\n--- last lines of ${file} ---\n${tail(content, 30)}`;
  }
  return text;
}

async function readTail(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
