// The embedded PostgreSQL after its owner was SIGKILLed: the server it left running on the cluster is found
// and shut down by the next start, which then serves the same data; a live owner is never interrupted.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterInUseError, startEmbeddedPostgres } from './embedded-postgres.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'proofline-embedded-pg-'));
  // As root the server runs as `postgres`, which must reach the cluster.
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** A process that starts the embedded PostgreSQL on `dataDir`, writes a row, prints the url and waits. */
async function ownerProcess(dataDir: string) {
  const launcher = fileURLToPath(new URL('./embedded-postgres.ts', import.meta.url));
  const script = `import { startEmbeddedPostgres } from ${JSON.stringify(launcher)};
    import pg from 'pg';
    const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('create table if not exists kept (value text)');
    await client.query("insert into kept values ('before the crash')");
    await client.end();
    process.stdout.write(JSON.stringify({ url: server.url }) + '\\n');
    setInterval(() => {}, 1000);`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  const exited = once(owner, 'exit').then(([code]) => {
    throw new Error(`the owner process exited (${code}) before its server was up`);
  });
  const [line] = (await Promise.race([once(owner.stdout!, 'data'), exited])) as [Buffer];
  exited.catch(() => {});
  return { owner, url: (JSON.parse(line.toString('utf8')) as { url: string }).url };
}

describe('embedded PostgreSQL after a crash of its owner', () => {
  it('refuses to take a cluster whose owner still runs, and takes over once the owner was SIGKILLed', { timeout: 120_000 }, async () => {
    const dataDir = path.join(dir, 'postgres');
    const { owner, url } = await ownerProcess(dataDir);
    const [serverPid] = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n').map(Number);

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(ClusterInUseError);
    expect(await query(url, 'select count(*)::int as n from kept')).toEqual([{ n: 1 }]);

    owner.kill('SIGKILL');
    await once(owner, 'exit');
    expect(isRunning(serverPid!)).toBe(true); // the orphan the next start has to deal with

    const server = await startEmbeddedPostgres({ dataDir });
    try {
      expect(isRunning(serverPid!)).toBe(false);
      expect(await query(server.url, 'select value from kept')).toEqual([{ value: 'before the crash' }]);
    } finally {
      await server.stop();
    }
  });
});
