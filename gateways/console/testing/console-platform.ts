// A whole platform for the console's browser tests and screenshots: the gateway (serving the built console
// at a fixed port, so the sign-in domain is known), every projection, the anchorer on an embedded anvil that
// anchors every half second. PostgreSQL: the URL given, else an embedded one in the data directory.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../infra/config.ts';
import { startPlatform } from '../../cli/platform.ts';
import { projections } from '../../contexts/index.ts';

export type ConsolePlatform = { url: string; adminKey: string; rpcUrl: string; stop(): Promise<void> };

/** A port free right now (the gateway must know its port before it listens: the sign-in domain names it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startConsolePlatform(options: { databaseUrl?: string } = {}): Promise<ConsolePlatform> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-console-'));
  // As root, the embedded PostgreSQL runs as the postgres user, which must reach its directory.
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const config = loadConfig({
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    PROOFLINE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ANCHOR_INTERVAL_MS: '500',
    LOG_LEVEL: 'warn',
  });
  const platform = await startPlatform(config, pino({ level: 'warn' }), { gateway: true, relay: false, projections, anchorer: true, processes: [] });
  const stop = async () => {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const adminKey = (await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
    const chain = (await (await fetch(`${platform.url}/v1/audit/chain`)).json()) as { rpcUrl: string | null };
    if (!chain.rpcUrl) throw new Error('the platform suggests no RPC URL for its embedded anvil');
    return { url: platform.url!, adminKey, rpcUrl: chain.rpcUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
