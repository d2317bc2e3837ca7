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
