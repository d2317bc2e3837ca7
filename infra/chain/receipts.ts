// Waits for a transaction's receipt by polling eth_getTransactionReceipt with a deadline. ethers' own
// waitForTransaction / tx.wait() subscribe to blocks, and when the chain goes away meanwhile that subscription's
// failure surfaces as an unhandled rejection; here a failed poll simply rejects this call.
import type { Provider, TransactionReceipt } from 'ethers';

// With `confirmations` above 1 it also waits for that many blocks (the receipt's own included), reading the
// receipt again each time: a receipt dropped by a reorganisation is waited for anew.
export async function waitForReceipt(provider: Provider, txHash: string, options: { timeoutMs: number; pollMs: number; confirmations?: number }): Promise<TransactionReceipt> {
  const deadline = Date.now() + options.timeoutMs;
  const confirmations = options.confirmations ?? 1;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(txHash);
    if (receipt && (confirmations <= 1 || (await provider.getBlockNumber()) - receipt.blockNumber + 1 >= confirmations)) return receipt;
    if (Date.now() > deadline) {
      const wanted = confirmations > 1 ? ` with ${confirmations} confirmations` : '';
      throw new Error(`no receipt for ${txHash}${wanted} within ${options.timeoutMs} ms (it may still be mined)`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
