import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HDNodeWallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { ANVIL_DEV_MNEMONIC, ANVIL_DEV_PRIVATE_KEYS, findAnvilBinary } from './anvil.ts';

describe('anvil launcher, without a process', () => {
  it('hands out the private keys anvil derives from its default mnemonic', () => {
    expect(ANVIL_DEV_PRIVATE_KEYS.length).toBeGreaterThanOrEqual(2);
    ANVIL_DEV_PRIVATE_KEYS.forEach((key, index) => {
      expect(HDNodeWallet.fromPhrase(ANVIL_DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey).toBe(key);
    });
  });

  it('prefers ANVIL_BIN, and names it when it does not exist', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'proofline-anvil-bin-'));
    try {
      const binary = path.join(dir, 'anvil');
      await writeFile(binary, '');
      expect(findAnvilBinary({ ANVIL_BIN: binary, PATH: '' })).toBe(binary);
      expect(() => findAnvilBinary({ ANVIL_BIN: path.join(dir, 'missing'), PATH: '' })).toThrow(/ANVIL_BIN is set to .*missing, which does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds the binary of the npm package @foundry-rs/anvil-linux-amd64 when ANVIL_BIN is unset', () => {
    expect(findAnvilBinary({ PATH: '' })).toMatch(/@foundry-rs\/anvil-linux-amd64\/bin\/anvil$/);
  });
});
