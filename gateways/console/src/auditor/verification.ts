// The auditor's check of one event, step by step, each step's values shown so a person can follow it: the
// payload and stream hashes recomputed from the stored event (when the auditor may read it), the leaf from
// them, the root from the leaf and the proof, then the chain's own answers. Each step uses what the
// earlier ones computed, never the server's claim, so the first red step is where the story breaks.
import { eventIdBytes32, leafOf, payloadHashOf, rootFromProof, streamHashOf, base64Bytes, type Hex, type LeafFields } from './leaf.ts';

/** `GET /v1/audit/events/:eventId/proof` (200). */
export type EventProof = {
  eventId: string;
  lsn: number;
  batchId: number;
  leaf: Hex;
  streamHash: Hex;
  payloadHash: Hex;
  proof: Hex[];
  root: Hex;
  contract: string;
  chainId: string | null;
};

/** `GET /v1/audit/events/:eventId`. */
export type StoredEvent = { eventId: string; streamId: string; lsn: number; type: string; bytes: string };

export type StepStatus = 'pass' | 'fail' | 'skip';
export type StepId = 'payload' | 'stream' | 'leaf' | 'root' | 'chain-root' | 'contract';
export type Step = { id: StepId; title: string; status: StepStatus; detail: string; values: [string, string][] };

export type ChainReader = {
  chainId(rpcUrl: string): Promise<string>;
  batch(rpcUrl: string, contract: string, batchId: number): Promise<{ root: Hex; fromLsn: number; toLsn: number }>;
  verifyEvent(rpcUrl: string, contract: string, batchId: number, fields: LeafFields, proof: readonly Hex[]): Promise<boolean>;
};

export type VerificationInput = {
  eventId: string;
  proof: EventProof;
  /** The stored event, or why it could not be read (no auditor credential). */
  event: StoredEvent | { unavailable: string };
  /** The chain's JSON-RPC URL, or null: the chain steps are not run. */
  rpcUrl: string | null;
};

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const verdict = (ok: boolean): StepStatus => (ok ? 'pass' : 'fail');

export async function verifyEvent(input: VerificationInput, chain: ChainReader): Promise<Step[]> {
  const { proof } = input;
  const steps: Step[] = [];
  const stored = 'unavailable' in input.event ? undefined : input.event;
  const why = 'unavailable' in input.event ? input.event.unavailable : '';

  let payloadHash = proof.payloadHash;
  let streamHash = proof.streamHash;
  if (stored) {
    let computed: Hex | undefined;
    let problem = '';
    try {
      computed = payloadHashOf(base64Bytes(stored.bytes));
    } catch (error) {
      problem = (error as Error).message;
    }
    const sameEvent = same(stored.eventId, input.eventId) && stored.lsn === proof.lsn;
    if (computed) payloadHash = computed;
    steps.push({
      id: 'payload',
      title: 'Payload hash, from the stored event',
      status: verdict(computed !== undefined && same(computed, proof.payloadHash) && sameEvent),
      detail: problem || (sameEvent ? `keccak256 of the ${stored.type} event's Avro body` : `the stored event is LSN ${stored.lsn}, the proof says ${proof.lsn}`),
      values: [['computed', computed ?? '—'], ['proof says', proof.payloadHash]],
    });
    streamHash = streamHashOf(stored.streamId);
    steps.push({
      id: 'stream',
      title: 'Stream hash, from the stream id',
      status: verdict(same(streamHash, proof.streamHash)),
      detail: `keccak256("${stored.streamId}")`,
      values: [['computed', streamHash], ['proof says', proof.streamHash]],
    });
  } else {
    steps.push({ id: 'payload', title: 'Payload hash, from the stored event', status: 'skip', detail: `not checked: ${why}; the proof's payload hash is used`, values: [['proof says', proof.payloadHash]] });
    steps.push({ id: 'stream', title: 'Stream hash, from the stream id', status: 'skip', detail: `not checked: ${why}; the proof's stream hash is used`, values: [['proof says', proof.streamHash]] });
  }

  const fields: LeafFields = { lsn: proof.lsn, streamHash, eventId: eventIdBytes32(input.eventId), payloadHash };
  const leaf = leafOf(fields);
  steps.push({
    id: 'leaf',
    title: 'Leaf',
    status: verdict(same(leaf, proof.leaf)),
    detail: `keccak256(keccak256(abi.encode(lsn ${proof.lsn}, streamHash, eventId, payloadHash)))`,
    values: [['computed', leaf], ['proof says', proof.leaf]],
  });

  const root = rootFromProof(leaf, proof.proof);
  steps.push({
    id: 'root',
    title: 'Merkle root, walking the proof',
    status: verdict(same(root, proof.root)),
    detail: `${proof.proof.length} sibling${proof.proof.length === 1 ? '' : 's'}, each pair hashed smaller first`,
    values: [['computed', root], ['proof says', proof.root]],
  });

  if (!input.rpcUrl) {
    const detail = 'not checked: no JSON-RPC URL for the chain (enter one above)';
    steps.push({ id: 'chain-root', title: `Root of batch ${proof.batchId} on chain`, status: 'skip', detail, values: [] });
    steps.push({ id: 'contract', title: "The contract's verifyEvent", status: 'skip', detail, values: [] });
    return steps;
  }
  const rpcUrl = input.rpcUrl;
  try {
    const chainId = await chain.chainId(rpcUrl);
    const onChain = await chain.batch(rpcUrl, proof.contract, proof.batchId);
    const inRange = proof.lsn >= onChain.fromLsn && proof.lsn <= onChain.toLsn;
    const rightChain = proof.chainId === null || proof.chainId === chainId;
    steps.push({
      id: 'chain-root',
      title: `Root of batch ${proof.batchId} on chain`,
      status: verdict(rightChain && inRange && same(onChain.root, root)),
      detail: !rightChain
        ? `the RPC serves chain ${chainId}, the proof names chain ${proof.chainId}`
        : `batch(${proof.batchId}) on ${proof.contract}, chain ${chainId}: LSN ${onChain.fromLsn}–${onChain.toLsn}${inRange ? '' : `, which does not hold LSN ${proof.lsn}`}`,
      values: [['on chain', onChain.root], ['computed', root]],
    });
  } catch (error) {
    steps.push({ id: 'chain-root', title: `Root of batch ${proof.batchId} on chain`, status: 'fail', detail: (error as Error).message, values: [] });
  }
  try {
    const verified = await chain.verifyEvent(rpcUrl, proof.contract, proof.batchId, fields, proof.proof);
    steps.push({
      id: 'contract',
      title: "The contract's verifyEvent",
      status: verdict(verified),
      detail: `eth_call verifyEvent(batch ${proof.batchId}, LSN ${proof.lsn}, …, proof) with the values computed here`,
      values: [['answer', String(verified)]],
    });
  } catch (error) {
    steps.push({ id: 'contract', title: "The contract's verifyEvent", status: 'fail', detail: (error as Error).message, values: [] });
  }
  return steps;
}
