// Waits for a transaction's receipt by polling eth_getTransactionReceipt with a deadline. ethers' own
// waitForTransaction / tx.wait() subscribe to blocks, and when the chain goes away meanwhile that subscription's
// failure surfaces as an unhandled rejection; here a failed poll simply rejects this call.
import type { Provider, TransactionReceipt } from 'ethers';

export async function waitForReceipt(provider: Provider, txHash: string, options: { timeoutMs: number; pollMs: number }): Promise<TransactionReceipt> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(txHash);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${txHash} within ${options.timeoutMs} ms (it may still be mined)`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
