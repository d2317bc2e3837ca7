// Leaves of a replayed log, as fast as the one leaf encoding (events-schema/leaf.ts) allows: bytes only,
// no hex, and each stream's hash computed once while it stays in a bounded cache.
import { eventIdBytes32, leafOf, payloadHashOf, streamHashOf, type Bytes32, type LeafSource } from '../../../events-schema/leaf.ts';

const DEFAULT_CACHED_STREAMS = 100_000;

export type LeafHasher = (event: LeafSource) => Bytes32;

export function createLeafHasher(cachedStreams = DEFAULT_CACHED_STREAMS): LeafHasher {
  const streamHashes = new Map<string, Bytes32>();
  return (event) => {
    let streamHash = streamHashes.get(event.streamId);
    if (!streamHash) {
      streamHash = streamHashOf(event.streamId);
      if (streamHashes.size >= cachedStreams) streamHashes.clear();
      streamHashes.set(event.streamId, streamHash);
    }
    return leafOf({ lsn: event.lsn, streamHash, eventId: eventIdBytes32(event.eventId), payloadHash: payloadHashOf(event.data) });
  };
}
