// The real platform, as an operator runs it from the CLI: `proofline gateway` (with `--workers N` when asked)
// and `proofline project governance`, each a process of its own on a fresh database, a temporary data
// directory and a free port; the keys made by `proofline keys create`. Every process is pushed on the run's
// cleanups (stopped before the database is dropped).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Cleanups } from '../support/cleanups.ts';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'proofline.js');
const READY_TIMEOUT_MS = 60_000;
// Far above what a 2-core machine can send: the bench measures the vote path, not the limiter's refusals.
export const BENCH_RATE_LIMIT = String(1_000_000_000);

export type RunningPlatform = { url: string; gateway: ServerProcess; projector: ServerProcess; env: Record<string, string> };

/**
 * The environment of every platform process: one database, one data directory, one credential secret (so
 * keys made by one process are accepted by the gateway and its workers), rate limits out of the way.
 * LOG_LEVEL: warn unless the bench is given one, since info writes two lines per request into the log file.
 */
function platformEnv(databaseUrl: string, dataDir: string, port: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PROOFLINE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_KEY_PER_MINUTE: BENCH_RATE_LIMIT,
    // The results load comes from one address, without a credential.
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: BENCH_RATE_LIMIT,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
}

export async function startPlatform(options: { databaseUrl: string; workDir: string; workers: number | undefined; cleanups: Cleanups }): Promise<RunningPlatform> {
  const port = await freePort();
  const env = platformEnv(options.databaseUrl, path.join(options.workDir, 'data'), port);
  const url = `http://127.0.0.1:${port}`;
  const start = (role: string, args: string[]) => {
    const server = startServerProcess(role, [CLI, ...args], { cwd: REPO_ROOT, env, logFile: path.join(options.workDir, `${role}.log`) });
    options.cleanups.push(role, () => server.stop());
    return server;
  };
  const gateway = start('gateway', ['gateway', ...(options.workers === undefined ? [] : ['--workers', String(options.workers)])]);
  await gateway.ready(`${url}/readyz`, READY_TIMEOUT_MS);
  // After the gateway: it creates every read model's tables, which the worker would otherwise race it for.
  const projector = start('projector', ['project', 'governance']);
  return { url, gateway, projector, env };
}

/** `proofline keys create --role <role> --subject <subject>` with the platform's environment: the key. */
export async function createKey(platform: RunningPlatform, role: string, subject: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'keys', 'create', '--role', role, '--subject', subject], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...platform.env },
  });
  return stdout.trim();
}
