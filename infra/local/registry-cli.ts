// A local schema registry (Apicurio, Confluent-compatible API) for development, in the background:
//   node --import tsx infra/local/registry-cli.ts fetch    unpack the registry with Maven (CI runs this first)
//   node --import tsx infra/local/registry-cli.ts start    npm run registry:start: start it, return once it is ready
//   node --import tsx infra/local/registry-cli.ts status   print whether it runs, and where
//   node --import tsx infra/local/registry-cli.ts stop     npm run registry:stop
// State lives in $PROOFLINE_DATA_DIR/registry (default ./.proofline/registry): registry.pid, url, logs/ and
// db/ (the schemas, kept across restarts: records already written name them by id).
// SCHEMA_REGISTRY_PORT (default 8081) and SCHEMA_REGISTRY_MANAGEMENT_PORT (default port + 1) choose ports.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { portFromEnv, runCliCommand, say, seconds } from './cli-output.ts';
import { APICURIO_VERSION, fetchRegistry, startRegistry, waitForRegistry } from './registry.ts';
import { commandLineOf, pidIn, stopProcess } from './processes.ts';

const registryDir = path.resolve(process.env.PROOFLINE_DATA_DIR || './.proofline', 'registry');
const pidFile = path.join(registryDir, 'registry.pid');
const urlFile = path.join(registryDir, 'url');

/** The registry recorded in registry.pid, if that process is still this data directory's registry. */
async function runningRegistry(): Promise<{ pid: number; url: string } | undefined> {
  const pid = pidIn(pidFile);
  if (pid === undefined) return undefined;
  // Its command line names this directory's cache: a reused pid is never taken for it.
  const commandLine = commandLineOf(pid);
  if (!commandLine.includes(`-Dvertx.cacheDirBase=${path.join(registryDir, 'vertx-cache')}`)) return undefined;
  return { pid, url: (await readFile(urlFile, 'utf8').catch(() => '')).trim() };
}

async function fetchCommand(): Promise<void> {
  const result = await fetchRegistry({ onProgress: (message) => say(`registry: ${message}`) });
  say(`registry: Apicurio Registry ${APICURIO_VERSION} ready in ${result.dir} (${result.cached ? 'cached' : 'unpacked with Maven'} in ${seconds(result.ms)})`);
}

async function startCommand(): Promise<void> {
  const running = await runningRegistry();
  if (running) {
    say(`registry: already running (pid ${running.pid}, logs ${path.join(registryDir, 'logs', 'registry.log')})`);
    say(`SCHEMA_REGISTRY_URL=${running.url}`);
    return;
  }
  const port = portFromEnv('SCHEMA_REGISTRY_PORT', 8081);
  const managementPort = portFromEnv('SCHEMA_REGISTRY_MANAGEMENT_PORT', port + 1);
  const started = Date.now();
  const registry = await startRegistry({ dataDir: registryDir, port, managementPort, persistent: true, onProgress: (message) => say(`registry: ${message}`) });
  await writeFile(pidFile, `${registry.pid}\n`);
  await writeFile(urlFile, `${registry.url}\n`);
  registry.detach();
  say(`registry: Apicurio Registry ${registry.version} ready in ${seconds(Date.now() - started)} (pid ${registry.pid}, logs ${registry.logFile})`);
  say(`SCHEMA_REGISTRY_URL=${registry.url}`);
}

async function statusCommand(): Promise<void> {
  const running = await runningRegistry();
  if (!running) {
    say('registry: not running');
    process.exitCode = 3;
    return;
  }
  await waitForRegistry(running.url, { timeoutMs: 5_000 });
  say(`registry: running (pid ${running.pid})`);
  say(`SCHEMA_REGISTRY_URL=${running.url}`);
}

async function stopCommand(): Promise<void> {
  const running = await runningRegistry();
  if (!running) {
    await rm(pidFile, { force: true });
    say(existsSync(registryDir) ? 'registry: not running' : `registry: not running (no ${registryDir})`);
    return;
  }
  const started = Date.now();
  await stopProcess(running.pid, 'SIGTERM', 20_000, { group: true });
  await rm(pidFile, { force: true });
  say(`registry: stopped pid ${running.pid} in ${seconds(Date.now() - started)}`);
}

await runCliCommand('infra/local/registry-cli.ts', 'registry', { fetch: fetchCommand, start: startCommand, status: statusCommand, stop: stopCommand });
