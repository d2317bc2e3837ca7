// `proofline gateway --workers 2` as an operator runs it: a real supervisor and two real workers on one port,
// on the test PostgreSQL. Both workers answer; GET /metrics on either shows both; a worker killed is forked
// again while the other answers; SIGTERM stops them all with exit 0; a supervisor killed takes its workers
// with it.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/embedded-postgres.ts';
import { processAlive } from '../../infra/local/processes.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';

let database: TestDatabase;
let dataDir: string;
const running: RunningProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase('proofline_workers');
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-workers-'));
});
afterAll(async () => {
  await Promise.all(running.map((proc) => proc.stop('SIGKILL')));
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The pids of a process's children (its workers). */
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
};

async function startGateway() {
  const port = await freePort();
  const proc = startProofline(['gateway', '--workers', '2'], {
    DATABASE_URL: database.url,
    PROOFLINE_DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    AUTH_SECRET: undefined,
    NODE_ENV: undefined,
    EVENTSTORE_URL: undefined,
  });
  running.push(proc);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => childrenOf(proc.child.pid!).length === 2 && (await fetch(`${base}/readyz`)).ok, 90_000, () => proc.output());
  return { proc, base };
}

/** The request-count series of GET /readyz in a scrape, by worker label. */
const readyzCounts = (metrics: string) =>
  Object.fromEntries(
    [...metrics.matchAll(/^proofline_http_request_duration_seconds_count\{method="GET",route="\/readyz",status_code="200",worker="(\d+)"\} (\d+)$/gm)].map((match) => [match[1], Number(match[2])]),
  );

describe('proofline gateway --workers 2', () => {
  it('answers from both workers; any scrape shows both, the store gauges once; a killed worker comes back; SIGTERM stops all with 0', { timeout: 180_000 }, async () => {
    const { proc, base } = await startGateway();
    const supervisor = proc.child.pid!;

    // Connections are handed out in turn: new connections reach both workers.
    const metrics = await waitFor(
      async () => {
        await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/readyz`, { headers: { connection: 'close' } })));
        const text = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text();
        return Object.keys(readyzCounts(text)).length === 2 && text;
      },
      30_000,
      () => proc.output(),
    );
    expect(Object.keys(readyzCounts(metrics)).sort()).toEqual(['1', '2']);
    expect(metrics.match(/^proofline_eventstore_head_lsn \d+$/gm)).toHaveLength(1);
    expect(metrics.match(/^# TYPE proofline_http_request_duration_seconds histogram$/gm)).toHaveLength(1);

    // One worker killed: the other answers at once, and the supervisor forks another.
    const [victim] = childrenOf(supervisor);
    process.kill(victim!, 'SIGKILL');
    await waitFor(async () => !processAlive(victim!), 10_000, () => 'the worker did not die');
    expect((await fetch(`${base}/readyz`)).ok).toBe(true);
    await waitFor(async () => childrenOf(supervisor).length === 2 && !childrenOf(supervisor).includes(victim!), 60_000, () => proc.output());

    const workers = childrenOf(supervisor);
    expect(await proc.stop('SIGTERM'), proc.output()).toBe(0);
    expect(workers.filter(processAlive)).toEqual([]);
  });

  it('a supervisor killed takes its workers with it', { timeout: 180_000 }, async () => {
    const { proc } = await startGateway();
    const workers = childrenOf(proc.child.pid!);
    expect(workers).toHaveLength(2);
    proc.child.kill('SIGKILL');
    await once(proc.child, 'exit');
    await waitFor(async () => workers.every((pid) => !processAlive(pid)), 10_000, () => `workers still running: ${workers.filter(processAlive).join(', ')}`);
  });
});
