// One stream as an auditor sees it: each event as recorded, decoded, with its leaf recomputed from the log,
// the batch holding it and its Merkle proof, and whether the proof leads to the root the CHAIN holds for
// that batch (checked off-chain: rootFromProof).
import { decodeEvent } from '../../../events-schema/index.ts';
import { leafOfEvent, toHex, type Bytes32 } from '../../../events-schema/leaf.ts';
import type { AnchorChain } from '../../../ports/anchor-chain.ts';
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';
import type { SqlDatabase } from '../../../ports/sql.ts';
import { rootFromProof, sameBytes } from '../merkle-tree.ts';
import { batchHolding } from '../queries.ts';
import { createBatchProofs, proofBytes } from './batch-proofs.ts';

const PAGE = 1000;

export type StreamEventProof = {
  lsn: number;
  revision: number;
  type: string;
  eventId: string;
  /** The decoded event data, or null with `decodeError` when the stored bytes no longer decode. */
  data: Record<string, unknown> | null;
  decodeError?: string;
  /** Recomputed from the event as the log holds it now. */
  leaf: `0x${string}`;
  status: 'anchored' | 'pending';
  batchId: number | null;
  /** The chain's root of the batch. */
  root: `0x${string}` | null;
  proof: `0x${string}`[] | null;
  /** rootFromProof(leaf, proof) equals the chain's root; null while pending. */
  verifiesOffChain: boolean | null;
};

export type StreamProofs = { streamId: string; contract: string; events: StreamEventProof[] };

export async function streamProofs(options: {
  db: SqlDatabase;
  eventStore: Pick<EventStore, 'readStream'>;
  chain: Pick<AnchorChain, 'batch' | 'contractAddress'>;
  streamId: string;
}): Promise<StreamProofs> {
  const { db, chain, streamId } = options;
  const proofs = createBatchProofs(db);
  const chainRoots = new Map<number, Bytes32 | null>();
  const chainRoot = async (batchId: number) => {
    if (!chainRoots.has(batchId)) chainRoots.set(batchId, (await chain.batch(batchId))?.root ?? null);
    return chainRoots.get(batchId) ?? null;
  };

  const events: StreamEventProof[] = [];
  for await (const event of streamEvents(options.eventStore, streamId)) {
    const leaf = leafOfEvent(event);
    const batch = await batchHolding(db, event.lsn);
    const described = { lsn: event.lsn, revision: event.revision, type: event.type, eventId: event.eventId, ...decoded(event), leaf: toHex(leaf) };
    if (!batch || batch.status !== 'anchored') {
      events.push({ ...described, status: 'pending', batchId: batch?.batchId ?? null, root: null, proof: null, verifiesOffChain: null });
      continue;
    }
    const proof = await proofs.proofOf(batch, event.lsn);
    const root = await chainRoot(batch.batchId);
    events.push({
      ...described,
      status: 'anchored',
      batchId: batch.batchId,
      root: root ? toHex(root) : null,
      proof,
      verifiesOffChain: root !== null && sameBytes(rootFromProof(leaf, proofBytes(proof)), root),
    });
  }
  return { streamId, contract: chain.contractAddress, events };
}

async function* streamEvents(eventStore: Pick<EventStore, 'readStream'>, streamId: string): AsyncGenerator<RecordedEvent> {
  for (let fromRevision = 0; ; ) {
    const { events } = await eventStore.readStream(streamId, { fromRevision, limit: PAGE });
    yield* events;
    const last = events.at(-1);
    if (!last || events.length < PAGE) return;
    fromRevision = last.revision + 1;
  }
}

function decoded(event: RecordedEvent): { data: Record<string, unknown> | null; decodeError?: string } {
  try {
    return { data: { ...decodeEvent(event.data).data } as Record<string, unknown> };
  } catch (error) {
    return { data: null, decodeError: error instanceof Error ? error.message : String(error) };
  }
}
