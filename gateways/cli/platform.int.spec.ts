// A gateway started on a database no projection worker has touched yet (its workers run elsewhere, or have
// not started): every query answers from empty read models, never with a missing table. On a database
// without an admin key it makes one, in its data directory.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { rolesFor } from './commands.ts';
import { startPlatform, type Platform } from './platform.ts';

let database: TestDatabase;
let platform: Platform;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase('proofline_gateway_only');
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-gateway-'));
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', PROOFLINE_DATA_DIR: dataDir });
  platform = await startPlatform(config, pino({ level: 'silent' }), { gateway: true, relay: false, projections: [], anchorer: false, processes: [] });
});
afterAll(async () => {
  await platform?.stop();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a gateway alone on a fresh database', () => {
  it.each([
    ['/v1/decisions', 200],
    ['/v1/decisions/river/results', 404],
    ['/v1/companies/acme/score', 404],
    ['/v1/watch-list', 200],
    ['/v1/crawls', 200],
    ['/v1/platforms/crawler/escrow', 404],
    ['/v1/publishers/daily-news/revenue', 200],
  ])('GET %s answers %i from the empty read models', async (url, status) => {
    const response = await fetch(`${platform.url}${url}`);
    expect(response.status, await response.clone().text()).toBe(status);
  });
});

describe('a gateway alone on DATABASE_URL, first started', () => {
  it('writes an admin key to its data directory that the admin routes accept (and refuse without)', async () => {
    const adminKey = (await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
    expect((await fetch(`${platform.url}/v1/admin/parked`)).status).toBe(401);
    const parked = await fetch(`${platform.url}/v1/admin/parked`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(parked.status, await parked.clone().text()).toBe(200);
    expect(await parked.json()).toEqual({ parked: [] });
  });
});

describe('a context process alone on a fresh database', () => {
  it.each([
    ['deadlines', 'projection_workplace', 'engagements'],
    ['transfers', 'projection_impact', 'transfers'],
    ['settlement', 'projection_assets', 'purchases'],
  ])('proofline %s makes the read models it queries (%s.%s), passes without failing, and stops cleanly', async (command, schema, table) => {
    const fresh = await createTestDatabase(`proofline_${command}_only`);
    const roles = rolesFor(command, [], false)!;
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const running = await startPlatform(loadConfig({ DATABASE_URL: fresh.url }), logger, roles);
    try {
      const { rows } = await running.db.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = $1 and table_name = $2`, [schema, table]);
      expect(rows).toEqual([{ name: table }]);
      const outcome = await Promise.race([running.failed, new Promise((resolve) => setTimeout(resolve, 300, 'running'))]);
      expect(outcome).toBe('running');
      // Its first pass ran at once: a pass that failed (a missing table, a bad query) would have warned.
      expect(warnings.filter((line) => line.includes('pass failed'))).toEqual([]);
    } finally {
      await running.stop();
      await fresh.drop();
    }
  });
});
