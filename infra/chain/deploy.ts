// Deploys a fresh EventAnchor from the committed artifact.
import { ContractFactory, type BaseContract, type Signer } from 'ethers';
import { eventAnchorArtifact, eventAnchorInterface } from './event-anchor-artifact.ts';
import { forgetNonce, freshNonce } from './nonce.ts';
import { waitForReceipt } from './receipts.ts';

export type Deployment = { address: string; txHash: string; blockNumber: number };

/** Deploys EventAnchor(admin, anchorer) and waits for one confirmation. */
export async function deployEventAnchor(
  signer: Signer,
  roles: { admin: string; anchorer: string },
  options: { receiptTimeoutMs?: number } = {},
): Promise<Deployment> {
  const factory = new ContractFactory(eventAnchorInterface, eventAnchorArtifact.bytecode, signer);
  let contract: BaseContract;
  try {
    await freshNonce(signer);
    contract = await factory.deploy(roles.admin, roles.anchorer);
  } catch (error) {
    forgetNonce(signer);
    throw error;
  }
  const tx = contract.deploymentTransaction();
  if (!tx || !signer.provider) throw new Error('EventAnchor deployment needs a signer connected to a provider');
  const receipt = await waitForReceipt(signer.provider, tx.hash, { timeoutMs: options.receiptTimeoutMs ?? 120_000, pollMs: 100 });
  if (receipt.status !== 1 || !receipt.contractAddress) throw new Error(`EventAnchor deployment ${tx.hash} was mined but failed`);
  return { address: receipt.contractAddress, txHash: tx.hash, blockNumber: receipt.blockNumber };
}
