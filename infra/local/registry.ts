// Runs a real Apicurio Registry 3.x (its Confluent-compatible API at /apis/ccompat/v7) from Maven Central, for
// development, tests and CI on machines without Docker, like kafka.ts runs Kafka. Maven unpacks the ready-built
// Quarkus application (infra/local/registry/pom.xml) once into ~/.cache/proofline/apicurio-registry-<version>;
// it runs on Java 21+ (JAVA_HOME if that is one, else the newest JDK 21+ under /usr/lib/jvm).
//
// Storage is Apicurio's H2: in memory by default (tests: schemas live as long as the process), or a file under
// the data directory with `persistent` (npm run registry:start). Records in the Confluent wire format name
// schemas by registry id, so a registry that forgot its ids on restart would hand out other schemas under
// them: anything that outlives the registry process needs persistent storage. Compatibility is BACKWARD on
// every subject (a global rule), so the registry itself refuses a schema that cannot read the previous one.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { assertPortFree, freePort, logTails, runCommand } from './kafka.ts';
import { serverGroup } from './processes.ts';

export const REGISTRY_POM = fileURLToPath(new URL('./registry/pom.xml', import.meta.url));

/** The Apicurio Registry release the POM pins (its `apicurio.version` property). */
export const APICURIO_VERSION: string = (() => {
  const match = /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(readFileSync(REGISTRY_POM, 'utf8'));
  if (!match?.[1]) throw new Error(`${REGISTRY_POM} has no <apicurio.version> property`);
  return match[1].trim();
})();

const MIN_JAVA = 21;
const MAVEN_TIMEOUT_MS = 15 * 60_000;

export type RegistryOptions = {
  /** Holds logs/ and the Vert.x cache. Reused on restart (the schemas are not: storage is in memory). */
  dataDir: string;
  /** HTTP port of the API; a free port when omitted. */
  port?: number;
  /** Quarkus management port (/health/ready); a free port when omitted. */
  managementPort?: number;
  /** Keep the schemas in `<dataDir>/db` across restarts (H2 file); in memory when omitted. */
  persistent?: boolean;
  /** JVM heap (-Xmx); '256m' when omitted. */
  heap?: string;
  /** Deadline for the registry to be ready; 120 s when omitted (the first run may download 152 MB). */
  startTimeoutMs?: number;
  onProgress?: (message: string) => void;
};

export type RegistryHandle = {
  /** e.g. http://127.0.0.1:8081/apis/ccompat/v7 — what SCHEMA_REGISTRY_URL names. */
  url: string;
  version: string;
  pid: number;
  dataDir: string;
  logFile: string;
  /** SIGTERM to its process group, SIGKILL after `timeoutMs` (20 s); resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** Lets this Node process exit while the registry keeps running (for `npm run registry:start`). */
  detach(): void;
};

/** The Confluent-compatible API under an Apicurio base URL. */
export const ccompatUrl = (port: number) => `http://127.0.0.1:${port}/apis/ccompat/v7`;

// ---------------------------------------------------------------------------------------------------------
// Fetching: Maven unpacks the application once; quarkus-run.jar present means done.

export type RegistryApplication = { dir: string; cached: boolean; ms: number };

let fetching: Promise<RegistryApplication> | undefined;

export function registryApplicationDir(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'proofline', `apicurio-registry-${APICURIO_VERSION}`);
}

/** The unpacked application; the first run downloads ~152 MB from Maven Central into ~/.m2. */
export function fetchRegistry(options: { onProgress?: (message: string) => void } = {}): Promise<RegistryApplication> {
  fetching ??= fetchOnce(options.onProgress ?? (() => {})).catch((error: unknown) => {
    fetching = undefined;
    throw error;
  });
  return fetching;
}

