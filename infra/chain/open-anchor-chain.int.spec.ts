// openAnchorChain against a real anvil and a real PostgreSQL: which contract a process anchors to.
import { Wallet } from 'ethers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.ts';
import { startAnvil, type Anvil } from '../local/anvil.ts';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import { migrateChain, rememberedDeployment } from './deployments.ts';
import { openAnchorChain } from './open-anchor-chain.ts';
import { rpcChainId } from './rpc-chain-id.ts';

describe('openAnchorChain', () => {
  let anvil: Anvil;
  let database: TestDatabase;
  let db: Database;
  const opened: AnchorChain[] = [];

  const open = async (options: { contractAddress?: string; rpcUrl?: string; withoutDb?: boolean } = {}) => {
    const chain = await openAnchorChain({
      rpcUrl: options.rpcUrl ?? anvil.rpcUrl,
      privateKey: anvil.devPrivateKeys[0]!,
      ...(options.withoutDb ? {} : { db }),
      ...(options.contractAddress ? { contractAddress: options.contractAddress } : {}),
    });
    opened.push(chain);
    return chain;
  };

  /** Transactions sent by the dev account: a deployment is one more. */
  const sentTransactions = async () => {
    const response = await fetch(anvil.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionCount', params: [new Wallet(anvil.devPrivateKeys[0]!).address, 'latest'] }),
    });
    return Number(((await response.json()) as { result: string }).result);
  };

  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });
  beforeEach(async () => {
    database = await createTestDatabase('proofline_chain');
    db = openDatabase(database.url);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((chain) => chain.close()));
    await db.close();
    await database.drop();
  });

  it('deploys EventAnchor once and remembers it in PostgreSQL: the next open uses it without deploying', async () => {
    const before = await sentTransactions();
    const first = await open();
    expect(await sentTransactions()).toBe(before + 1);
    expect(await first.nextBatchId()).toBe(1);
    const remembered = await rememberedDeployment(db, anvil.chainId);
    expect(remembered?.address).toBe(first.contractAddress);

    const second = await open();
    expect(second.contractAddress).toBe(first.contractAddress);
    expect(await sentTransactions()).toBe(before + 1);
  });

  it('lets processes that open at the same time agree on one contract, deployed once', async () => {
    const before = await sentTransactions();
    const chains = await Promise.all([open(), open(), open()]);
    expect(await sentTransactions()).toBe(before + 1);
    const addresses = new Set(chains.map((chain) => chain.contractAddress));
    expect(addresses.size).toBe(1);
    expect((await rememberedDeployment(db, anvil.chainId))?.address).toBe(chains[0]!.contractAddress);
  });

  it('refuses a remembered contract that has no code on the chain (a fresh chain with the same id)', async () => {
    const remembered = await open();
    const freshChain = await startAnvil();
    try {
      expect(await rpcChainId(freshChain.rpcUrl)).toBe(anvil.chainId);
      await expect(open({ rpcUrl: freshChain.rpcUrl })).rejects.toThrow(
        new RegExp(`the EventAnchor remembered for chain 31337 at ${remembered.contractAddress} .*has no code.*ANCHOR_CONTRACT.*fresh database`),
      );
    } finally {
      await freshChain.stop();
    }
  });

  it('uses ANCHOR_CONTRACT when given, and refuses an address without code', async () => {
    const deployed = await open({ withoutDb: true });
    const given = await open({ contractAddress: deployed.contractAddress });
    expect(given.contractAddress).toBe(deployed.contractAddress);
    await migrateChain(db);
    expect(await rememberedDeployment(db, anvil.chainId)).toBeUndefined();
    const nowhere = Wallet.createRandom().address;
    await expect(open({ contractAddress: nowhere })).rejects.toThrow(`ANCHOR_CONTRACT ${nowhere} has no code on chain 31337`);
  });

  it('says which RPC URL does not answer', async () => {
    await expect(open({ rpcUrl: 'http://127.0.0.1:9' })).rejects.toThrow('the chain at http://127.0.0.1:9 does not answer eth_chainId');
  });
});
