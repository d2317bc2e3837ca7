// Reading single EventStoreDB streams. Every read is consumed to its end, even when only its first event
// matters: client.dispose() waits for each gRPC read it started to finish, and one left half-read never does.
import {
  BACKWARDS,
  END,
  FORWARDS,
  StreamNotFoundError,
  type EventStoreDBClient,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { toSafeNumber } from './esdb-mapping.ts';

/** Events from a revision on (at most `limit`), or null when the stream does not exist. */
export async function readStreamEvents(
  client: EventStoreDBClient,
  stream: string,
  fromRevision: number,
  limit?: number,
): Promise<EsdbRecordedEvent[] | null> {
  const events: EsdbRecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: BigInt(fromRevision), maxCount: limit, direction: FORWARDS })) {
      if (resolved.event) events.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return null;
    throw readFailed(stream, error);
  }
  return events;
}

/** The stream's last event, undefined when the stream does not exist. */
export async function lastEventOf(client: EventStoreDBClient, stream: string): Promise<EsdbRecordedEvent | undefined> {
  let last: EsdbRecordedEvent | undefined;
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 })) {
      last ??= resolved.event;
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw readFailed(stream, error);
  }
  return last;
}

/** Which of these (lower-case) event ids the stream holds from `fromRevision` on, and at which revisions. */
export async function findEventIds(
  client: EventStoreDBClient,
  stream: string,
  eventIds: readonly string[],
  fromRevision: number,
): Promise<{ eventId: string; revision: number }[]> {
  const wanted = new Set(eventIds);
  const found: { eventId: string; revision: number }[] = [];
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: BigInt(fromRevision), direction: FORWARDS })) {
      const id = resolved.event?.id.toLowerCase();
      if (resolved.event && id !== undefined && wanted.has(id)) {
        found.push({ eventId: id, revision: toSafeNumber(resolved.event.revision, `revision in ${stream}`) });
      }
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw readFailed(stream, error);
  }
  return found;
}

function readFailed(stream: string, error: unknown): Error {
  return new Error(`EventStoreDB read of stream ${stream} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
