import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAnvil } from './anvil.ts';
import { DevelopmentServerError } from './development-only.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

afterEach(() => vi.unstubAllEnvs());

describe('embedded servers with NODE_ENV=production', () => {
  it('refuse to start, before touching the data directory', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const dir = await mkdtemp(path.join(tmpdir(), 'proofline-production-'));
    try {
      await expect(startAnvil({ stateFile: path.join(dir, 'anvil', 'state.json') })).rejects.toThrow(DevelopmentServerError);
      await expect(startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres') })).rejects.toThrow(/embedded PostgreSQL .* NODE_ENV=production/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
