// The anchorer against a chain that loses blocks (anvil's snapshot and revert stand in for a reorganisation
// or a development chain restored from an older state), and a batch counting as anchored only once it
// has its confirmations.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStoreFixture, runInBackground, type StoreFixture } from '../../infra/bus/kafka/test-support.ts';
import { openAnchorChain } from '../../infra/chain/index.ts';
import { soleHolderOn } from '../../infra/db/sole-holder.ts';
import { startAnvil, type Anvil } from '../../infra/local/anvil.ts';
import { runProjection } from '../../gateways/composition/read-side.ts';
import { waitFor } from '../../infra/testing/process.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import { anchoringProjection } from './anchoring-projection.ts';
import { createAnchorer } from './anchorer.ts';
import { batchById, lastBatch } from './batch-store.ts';
import { sameBytes } from './merkle-tree.ts';
import { anvilRpc } from '../../infra/testing/anvil-rpc.ts';

const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

let fixture: StoreFixture;
let anvil: Anvil;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  fixture = await openStoreFixture();
  anvil = await startAnvil();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((role) => role.stop()));
});
afterAll(async () => {
  await anvil?.stop();
  await fixture?.close();
});

const rpc = (method: string, params: unknown[] = []) => anvilRpc(anvil.rpcUrl, method, params);

function startAnchoring(chain: AnchorChain) {
  const { db, store: eventStore } = fixture;
  running.push(runInBackground((signal) => runProjection(anchoringProjection, { db, eventStore, logger }, signal)));
  const anchorer = createAnchorer({ db, chain, soleHolder: soleHolderOn(db), logger, batchSize: 5, intervalMs: 100, backoff: { initialMs: 50, maxMs: 200 } });
  running.push(runInBackground((signal) => anchorer.run(signal)));
}

/** Every batch of the database anchored, the last one ending at `lsn`, and the chain holding each exactly. */
async function anchoredOnChainThrough(chain: AnchorChain, lsn: number) {
  await waitFor(
    async () => {
      const last = await lastBatch(fixture.db);
      if (!last || last.toLsn < lsn || last.status !== 'anchored') return false;
      return (await chain.nextBatchId()) === last.batchId + 1;
    },
    60_000,
    () => `batches through LSN ${lsn} are not all anchored`,
  );
  const next = await chain.nextBatchId();
  for (let batchId = 1; batchId < next; batchId += 1) {
    const [onChain, recorded] = [await chain.batch(batchId), await batchById(fixture.db, batchId)];
    expect(onChain && recorded && sameBytes(onChain.root, recorded.root) && onChain.toLsn === recorded.toLsn, `batch ${batchId}`).toBe(true);
  }
}

describe('a chain that loses blocks', () => {
  it('gets the batches it lost committed again from the log, by a running anchorer and after a restart', { timeout: 120_000 }, async () => {
    const chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, db: fixture.db, logger });
    try {
      const head = () => fixture.store.headLsn();
      await fixture.appendGovernance(2, 4);
      startAnchoring(chain);
      await anchoredOnChainThrough(chain, await head());

      // The chain as it was now; then more batches; then the chain goes back and loses them.
      const snapshot = await rpc('evm_snapshot');
      const keptNext = await chain.nextBatchId();
      await fixture.appendGovernance(2, 4);
      await anchoredOnChainThrough(chain, await head());
      expect(await chain.nextBatchId()).toBeGreaterThan(keptNext + 1);
      expect(await rpc('evm_revert', [snapshot])).toBe(true);
      expect(await chain.nextBatchId()).toBe(keptNext);

      // The running anchorer notices at its next commit.
      await fixture.appendGovernance(1, 4);
      await anchoredOnChainThrough(chain, await head());

      // And one that starts after the chain lost blocks recommits them at once.
      await Promise.all(running.splice(0).map((role) => role.stop()));
      const again = await rpc('evm_snapshot');
      await fixture.appendGovernance(1, 4);
      startAnchoring(chain);
      await anchoredOnChainThrough(chain, await head());
      await Promise.all(running.splice(0).map((role) => role.stop()));
      expect(await rpc('evm_revert', [again])).toBe(true);
      startAnchoring(chain);
      await anchoredOnChainThrough(chain, await head());
    } finally {
      await chain.close();
    }
  });
});

describe('confirmations', () => {
  it('counts a batch as anchored only once its commit has ANCHOR_CONFIRMATIONS blocks', { timeout: 60_000 }, async () => {
    // A contract of its own (no database: deployed anew), waiting for 3 blocks.
    const chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[1]!, logger, confirmations: 3 });
    try {
      const batch = { batchId: 1, fromLsn: 1, toLsn: 4, root: Uint8Array.from({ length: 32 }, (_, i) => i + 1) };
      let settled = false;
      const committed = chain.commitBatch(batch).finally(() => (settled = true));
      await waitFor(async () => (await chain.nextBatchId()) === 2, 10_000, () => 'the commit was not mined');
      await rpc('evm_mine');
      // One block on top of the commit's own: two of three, not yet (receipts.unit.spec.ts counts the polls).
      expect(settled).toBe(false);
      await rpc('evm_mine');
      const receipt = await committed;
      expect(Number(await rpc('eth_blockNumber')) - receipt.blockNumber + 1).toBeGreaterThanOrEqual(3);
    } finally {
      await chain.close();
    }
  });
});
