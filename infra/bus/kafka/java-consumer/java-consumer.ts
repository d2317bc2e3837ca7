// Runs ProoflineTopicsReader.java (kafka-clients + Apicurio Registry's Avro serde) on Proofline's topics: a
// Java consumer that knows nothing of Proofline's code, for the spec that checks what it decodes. Its jars
// come from Maven Central (pom.xml beside it) like the local Kafka's (infra/local/kafka.ts): resolved once,
// cached per POM content; Java's source-file launcher runs the reader without a build step.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveMavenClasspath, type MavenClasspath } from '../../../local/kafka.ts';

export const JAVA_CONSUMER_POM = fileURLToPath(new URL('./pom.xml', import.meta.url));
const READER_SOURCE = fileURLToPath(new URL('./ProoflineTopicsReader.java', import.meta.url));
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

export function resolveJavaConsumerClasspath(options: { onProgress?: (message: string) => void } = {}): Promise<MavenClasspath> {
  return resolveMavenClasspath(
    { pom: JAVA_CONSUMER_POM, name: "the Java consumer (kafka-clients, Apicurio's Avro serde)", cacheName: 'java-consumer', downloadSize: '~27 MB' },
    options,
  );
}

/** The commands the Java consumer needs (java, mvn) that are not installed: none when it can run. */
export function missingJavaConsumerTools(): string[] {
  const missing = (command: string, flag: string) => spawnSync(command, [flag], { stdio: 'ignore', timeout: 30_000 }).error !== undefined;
  return [missing(JAVA, '-version') ? JAVA : undefined, missing('mvn', '--version') ? 'mvn' : undefined].filter((tool): tool is string => tool !== undefined);
}

/**
 * Apicurio's v2 REST API (what its 2.x serdes call) under the same server as its Confluent-compatible API,
 * e.g. http://127.0.0.1:8081/apis/ccompat/v7 → http://127.0.0.1:8081/apis/registry/v2.
 */
export function apicurioV2Url(ccompatUrl: string): string {
  const url = new URL(ccompatUrl);
  const match = /^(.*)\/apis\/ccompat\/v\d+\/?$/.exec(url.pathname);
  if (!match) throw new Error(`${ccompatUrl} is not Apicurio Registry's Confluent-compatible API (…/apis/ccompat/v7): the Java consumer needs an Apicurio registry`);
  url.pathname = `${match[1]}/apis/registry/v2`;
  return url.href;
}

/** One event record as the Java reader printed it; `value` is the record Apicurio's deserializer decoded. */
export type JavaDecodedRecord = {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  /** The full name of the writer schema the deserializer fetched from the registry. */
  writerSchema: string | null;
  value: unknown;
};

/** Every event record of `topics` (control records skipped), decoded by the Java reader. */
export async function readTopicsWithJava(options: { brokers: readonly string[]; registryV2Url: string; topics: readonly string[]; timeoutMs?: number }): Promise<JavaDecodedRecord[]> {
  const { classpath } = await resolveJavaConsumerClasspath();
  const args = [
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    classpath,
    READER_SOURCE,
    options.brokers.join(','),
    options.registryV2Url,
    ...options.topics,
  ];
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { code, stdout, stderr } = await new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(JAVA, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error(`${JAVA} not found: install a JDK 17+ or set JAVA_HOME`) : error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ code: exitCode ?? `signal ${signal}${signal === 'SIGKILL' ? ` (timed out after ${timeoutMs} ms)` : ''}`, stdout, stderr });
    });
  });
  if (code !== 0) {
    // The reader's last stderr line says what failed; the stack trace above it, where.
    const lines = stderr.trimEnd().split('\n');
    throw new Error(`${lines.at(-1) ?? ''} (exit ${code}, reading ${options.topics.join(', ')})\n${lines.slice(-40, -1).join('\n')}`);
  }
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line, exactIntegers) as JavaDecodedRecord);
}

/** JSON.parse reviver: an Avro long beyond 2^53 would silently lose digits as a JS number; refuse it instead. */
function exactIntegers(key: string, value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new Error(`the Java reader printed an integer beyond 2^53 (field ${key}): it cannot be compared exactly as a JS number`);
  }
  return value;
}
