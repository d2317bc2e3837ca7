// The anchoring contract asked over its chain's JSON-RPC from the browser: eth_chainId, and eth_call of the
// two views of its fixed public face (ARCHITECTURE invariant 5), encoded here from their signatures.
import { Interface } from 'ethers';
import type { Hex, LeafFields } from './leaf.ts';

const anchor = new Interface([
  'function batch(uint64 batchId) view returns (bytes32 root, uint64 fromLsn, uint64 toLsn)',
  'function verifyEvent(uint64 batchId, uint64 lsn, bytes32 streamHash, bytes32 eventId, bytes32 payloadHash, bytes32[] proof) view returns (bool)',
]);

export class RpcError extends Error {}

async function rpc(rpcUrl: string, method: string, params: unknown[]): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  } catch (error) {
    throw new RpcError(`${rpcUrl} could not be reached (${(error as Error).message})`);
  }
  const body = (await response.json().catch(() => ({}))) as { result?: unknown; error?: { message?: string } };
  if (body.error || body.result === undefined) throw new RpcError(`${method}: ${body.error?.message ?? `no result (HTTP ${response.status})`}`);
  return body.result;
}

export async function chainIdAt(rpcUrl: string): Promise<string> {
  return BigInt(String(await rpc(rpcUrl, 'eth_chainId', []))).toString();
}

async function call(rpcUrl: string, contract: string, name: 'batch' | 'verifyEvent', args: unknown[]) {
  const data = anchor.encodeFunctionData(name, args);
  const result = String(await rpc(rpcUrl, 'eth_call', [{ to: contract, data }, 'latest']));
  return anchor.decodeFunctionResult(name, result);
}

/** The batch as the contract stores it; a root of zero: not committed. */
export async function batchOnChain(rpcUrl: string, contract: string, batchId: number): Promise<{ root: Hex; fromLsn: number; toLsn: number }> {
  const [root, fromLsn, toLsn] = await call(rpcUrl, contract, 'batch', [batchId]);
  return { root: String(root), fromLsn: Number(fromLsn), toLsn: Number(toLsn) };
}

export async function verifyEventOnChain(rpcUrl: string, contract: string, batchId: number, fields: LeafFields, proof: readonly Hex[]): Promise<boolean> {
  const [verified] = await call(rpcUrl, contract, 'verifyEvent', [batchId, fields.lsn, fields.streamHash, fields.eventId, fields.payloadHash, proof]);
  return Boolean(verified);
}
