// Against the real anvil binary from npm.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, NonceManager, Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type Anvil } from './anvil.ts';

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
