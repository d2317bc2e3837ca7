// Runs a real anvil (Foundry's local EVM node) for `npm start`, tests and benchmarks. The binary comes from
// npm (@foundry-rs/anvil-linux-amd64) and is spawned directly, in its own process group: the npm wrapper would
// leave anvil running when killed (checked on these machines). The caller owns it: stop() ends
// exactly the process group start began.
//
// Nothing of it outlives its owner: a SIGKILLed owner runs no exit handler, so anvil is started under a
// watchdog shell that holds a pipe from the owner and ends anvil when that pipe closes (the kernel closes it
// when the owner dies, however it dies). An orphan would otherwise keep dumping a stale chain into the state
// file that the next start loads. With a state file, a pid file beside it also lets the next start end an
// anvil of that file that is somehow still running (checked to be ours by its command line) before starting.
//
// With `stateFile`, anvil loads the chain from it at start, dumps it every second and at exit, so a restart on
// the same file (and, if given, the same port) continues the same chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { rpcChainId } from '../chain/rpc-chain-id.ts';
import { refuseInProduction } from './development-only.ts';
import { freePort } from './embedded-postgres.ts';
import { commandLineOf, pidIn, stopProcess } from './processes.ts';

export type Anvil = {
  rpcUrl: string;
  port: number;
  chainId: bigint;
  /** The process id of the anvil binary (its process group is the watchdog shell's, which stop() signals). */
  pid: number;
  /** Private keys of anvil's first dev accounts (the well-known test mnemonic), each funded with 10,000 ETH. */
  devPrivateKeys: readonly string[];
  /** Stops anvil (SIGTERM, then SIGKILL after a deadline) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
};

export type AnvilOptions = { port?: number; host?: string; stateFile?: string; readyTimeoutMs?: number };

/** Accounts 0..2 of "test test test test test test test test test test test junk" (m/44'/60'/0'/0/i). */
export const ANVIL_DEV_PRIVATE_KEYS: readonly string[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
];
export const ANVIL_DEV_MNEMONIC = 'test test test test test test test test test test test junk';

const OUTPUT_TAIL_LINES = 40;
const STOP_GRACE_MS = 10_000;

/** ANVIL_BIN, else the binary of @foundry-rs/anvil-linux-amd64, else `anvil` on PATH. */
export function findAnvilBinary(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  if (env.ANVIL_BIN) {
    if (existsSync(env.ANVIL_BIN)) return env.ANVIL_BIN;
    throw new Error(`ANVIL_BIN is set to ${env.ANVIL_BIN}, which does not exist`);
  }
  try {
    const packageJson = createRequire(import.meta.url).resolve('@foundry-rs/anvil-linux-amd64/package.json');
    const binary = path.join(path.dirname(packageJson), 'bin', 'anvil');
    if (existsSync(binary)) return binary;
    tried.push(`${binary} (package installed, binary missing)`);
  } catch {
    tried.push('@foundry-rs/anvil-linux-amd64 (not installed: it exists for Linux x64 only)');
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const binary = path.join(dir, 'anvil');
    if (existsSync(binary)) return binary;
  }
  tried.push('anvil on PATH');
  throw new Error(`no anvil binary found; tried ${tried.join(', ')}. Install Foundry's anvil and set ANVIL_BIN to its path.`);
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  refuseInProduction('anvil');
  const binary = findAnvilBinary();
  const host = options.host ?? '127.0.0.1';
  // A taken port would otherwise look ready: whoever holds it answers eth_chainId while our anvil fails to bind.
  if (options.port !== undefined) await assertPortFree(host, options.port);
  const port = options.port ?? (await freePort());
  const args = ['--host', host, '--port', String(port)];
  const pidFile = options.stateFile ? `${path.resolve(options.stateFile)}.pid` : undefined;
  if (options.stateFile) {
    await mkdir(path.dirname(path.resolve(options.stateFile)), { recursive: true });
    await stopStaleAnvil(pidFile!, path.resolve(options.stateFile));
    args.push('--state', path.resolve(options.stateFile), '--state-interval', '1');
  }

  // stdin is the owner's pipe; the watchdog reads it on fd 3 (an asynchronous list's own stdin is /dev/null)
  // and ends anvil at its end of file. `wait` makes the shell exit with anvil, so a failed start is seen at once.
  const watchdog = 'exec 3<&0; "$0" "$@" </dev/null & anvil=$!; echo "$anvil" >&2; (read -r _ <&3; kill -TERM "$anvil" 2>/dev/null) & wait "$anvil"';
  const child = spawn('/bin/sh', ['-c', watchdog, binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const anvilPid = firstLine(child);
  const output = outputTail(child);
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      exitInfo = `could not be spawned: ${error.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitInfo = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (exitInfo === undefined) {
        signalGroup(child, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // The shell may go before anvil has dumped its state and exited: stopped means anvil itself is gone.
      const pid = await Promise.race([anvilPid, exited.then(() => undefined)]);
      if (pid !== undefined) await stopProcess(pid, undefined, STOP_GRACE_MS);
      // Stop reading: the pipes would keep this process alive if anything of the group still held them.
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (pidFile) await rm(pidFile, { force: true });
    })());

  const rpcUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const chainId = await rpcChainId(rpcUrl).catch(() => undefined);
    if (chainId !== undefined && exitInfo === undefined) {
      const pid = await anvilPid;
      if (pidFile) await writeFile(pidFile, `${pid}\n`);
      return { rpcUrl, port, chainId, pid, devPrivateKeys: ANVIL_DEV_PRIVATE_KEYS, stop };
    }
    if (exitInfo !== undefined || Date.now() > deadline) {
      const reason = exitInfo !== undefined ? `anvil ${exitInfo}` : `anvil did not answer eth_chainId within ${timeoutMs} ms`;
      await stop();
      throw new Error(`${reason} (${binary} ${args.join(' ')})\n${output()}`);
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
}

/** The first line the watchdog writes to stderr: anvil's own pid. */
function firstLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      child.stderr?.off('data', onData);
      resolve(Number(text.slice(0, newline)));
    };
    child.stderr?.on('data', onData);
  });
}

/**
 * Ends the anvil a pid file names, if it still runs and is an anvil of this state file (its command line says
 * so: a pid reused by another program is left alone), and waits for it to go.
 */
export async function stopStaleAnvil(pidFile: string, stateFile: string, timeoutMs = 10_000): Promise<boolean> {
  const pid = pidIn(pidFile);
  const commandLine = pid === undefined ? [] : commandLineOf(pid);
  const ours = commandLine.some((part) => path.basename(part).startsWith('anvil')) && commandLine.includes(stateFile);
  if (ours) await stopProcess(pid!, 'SIGTERM', timeoutMs);
  await rm(pidFile, { force: true });
  return ours;
}

async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot start anvil on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message}`)),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Keeps the last lines anvil printed (both streams), for error messages. */
function outputTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (lines.length > OUTPUT_TAIL_LINES) lines.splice(0, lines.length - OUTPUT_TAIL_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => lines.join('\n');
}
