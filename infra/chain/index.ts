// The chain adapter: AnchorChain (ports/anchor-chain.ts) over ethers v6 and the EventAnchor contract.
export { AnchorContractError, decodeContractError } from './anchor-contract-error.ts';
export { deployEventAnchor, type Deployment } from './deploy.ts';
export {
  CHAIN_MIGRATION_GROUP,
  chainMigrations,
  EVENT_ANCHOR_CONTRACT,
  migrateChain,
  rememberDeployment,
  rememberedDeployment,
  type RememberedDeployment,
  withDeploymentLock,
} from './deployments.ts';
export { eventAnchorArtifact, eventAnchorInterface } from './event-anchor-artifact.ts';
export {
  connectChain,
  createEventAnchorChain,
  type ChainConnection,
  type ChainConnectionOptions,
  type EventAnchorChainOptions,
} from './event-anchor-chain.ts';
export { openAnchorChain, type OpenAnchorChainOptions } from './open-anchor-chain.ts';
export { rpcChainId } from './rpc-chain-id.ts';
