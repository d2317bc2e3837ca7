import type { Provider, TransactionReceipt } from 'ethers';
import { describe, expect, it } from 'vitest';
import { waitForReceipt } from './receipts.ts';

const HASH = `0x${'ab'.repeat(32)}`;

function providerAnswering(...answers: Array<TransactionReceipt | null | Error>): Provider & { calls: number } {
  const fake = {
    calls: 0,
    async getTransactionReceipt() {
      const answer = answers[Math.min(fake.calls, answers.length - 1)];
      fake.calls += 1;
      if (answer instanceof Error) throw answer;
      return answer ?? null;
    },
  };
  return fake as unknown as Provider & { calls: number };
}

describe('waitForReceipt', () => {
  it('polls until the receipt appears', async () => {
    const receipt = { hash: HASH, status: 1 } as TransactionReceipt;
    const provider = providerAnswering(null, null, receipt);
    await expect(waitForReceipt(provider, HASH, { timeoutMs: 5_000, pollMs: 1 })).resolves.toBe(receipt);
    expect(provider.calls).toBe(3);
  });

  it('rejects at once when the chain cannot be reached', async () => {
    const provider = providerAnswering(null, new Error('connect ECONNREFUSED 127.0.0.1:8545'));
    await expect(waitForReceipt(provider, HASH, { timeoutMs: 5_000, pollMs: 1 })).rejects.toThrow('ECONNREFUSED');
    expect(provider.calls).toBe(2);
  });

  it('gives up after its deadline, saying the transaction may still be mined', async () => {
    await expect(waitForReceipt(providerAnswering(null), HASH, { timeoutMs: 20, pollMs: 5 })).rejects.toThrow(
      `no receipt for ${HASH} within 20 ms (it may still be mined)`,
    );
  });
});

describe('waitForReceipt with confirmations', () => {
  it('waits until the receipt has that many blocks, its own included, and reads the receipt again each time', async () => {
    const receipt = { hash: HASH, status: 1, blockNumber: 10 } as TransactionReceipt;
    const heads = [10, 11, 11, 12];
    let headReads = 0;
    let receiptReads = 0;
    const provider = {
      async getTransactionReceipt() {
        receiptReads += 1;
        return receipt;
      },
      async getBlockNumber() {
        return heads[Math.min(headReads++, heads.length - 1)]!;
      },
    } as unknown as Provider;
    await expect(waitForReceipt(provider, HASH, { timeoutMs: 5_000, pollMs: 1, confirmations: 3 })).resolves.toBe(receipt);
    expect(headReads).toBe(4);
    expect(receiptReads).toBe(4);
  });

  it('waits anew when a reorganisation drops the receipt, and answers the receipt that got its confirmations', async () => {
    const first = { hash: HASH, status: 1, blockNumber: 10 } as TransactionReceipt;
    const again = { hash: HASH, status: 1, blockNumber: 12 } as TransactionReceipt;
    const receipts = [first, null, again, again];
    const heads = [10, 13, 14];
    let receiptReads = 0;
    let headReads = 0;
    const provider = {
      async getTransactionReceipt() {
        return receipts[Math.min(receiptReads++, receipts.length - 1)] ?? null;
      },
      async getBlockNumber() {
        return heads[Math.min(headReads++, heads.length - 1)]!;
      },
    } as unknown as Provider;
    await expect(waitForReceipt(provider, HASH, { timeoutMs: 5_000, pollMs: 1, confirmations: 3 })).resolves.toBe(again);
    expect(receiptReads).toBe(4);
  });
});
