// The identity of an EventStoreDB store (EventStore.storeId): a UUID kept in the metadata of a marker stream,
// `<streamPrefix>proofline-store`. Metadata lives in the `$$`-prefixed metastream, a system stream, so the
// marker never enters the numbered log (lsn-index.ts drops `$` streams and types). The first process to
// open the store writes it with expected revision "no stream"; every other one, then and later, reads it.
import { randomUUID } from 'node:crypto';
import { NO_STREAM, WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client';
import type { LogFilter } from './lsn-index.ts';

const MARKER_STREAM = 'proofline-store';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The marker stream of a (possibly prefixed) log. */
export function storeMarkerStream(filter: LogFilter): string {
  return `${filter.streamPrefix ?? ''}${MARKER_STREAM}`;
}

/** Reads the store's id, creating it if this is the first process to ask. */
export async function esdbStoreIdentity(client: EventStoreDBClient, filter: LogFilter): Promise<string> {
  const stream = storeMarkerStream(filter);
  const existing = await readStoreId(client, stream);
  if (existing) return existing;
  const storeId = randomUUID();
  try {
    await client.setStreamMetadata(stream, { storeId }, { expectedRevision: NO_STREAM });
    return storeId;
  } catch (error) {
    // Another process created it between our read and our write: theirs stands.
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    const created = await readStoreId(client, stream);
    if (!created) throw new Error(`the metadata of ${stream} exists but holds no storeId`, { cause: error });
    return created;
  }
}

async function readStoreId(client: EventStoreDBClient, stream: string): Promise<string | undefined> {
  const { metadata } = await client.getStreamMetadata<{ storeId?: unknown }>(stream);
  const storeId = metadata?.storeId;
  if (storeId === undefined) return undefined;
  if (typeof storeId !== 'string' || !UUID.test(storeId)) {
    throw new Error(`the metadata of ${stream} holds an invalid storeId ${JSON.stringify(storeId)}: the store's identity is damaged`);
  }
  return storeId;
}
