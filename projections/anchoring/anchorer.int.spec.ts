// The anchorer on a real anvil and real PostgreSQL: every event ends up in exactly one anchored batch,
// its proof verifies off-chain and through the contract, and a chain outage only delays anchoring.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leafFieldsOf, leafOf } from '../../events-schema/leaf.ts';
import { openStoreFixture, runInBackground, type StoreFixture } from '../../infra/bus/kafka/test-support.ts';
import { openAnchorChain } from '../../infra/chain/index.ts';
import { soleHolderOn } from '../../infra/db/sole-holder.ts';
import { startAnvil, type Anvil } from '../../infra/local/anvil.ts';
import { runProjection } from '../../gateways/composition/read-side.ts';
import { waitFor } from '../../infra/testing/process.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import { anchoringProjection } from './anchoring-projection.ts';
import { createAnchorer } from './anchorer.ts';
import { leavesBetween, storedBatches } from './batch-store.ts';
import { batchTree, rootFromProof, sameBytes } from './merkle-tree.ts';

const logger = pino({ level: 'silent' });

let fixture: StoreFixture;
let anvil: Anvil | undefined;
let chain: AnchorChain;
let dataDir: string;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-anchorer-'));
  fixture = await openStoreFixture();
  anvil = await startAnvil({ stateFile: path.join(dataDir, 'anvil-state.json') });
  chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, db: fixture.db, logger });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((role) => role.stop()));
});

afterAll(async () => {
  await chain?.close();
  await anvil?.stop();
  await fixture?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function startAnchoring(options: { batchSize: number; intervalMs: number }) {
  const { db, store: eventStore } = fixture;
  running.push(runInBackground((signal) => runProjection(anchoringProjection, { db, eventStore, logger }, signal)));
  const anchorer = createAnchorer({ db, chain, soleHolder: soleHolderOn(db), logger, ...options, backoff: { initialMs: 100, maxMs: 500 } });
  running.push(runInBackground((signal) => anchorer.run(signal)));
}

/** Resolves once the contract holds batches covering the whole log. */
async function anchoredThrough(lsn: number, timeoutMs = 60_000) {
  await waitFor(
    async () => {
      const next = await chain.nextBatchId();
      return next > 1 && (await chain.batch(next - 1))!.toLsn >= lsn && (await storedBatches(fixture.db)).length === 0;
    },
    timeoutMs,
    () => `the chain does not cover LSN ${lsn} yet`,
  );
}

/** The contract's batches, in order: contiguous from LSN 1, each exactly once. */
async function chainBatches() {
  const batches = [];
  for (let batchId = 1; batchId < (await chain.nextBatchId()); batchId += 1) batches.push((await chain.batch(batchId))!);
  return batches;
}

describe('the anchorer', () => {
  it('anchors every event of a 2,500-event run; each proof verifies off-chain and through verifyEvent', { timeout: 180_000 }, async () => {
    const log = await fixture.appendGovernance(50, 48);
    expect(log).toHaveLength(2500);
    // The log is written before anchoring starts and the interval is long, so batches close on size
    // alone and the last 500 events close on the interval.
    startAnchoring({ batchSize: 1000, intervalMs: 5_000 });
    await anchoredThrough(2500);

    const batches = await chainBatches();
    expect(batches.map((batch) => [batch.fromLsn, batch.toLsn])).toEqual([
      [1, 1000],
      [1001, 2000],
      [2001, 2500],
    ]);
    for (const batch of batches) {
      const events = log.slice(batch.fromLsn - 1, batch.toLsn);
      const leaves = events.map((event) => leafOf(leafFieldsOf(event)));
      const tree = batchTree(leaves);
      expect(sameBytes(tree.root, batch.root)).toBe(true);
      await Promise.all(
        events.map(async (event, index) => {
          const proof = tree.proof(index).map((hex) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex')));
          expect(sameBytes(rootFromProof(leaves[index]!, proof), batch.root)).toBe(true);
          const fields = leafFieldsOf(event);
          expect(await chain.verifyEvent({ batchId: batch.batchId, ...fields, proof })).toBe(true);
        }),
      );
    }
    // The leaves the projection stored are the ones the auditor recomputes from the log.
    const stored = await leavesBetween(fixture.db, 1, 2500);
    expect(stored.map((entry) => Buffer.from(entry.leaf).toString('hex'))).toEqual(log.map((event) => Buffer.from(leafOf(leafFieldsOf(event))).toString('hex')));
  });

  it('goes on while the chain is down and catches up when it is back, with no gap and no duplicate', { timeout: 180_000 }, async () => {
    const before = await chain.nextBatchId();
    startAnchoring({ batchSize: 200, intervalMs: 200 });
    const head = (await fixture.store.headLsn());

    const port = anvil!.port;
    await anvil!.stop();
    anvil = undefined;
    const log = await fixture.appendGovernance(10, 40); // 420 events while the chain is unreachable
    // Batches are closed and stored meanwhile; none can be sent.
    await waitFor(async () => (await storedBatches(fixture.db)).length >= 2, 30_000, () => 'no batch was stored while the chain was down');

    anvil = await startAnvil({ port, stateFile: path.join(dataDir, 'anvil-state.json') });
    await anchoredThrough(log.length);

    const batches = await chainBatches();
    expect(batches.length).toBeGreaterThan(before);
    expect(batches[0]!.fromLsn).toBe(1);
    for (let i = 1; i < batches.length; i += 1) expect(batches[i]!.fromLsn).toBe(batches[i - 1]!.toLsn + 1);
    expect(batches.at(-1)!.toLsn).toBe(log.length);
    expect(log.length).toBe(head + 420);
  });
});
