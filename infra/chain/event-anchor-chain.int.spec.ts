// The adapter while its chain goes away and comes back (anvil restarted on the same port and state file).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type Anvil } from '../local/anvil.ts';
import type { AnchoredBatch } from '../../ports/anchor-chain.ts';
import { openAnchorChain } from './open-anchor-chain.ts';

const batchOf = (batchId: number, fromLsn: number, toLsn: number): AnchoredBatch => ({ batchId, fromLsn, toLsn, root: Uint8Array.from(randomBytes(32)) });

describe('EventAnchor chain adapter', () => {
  let dir: string;
  let anvil: Anvil | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'proofline-chain-'));
  });
  afterAll(async () => {
    await anvil?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails fast while the chain is down (without an unhandled rejection) and resumes when it is back', async () => {
    const stateFile = path.join(dir, 'state.json');
    anvil = await startAnvil({ stateFile });
    const chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]! });
    try {
      await chain.commitBatch(batchOf(1, 1, 10));
      // A rejected commit makes the next one re-read its nonce, which is the read that fails while the chain is down.
      await expect(chain.commitBatch(batchOf(3, 11, 20))).rejects.toThrow(/EventAnchorBatchOutOfOrder/);
      const { port } = anvil;
      await anvil.stop();

      const startedAt = Date.now();
      await expect(chain.nextBatchId()).rejects.toThrow(/ECONNREFUSED/);
      await expect(chain.commitBatch(batchOf(2, 11, 20))).rejects.toThrow(/ECONNREFUSED/);
      expect(Date.now() - startedAt).toBeLessThan(5_000);

      anvil = await startAnvil({ stateFile, port });
      expect(await chain.nextBatchId()).toBe(2);
      const receipt = await chain.commitBatch(batchOf(2, 11, 20));
      expect(receipt.blockNumber).toBeGreaterThan(0);
      expect(await chain.batch(2)).toMatchObject({ fromLsn: 11, toLsn: 20 });
    } finally {
      await chain.close();
    }
  });
});
