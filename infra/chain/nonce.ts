// ethers' NonceManager.sendTransaction starts reading the pending nonce, then populates the transaction; when
// populating fails first (the chain is down, the call reverts in estimateGas), that read's rejection is never
// awaited and ends the process as an unhandled rejection. Reading the nonce before sending makes sendTransaction
// use a settled value; resetting first makes it a fresh read of the chain's pending count.
import { NonceManager, type Signer } from 'ethers';

export async function freshNonce(signer: Signer): Promise<void> {
  if (!(signer instanceof NonceManager)) return;
  signer.reset();
  try {
    await signer.getNonce('pending');
  } catch (error) {
    signer.reset(); // do not keep the rejected read
    throw error;
  }
}

/** After a failed send: the next one re-reads the pending nonce instead of counting on from this one. */
export function forgetNonce(signer: Signer): void {
  if (signer instanceof NonceManager) signer.reset();
}
