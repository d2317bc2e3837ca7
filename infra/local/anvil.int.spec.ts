// Against the real anvil binary from npm.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, NonceManager, Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startAnvil, stopStaleAnvil, type Anvil } from './anvil.ts';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function balanceOf(anvil: Anvil, address: string): Promise<bigint> {
  const provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true });
  try {
    return await provider.getBalance(address);
  } finally {
    provider.destroy();
  }
}

/** Polls until the process is gone, failing after the deadline. */
async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('anvil launcher', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'proofline-anvil-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts anvil on a free port, answering eth_chainId with the dev chain id', async () => {
    const anvil = await startAnvil();
    try {
      expect(anvil.chainId).toBe(31337n);
      expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`);
      expect(await balanceOf(anvil, new Wallet(anvil.devPrivateKeys[1]!).address)).toBe(parseEther('10000'));
    } finally {
      await anvil.stop();
    }
  });

  it('stop() ends the anvil process itself, and a second stop() is harmless', async () => {
    const anvil = await startAnvil();
    expect(isRunning(anvil.pid)).toBe(true);
    await anvil.stop();
    expect(isRunning(anvil.pid)).toBe(false);
    await anvil.stop();
  });

  it('ends anvil when its owner is SIGKILLed: no orphan keeps writing the chain', async () => {
    const launcher = fileURLToPath(new URL('./anvil.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `import { startAnvil } from ${JSON.stringify(launcher)}; const anvil = await startAnvil(); process.stdout.write(JSON.stringify({ pid: anvil.pid }) + '\\n'); setInterval(() => {}, 1000);`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
    const { pid } = JSON.parse(line.toString('utf8')) as { pid: number };
    expect(isRunning(pid)).toBe(true);
    owner.kill('SIGKILL');
    await waitGone(pid);
  });

  it('ends a still-running anvil of the same state file, found through its pid file, before starting', async () => {
    const stateFile = path.join(dir, 'stale.json');
    const stale = await startAnvil({ stateFile });
    expect(Number((await readFile(`${stateFile}.pid`, 'utf8')).trim())).toBe(stale.pid);
    const fresh = await startAnvil({ stateFile });
    try {
      expect(isRunning(stale.pid)).toBe(false);
      expect(isRunning(fresh.pid)).toBe(true);
    } finally {
      await fresh.stop();
      await stale.stop();
    }
  });

  it('leaves a process that is not an anvil of that state file alone, whatever the pid file says', async () => {
    const pidFile = path.join(dir, 'other.json.pid');
    await writeFile(pidFile, `${process.pid}\n`);
    expect(await stopStaleAnvil(pidFile, path.join(dir, 'other.json'))).toBe(false);
    expect(isRunning(process.pid)).toBe(true);
  });

  it('keeps the chain in its state file across a stop and a start on the same port', async () => {
    const stateFile = path.join(dir, 'state.json');
    const recipient = Wallet.createRandom().address;
    const first = await startAnvil({ stateFile });
    try {
      const provider = new JsonRpcProvider(first.rpcUrl, first.chainId, { staticNetwork: true });
      const sender = new NonceManager(new Wallet(first.devPrivateKeys[0]!, provider));
      await (await sender.sendTransaction({ to: recipient, value: parseEther('1.5') })).wait(1);
      provider.destroy();
    } finally {
      await first.stop();
    }

    const second = await startAnvil({ stateFile, port: first.port });
    try {
      expect(second.rpcUrl).toBe(first.rpcUrl);
      expect(await balanceOf(second, recipient)).toBe(parseEther('1.5'));
    } finally {
      await second.stop();
    }
  });

  it('fails with what anvil printed when it exits before answering (an unreadable state file)', async () => {
    const stateFile = path.join(dir, 'garbage.json');
    await writeFile(stateFile, 'not json');
    await expect(startAnvil({ stateFile })).rejects.toThrow(/^anvil exited with code 2 [\s\S]*failed to parse json file/);
  });

  it('refuses a port that is already taken instead of reporting the other server as ready', async () => {
    const running = await startAnvil();
    try {
      await expect(startAnvil({ port: running.port })).rejects.toThrow(`cannot start anvil on 127.0.0.1:${running.port}: the port is already in use`);
    } finally {
      await running.stop();
    }
  });
});
