// Opens the AnchorChain a process anchors to: ANCHOR_CONTRACT when given, else the EventAnchor remembered in
// PostgreSQL for this chain, else a fresh deployment that is then remembered (README.md, Configuration).
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import { deployEventAnchor } from './deploy.ts';
import { migrateChain, rememberDeployment, rememberedDeployment, withDeploymentLock } from './deployments.ts';
import { connectChain, createEventAnchorChain, defaultConfirmations, type ChainConnection } from './event-anchor-chain.ts';

export type OpenAnchorChainOptions = {
  rpcUrl: string;
  privateKey: string;
  /** Use this contract (ANCHOR_CONTRACT); it must have code on the chain. */
  contractAddress?: string;
  /** Remembers the contract per chain; without it (and without contractAddress) every open deploys anew. */
  db?: Database;
  logger?: Logger;
  receiptTimeoutMs?: number;
  /** ANCHOR_CONFIRMATIONS; omitted: defaultConfirmations of the chain. */
  confirmations?: number;
};

export async function openAnchorChain(options: OpenAnchorChainOptions): Promise<AnchorChain> {
  const connection = await connectChain(options);
  try {
    const contractAddress = await resolveContract(connection, options);
    return createEventAnchorChain({
      ...connection,
      contractAddress,
      confirmations: options.confirmations ?? defaultConfirmations(connection.chainId),
      ...(options.receiptTimeoutMs ? { receiptTimeoutMs: options.receiptTimeoutMs } : {}),
    });
  } catch (error) {
    connection.provider.destroy();
    throw error;
  }
}

async function resolveContract(connection: ChainConnection, options: OpenAnchorChainOptions): Promise<string> {
  const { chainId } = connection;
  if (options.contractAddress) {
    if (!(await hasCode(connection, options.contractAddress))) {
      throw new Error(`ANCHOR_CONTRACT ${options.contractAddress} has no code on chain ${chainId} (${options.rpcUrl}): wrong address or wrong chain`);
    }
    return options.contractAddress;
  }
  const { db } = options;
  if (!db) return (await deploy(connection, options)).address;
  return withDeploymentLock(db, chainId, async () => {
    await migrateChain(db);
    const remembered = await rememberedDeployment(db, chainId);
    if (remembered) {
      if (!(await hasCode(connection, remembered.address))) {
        throw new Error(
          `the EventAnchor remembered for chain ${chainId} at ${remembered.address} (deployed in ${remembered.txHash}) has no code on ` +
            `${options.rpcUrl}: this chain is not the one the stored batches were anchored on (a reset dev chain?). ` +
            'Point CHAIN_RPC_URL at that chain, set ANCHOR_CONTRACT to a contract on this one, or start from a fresh database.',
        );
      }
      return remembered.address;
    }
    const deployment = await deploy(connection, options);
    // Another process without the lock (an older version, a manual insert) may have won: use what is recorded.
    const recorded = await rememberDeployment(db, { chainId, address: deployment.address, txHash: deployment.txHash });
    if (recorded.address !== deployment.address) {
      options.logger?.warn({ chainId: chainId.toString(), address: recorded.address, unused: deployment.address }, 'EventAnchor already recorded; using it');
    }
    return recorded.address;
  });
}

async function deploy(connection: ChainConnection, options: OpenAnchorChainOptions) {
  const anchorer = await connection.signer.getAddress();
  const deployment = await deployEventAnchor(connection.signer, { admin: anchorer, anchorer });
  options.logger?.info({ chainId: connection.chainId.toString(), address: deployment.address, txHash: deployment.txHash }, 'deployed EventAnchor');
  return deployment;
}

async function hasCode(connection: ChainConnection, address: string): Promise<boolean> {
  return (await connection.provider.getCode(address)) !== '0x';
}