async function fetchOnce(onProgress: (message: string) => void): Promise<RegistryApplication> {
  const started = Date.now();
  const dir = registryApplicationDir();
  const jar = path.join(dir, 'quarkus-run.jar');
  if (existsSync(jar)) return { dir, cached: true, ms: Date.now() - started };
  onProgress(`unpacking Apicurio Registry ${APICURIO_VERSION} with Maven (${REGISTRY_POM}); the first run downloads ~152 MB into ~/.m2`);
  await mkdir(path.dirname(dir), { recursive: true });
  const args = ['-B', '-q', '-Dstyle.color=never', '-f', REGISTRY_POM, 'dependency:unpack-dependencies', `-Dapicurio.dir=${dir}`];
  const { code, output } = await runCommand('mvn', args, MAVEN_TIMEOUT_MS, 'install Maven 3.8+ (apt-get install maven)');
  if (code !== 0 || !existsSync(jar)) {
    throw new Error(`mvn ${args.join(' ')} ${code !== 0 ? `exited with ${code}` : `left no ${jar}`}:\n${output.trimEnd().split('\n').slice(-40).join('\n')}`);
  }
  return { dir, cached: false, ms: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------------------
// Java: Apicurio 3 needs 21+.

/** A `java` of version 21 or later: JAVA_HOME when it is one, else the newest under /usr/lib/jvm. */
export function registryJava(): string {
  const homes = [process.env.REGISTRY_JAVA_HOME, process.env.JAVA_HOME].filter((home): home is string => Boolean(home));
  const jvmRoot = '/usr/lib/jvm';
  const installed = existsSync(jvmRoot) ? readdirSync(jvmRoot).map((name) => path.join(jvmRoot, name)) : [];
  const candidates = [...homes, ...installed.map((home) => ({ home, major: javaMajor(home) })).sort((a, b) => b.major - a.major).map(({ home }) => home)];
  const found = candidates.find((home) => javaMajor(home) >= MIN_JAVA && existsSync(path.join(home, 'bin', 'java')));
  if (!found) {
    throw new Error(`Apicurio Registry ${APICURIO_VERSION} needs Java ${MIN_JAVA}+: none in REGISTRY_JAVA_HOME, JAVA_HOME or ${jvmRoot} (install a JDK 21+)`);
  }
  return path.join(found, 'bin', 'java');
}

/** The major version in a JDK's `release` file (0 when unreadable). */
function javaMajor(home: string): number {
  try {
    const version = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(path.join(home, 'release'), 'utf8'))?.[1];
    return version ? Number(version) : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start and stop.

export async function startRegistry(options: RegistryOptions): Promise<RegistryHandle> {
  const dataDir = path.resolve(options.dataDir);
  const logsDir = path.join(dataDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const logFile = path.join(logsDir, 'registry.log');
  const port = options.port ?? (await freePort());
  let managementPort = options.managementPort ?? (await freePort());
  while (managementPort === port) managementPort = await freePort();
  const hint = 'is another registry running? (npm run registry:stop)';
  await assertPortFree(port, 'schema registry HTTP port', hint);
  await assertPortFree(managementPort, 'schema registry management port', hint);

  const java = registryJava();
  const { dir } = await fetchRegistry({ onProgress: options.onProgress });
  const jvmArgs = [
    `-Xmx${options.heap ?? '256m'}`,
    // A small, short-lived development server: the serial collector and C1 only start it fastest.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Dquarkus.http.host=127.0.0.1',
    `-Dquarkus.http.port=${port}`,
    '-Dquarkus.management.host=127.0.0.1',
    `-Dquarkus.management.port=${managementPort}`,
    '-Dquarkus.http.access-log.enabled=false',
    '-Dquarkus.banner.enabled=false',
    `-Dvertx.cacheDirBase=${path.join(dataDir, 'vertx-cache')}`,
    // Apicurio's default is no rule at all; the Confluent default (and ours) is BACKWARD.
    '-Dapicurio.rules.global.compatibility=BACKWARD',
    ...(options.persistent ? [`-Dapicurio.datasource.url=jdbc:h2:file:${path.join(dataDir, 'db', 'registry')}`] : []),
  ];
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(java, [...jvmArgs, '-jar', path.join(dir, 'quarkus-run.jar')], {
      cwd: dataDir,
      detached: true, // its own process group: stop() signals exactly it
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }

  const server = serverGroup(child);
  const exited = server.exited;

  const url = ccompatUrl(port);
  const fail = async (reason: string): Promise<never> => {
    await server.kill();
    throw new Error(`Apicurio Registry ${APICURIO_VERSION} did not start on ${url} (data dir ${dataDir}): ${reason}${await logTails(logFile)}`);
  };
  if (child.pid === undefined) return fail(await exited);
  const pid = child.pid;
  const ready = await Promise.race([
    waitForRegistryHealth(managementPort, options.startTimeoutMs ?? 120_000, server.hasExited),
    exited.then((how) => `the registry ${how} before it was ready`),
  ]);
  if (ready !== true) return fail(ready);

  return {
    url,
    version: APICURIO_VERSION,
    pid,
    dataDir,
    logFile,
    stop: (stopTimeoutMs = 20_000) => server.stop(stopTimeoutMs),
    detach: () => server.detach(),
  };
}

/** Polls the management port's /health/ready until it answers 200: true, or the reason it did not. */
async function waitForRegistryHealth(managementPort: number, timeoutMs: number, gone: () => boolean): Promise<true | string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (!gone()) {
    try {
      const response = await fetch(`http://127.0.0.1:${managementPort}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return true;
      last = `health answered ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) return `not ready within ${timeoutMs} ms (last: ${last})`;
    await delay(200);
  }
  return 'the registry exited';
}

/** Polls a Confluent-compatible registry URL (GET /subjects) until it answers, or throws after `timeoutMs`. */
export async function waitForRegistry(url: string, options: { timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    let last: string;
    try {
      const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `GET /subjects answered ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${options.timeoutMs} ms (last: ${last})`);
    await delay(200);
  }
}
