// `proofline anchor` killed with SIGKILL after it stored a batch and sent its transaction, before the
// chain confirmed it — once with the transaction then mined, once with it lost — and restarted: the
// contract ends up with every LSN exactly once, no gap, no duplicate. Anvil's automine is switched off
// so the kill lands in that window every time, not by luck.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStoreFixture, type StoreFixture } from '../../infra/bus/kafka/test-support.ts';
import { openAnchorChain } from '../../infra/chain/index.ts';
import { startAnvil, type Anvil } from '../../infra/local/anvil.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import { storedBatches } from './batch-store.ts';
import { anvilRpc } from '../../infra/testing/anvil-rpc.ts';

let fixture: StoreFixture;
let anvil: Anvil;
let chain: AnchorChain;
let dataDir: string;
const processes = new Set<RunningProcess>();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-anchor-crash-'));
  fixture = await openStoreFixture();
  anvil = await startAnvil();
  // Deploys the contract and remembers it in the database the anchor processes will use.
  chain = await openAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey: anvil.devPrivateKeys[0]!, db: fixture.db, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await Promise.all([...processes].map((proc) => proc.stop('SIGKILL')));
  await chain?.close();
  await anvil?.stop();
  await fixture?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const rpc = (method: string, params: unknown[] = []) => anvilRpc(anvil.rpcUrl, method, params);

function startAnchorProcess(): RunningProcess {
  const proc = startProofline(['anchor'], {
    DATABASE_URL: fixture.url,
    CHAIN_RPC_URL: anvil.rpcUrl,
    CHAIN_PRIVATE_KEY: anvil.devPrivateKeys[0],
    KAFKA_BROKERS: undefined,
    ANCHOR_BATCH_SIZE: '100',
    ANCHOR_INTERVAL_MS: '200',
    PROOFLINE_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  });
  processes.add(proc);
  return proc;
}

async function kill(proc: RunningProcess) {
  await proc.stop('SIGKILL');
  processes.delete(proc);
}

/** Once the process has stored a batch and its transaction waits in the mempool. */
async function sentButUnconfirmed(proc: RunningProcess) {
  return waitFor(
    async () => {
      const pending = (await rpc('txpool_content')) as { pending: Record<string, unknown> };
      return (await storedBatches(fixture.db)).length > 0 && Object.keys(pending.pending).length > 0;
    },
    60_000,
    () => `no batch was sent\n${proc.output()}`,
  );
}

async function chainRanges(): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  for (let batchId = 1; batchId < (await chain.nextBatchId()); batchId += 1) {
    const batch = (await chain.batch(batchId))!;
    ranges.push([batch.fromLsn, batch.toLsn]);
  }
  return ranges;
}

describe('proofline anchor killed between storing a batch and its confirmation', () => {
  it('never commits a batch twice and never skips one, whether the transaction was mined or lost', { timeout: 240_000 }, async () => {
    await fixture.appendGovernance(10, 28); // 300 events
    await rpc('evm_setAutomine', [false]);

    // 1. Killed while its transaction is pending; the transaction is then mined anyway.
    let proc = startAnchorProcess();
    await sentButUnconfirmed(proc);
    await kill(proc);
    await rpc('evm_mine');
    expect(await chain.nextBatchId()).toBe(2);

    // 2. Killed while its transaction is pending; the transaction is then lost.
    proc = startAnchorProcess();
    await waitFor(
      async () => (await fixture.db.pool.query(`select 1 from anchor_batches where batch_id = 1 and status = 'anchored'`)).rowCount === 1,
      60_000,
      () => `batch 1 was not reconciled\n${proc.output()}`,
    );
    await sentButUnconfirmed(proc);
    await kill(proc);
    await rpc('anvil_dropAllTransactions');
    expect(await chain.nextBatchId()).toBe(2);

    // 3. Restarted with automine back on: it sends what was lost and anchors the rest.
    await rpc('evm_setAutomine', [true]);
    await fixture.appendGovernance(5, 18); // 100 more
    proc = startAnchorProcess();
    const head = await fixture.store.headLsn();
    await waitFor(
      async () => {
        const ranges = await chainRanges();
        return ranges.at(-1)?.[1] === head && (await storedBatches(fixture.db)).length === 0;
      },
      60_000,
      () => `anchoring did not reach LSN ${head}\n${proc.output()}`,
    );
    await kill(proc);

    const ranges = await chainRanges();
    expect(ranges[0]![0]).toBe(1);
    for (let i = 1; i < ranges.length; i += 1) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
    const { rows } = await fixture.db.pool.query<{ batch_id: string; from_lsn: string; to_lsn: string; status: string }>(
      'select batch_id, from_lsn, to_lsn, status from anchor_batches order by batch_id',
    );
    expect(rows.map((row) => [Number(row.from_lsn), Number(row.to_lsn)])).toEqual(ranges);
    expect(new Set(rows.map((row) => row.status))).toEqual(new Set(['anchored']));
  });
});
