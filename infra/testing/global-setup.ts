// Finds a real PostgreSQL for the integration tests: PROOFLINE_TEST_DATABASE_URL, else the machine's own
// server on 127.0.0.1:5432, else an embedded one started here. Tests never skip for want of a server.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../local/embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgresHandle | undefined;
  let dataDir: string | undefined;
  let url = process.env.PROOFLINE_TEST_DATABASE_URL;
  if (url) {
    if (!(await reachable(url))) throw new Error(`PROOFLINE_TEST_DATABASE_URL is set but not reachable: ${url}`);
  } else if (await reachable(MACHINE_POSTGRES)) {
    url = MACHINE_POSTGRES;
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-test-pg-'));
    await chmod(dataDir, 0o755); // as root, the server runs as the postgres user
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data') });
    url = embedded.url;
  }
  project.provide('postgresAdminUrl', url);
  return async () => {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
