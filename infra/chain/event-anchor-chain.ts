// AnchorChain (ports/anchor-chain.ts) over ethers v6: one EventAnchor contract, one signer.
//
// The provider is built with a static network once the chain has answered eth_chainId: ethers then never
// re-detects the network, so while the chain is down calls fail fast instead of retrying detection in the
// background. The signer is a NonceManager (anvil's automine and ethers collide nonces otherwise) whose pending
// nonce is read afresh before each commit (nonce.ts says why), with ethers' request cache off: it would answer
// that read with a count up to 250 ms old.
import { Contract, getAddress, JsonRpcProvider, Network, NonceManager, Wallet, type TransactionReceipt } from 'ethers';
import { fromHex32, toHex } from '../../events-schema/leaf.ts';
import type { AnchorChain, AnchoredBatch, CommitReceipt, VerifyEventArgs } from '../../ports/anchor-chain.ts';
import { decodeContractError } from './anchor-contract-error.ts';
import { eventAnchorInterface } from './event-anchor-artifact.ts';
import { forgetNonce, freshNonce } from './nonce.ts';
import { waitForReceipt } from './receipts.ts';
import { rpcChainId } from './rpc-chain-id.ts';

export type ChainConnection = { provider: JsonRpcProvider; signer: NonceManager; chainId: bigint };

export type ChainConnectionOptions = { rpcUrl: string; privateKey: string; pollingIntervalMs?: number };

/** Asks the chain for its id once, then builds a provider pinned to that network and a nonce-managed signer. */
export async function connectChain(options: ChainConnectionOptions): Promise<ChainConnection> {
  let chainId: bigint;
  try {
    chainId = await rpcChainId(options.rpcUrl, 10_000);
  } catch (error) {
    throw new Error(`the chain at ${options.rpcUrl} does not answer eth_chainId: ${(error as Error).message}`, { cause: error });
  }
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(options.rpcUrl, network, {
    staticNetwork: network,
    pollingInterval: options.pollingIntervalMs ?? 200,
    // ethers answers identical requests within 250 ms from a cache: a nonce re-read right after a failed send
    // would get the stale count.
    cacheTimeout: -1,
  });
  const signer = new NonceManager(new Wallet(options.privateKey, provider));
  return { provider, signer, chainId };
}

/** The chain owns the connection: close() destroys its provider. */
export type EventAnchorChainOptions = ChainConnection & {
  contractAddress: string;
  /** How long commitBatch waits for its receipt before giving up (the transaction may still be mined). */
  receiptTimeoutMs?: number;
  /**
   * Blocks a commit must have under it (its own included) before commitBatch resolves: a batch counts as
   * anchored only then. Default 1 (the receipt alone), right for anvil, which never reorganises.
   */
  confirmations?: number;
};

/** ANCHOR_CONFIRMATIONS when unset: 1 on a local development chain (31337), 3 on any other. */
export function defaultConfirmations(chainId: bigint): number {
  return chainId === 31337n ? 1 : 3;
}

export function createEventAnchorChain(options: EventAnchorChainOptions): AnchorChain {
  const { provider, signer, chainId } = options;
  const contract = new Contract(options.contractAddress, eventAnchorInterface, signer);
  const receiptTimeoutMs = options.receiptTimeoutMs ?? 120_000;
  const confirmations = options.confirmations ?? 1;

  return {
    contractAddress: getAddress(options.contractAddress),

    async chainId() {
      return chainId;
    },

    async nextBatchId() {
      return Number(await contract.getFunction('nextBatchId').staticCall());
    },

    async batch(batchId) {
      const [root, fromLsn, toLsn] = (await contract.getFunction('batch').staticCall(batchId)) as [string, bigint, bigint];
      if (/^0x0+$/.test(root)) return null;
      return { batchId, fromLsn: Number(fromLsn), toLsn: Number(toLsn), root: fromHex32(root, 'batch root') };
    },

    async commitBatch(batch: AnchoredBatch): Promise<CommitReceipt> {
      const call = `commitBatch(${batch.batchId}, ${batch.fromLsn}..${batch.toLsn})`;
      let receipt: TransactionReceipt;
      try {
        // Commits go one at a time (batch n+1 only after n): re-reading the pending nonce each time costs one call
        // and survives a chain that restarted from a state a little older than this process remembers.
        await freshNonce(signer);
        const tx = await contract.getFunction('commitBatch').send(batch.batchId, batch.fromLsn, batch.toLsn, toHex(batch.root));
        receipt = await waitForReceipt(provider, tx.hash, { timeoutMs: receiptTimeoutMs, pollMs: provider.pollingInterval, confirmations });
      } catch (error) {
        forgetNonce(signer);
        throw decodeContractError(error, eventAnchorInterface, call) ?? error;
      }
      if (receipt.status !== 1) throw new Error(`${call}: transaction ${receipt.hash} was mined but reverted`);
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    },

    async verifyEvent(args: VerifyEventArgs) {
      return (await contract.getFunction('verifyEvent').staticCall(
        args.batchId,
        args.lsn,
        toHex(args.streamHash),
        toHex(args.eventId),
        toHex(args.payloadHash),
        args.proof.map((node) => toHex(node)),
      )) as boolean;
    },

    async close() {
      provider.destroy();
    },
  };
}
