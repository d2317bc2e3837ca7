// The event store contract against a real EventStoreDB / KurrentDB. vitest.config.ts includes this file
// only when EVENTSTORE_URL is set:
//   docker compose up -d eventstore && EVENTSTORE_URL=esdb://localhost:2113?tls=false npx vitest run --project int esdb
// (with AUTH_SECRET, WORKPLACE_PSEUDONYM_KEY and CHAIN_PRIVATE_KEY exported: Compose requires them for the
// whole file, README.md "Run it in containers").
//
// One server serves every test and cannot be wiped in between, so each fixture gets its own stream
// prefix (logFilter): its store numbers only its own streams, which makes its log start empty at LSN 1.
// Teardown closes the stores; the events stay on the server under a prefix nothing will use again
// (the compose service keeps its database in memory).
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventToAppend } from '../../../ports/event-store.ts';
import { eventStoreContract, type EventStoreFixture } from '../event-store.contract.ts';
import { connectEsdbEventStore, type EsdbEventStore } from './esdb-event-store.ts';

const url = process.env.EVENTSTORE_URL;
if (!url) throw new Error('esdb-event-store.esdb.int.spec.ts needs EVENTSTORE_URL (vitest.config.ts leaves it out otherwise)');
const serverUrl: string = url;

const uniquePrefix = () => `proofline-test-${randomUUID().replaceAll('-', '')}-`;

async function openFixture(): Promise<EventStoreFixture> {
  const logFilter = { streamPrefix: uniquePrefix() };
  const instances: EsdbEventStore[] = [];
  const open = async () => {
    const instance = await connectEsdbEventStore(serverUrl, { logFilter });
    instances.push(instance);
    return instance;
  };
  const store = await open();
  return {
    store,
    openAnother: open,
    async teardown() {
      await Promise.all(instances.map((instance) => instance.close()));
    },
  };
}

eventStoreContract('EventStoreDB', openFixture);

describe('EventStoreDB log filter', () => {
  const opened: EsdbEventStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  const open = async (streamPrefix: string, resumeFrom?: { lsn: number; logPosition: string }) => {
    const store = await connectEsdbEventStore(serverUrl, { logFilter: { streamPrefix }, ...(resumeFrom ? { resumeFrom } : {}) });
    opened.push(store);
    return store;
  };
  const anEvent = (): EventToAppend => ({ eventId: randomUUID(), type: 'Tested', data: Uint8Array.of(1), metadata: {} });

  it('gives each stream prefix its own log numbered from 1, and keeps the prefix out of the port', async () => {
    const [prefixA, prefixB] = [uniquePrefix(), uniquePrefix()];
    const [a, b] = [await open(prefixA), await open(prefixB)];

    await a.appendToStream('order-1', [anEvent(), anEvent()]);
    await b.appendToStream('order-1', [anEvent()]);
    await a.appendToStream('order-2', [anEvent()]);

    expect((await a.readAll({ fromLsn: 1 })).map((event) => [event.lsn, event.streamId, event.revision])).toEqual([
      [1, 'order-1', 0],
      [2, 'order-1', 1],
      [3, 'order-2', 0],
    ]);
    expect((await b.readAll({ fromLsn: 1 })).map((event) => [event.lsn, event.streamId])).toEqual([[1, 'order-1']]);
    expect([await a.headLsn(), await b.headLsn()]).toEqual([3, 1]);

    const client = EventStoreDBClient.connectionString(serverUrl);
    try {
      const physical = [];
      for await (const resolved of client.readStream(`${prefixA}order-1`, { fromRevision: START, direction: FORWARDS })) {
        physical.push([resolved.event?.type, resolved.event?.isJson]);
      }
      expect(physical).toEqual([
        ['Tested', false],
        ['Tested', false],
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('numbers the same way in a store opened later, which rebuilds the numbering from $all', async () => {
    const prefix = uniquePrefix();
    const first = await open(prefix);
    for (let i = 0; i < 5; i += 1) await first.appendToStream(`s-${i % 2}`, [anEvent(), anEvent()]);

    const later = await open(prefix);

    expect((await later.readAll({ fromLsn: 1 })).map((event) => [event.lsn, event.eventId])).toEqual(
      (await first.readAll({ fromLsn: 1 })).map((event) => [event.lsn, event.eventId]),
    );
    expect((await later.appendToStream('s-0', [anEvent()])).lastLsn).toBe(11);
  });

  it('resumed from a relay checkpoint (LSN and log position), numbers everything after it as a full store does', async () => {
    const prefix = uniquePrefix();
    const first = await open(prefix);
    for (let i = 0; i < 6; i += 1) await first.appendToStream(`s-${i % 3}`, [anEvent(), anEvent()]);
    const log = await first.readAll({ fromLsn: 1 });
    const checkpoint = log[4]!;
    expect(checkpoint.logPosition).toMatch(/^C:\d+\/P:\d+$/);

    const resumed = await open(prefix, { lsn: checkpoint.lsn, logPosition: checkpoint.logPosition! });

    expect((await resumed.readAll({ fromLsn: 6 })).map((event) => [event.lsn, event.eventId])).toEqual(
      log.slice(5).map((event) => [event.lsn, event.eventId]),
    );
    await expect(resumed.readAll({ fromLsn: 5 })).rejects.toThrow(/where this index resumed/);
    expect((await resumed.appendToStream('s-0', [anEvent()])).lastLsn).toBe(13);
  });
});
