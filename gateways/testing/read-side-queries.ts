// Queries the end-to-end specs ask of a gateway whose read side is fed from elsewhere (Kafka): each waits
// for the read model to hold the whole log as it is now, through the route's own `consistentWith`. And what
// else those specs share: stopping the read side, the check that every event went through Kafka and nothing
// was parked, and wallets' sessions renewed each day of the gateway's clock.
import { expect } from 'vitest';
import { HEADERS, kafkaTopicsForEventTypes } from '../../infra/bus/kafka/index.ts';
import { readTopics, type TopicMessage } from '../../infra/bus/kafka/test-support.ts';
import { testKafkaBrokers } from '../../infra/testing/kafka.ts';
import type { Projection } from '../../projections/projection.ts';
import { listParked, waitForWatermark } from '../../projections/runtime/index.ts';
import type { KafkaReadSide } from '../../projections/testing/kafka-read-side.ts';
import type { Credential, HttpFixture } from './http-fixture.ts';

export function readSideQueries(fixture: Pick<HttpFixture, 'app' | 'eventStore' | 'db'>, projection: string) {
  const queries = {
    /** Waits until the projection's watermark reaches the head of the log; answers that head. */
    async caughtUp(): Promise<number> {
      const head = await fixture.eventStore.headLsn();
      await waitForWatermark(fixture.db, projection, head, { timeoutMs: 30_000 });
      return head;
    },
    /** A query answered once the read model holds the whole log (consistentWith = the head); its JSON body. */
    async query(url: string) {
      const head = await fixture.eventStore.headLsn();
      const response = await fixture.app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}consistentWith=${head}` });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      const body = response.json();
      expect(body.asOfLsn).toBeGreaterThanOrEqual(head);
      return body;
    },
    /**
     * Every item under `key` of a paged query, page by page (`limit` each, the cursor URL-encoded), each page
     * answered once the read model holds the whole log; at most `maxPages` pages.
     */
    async pages<T>(url: string, key: string, limit: number, maxPages = 200): Promise<T[]> {
      const all: T[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < maxPages; page++) {
        const body: Record<string, unknown> & { nextCursor: string | null } = await queries.query(`${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        const items = body[key] as T[];
        expect(items.length).toBeLessThanOrEqual(limit);
        all.push(...items);
        if (body.nextCursor === null) return all;
        expect(items).toHaveLength(limit);
        cursor = body.nextCursor;
      }
      throw new Error('paging did not end');
    },
  };
  return queries;
}

/** Stops a Kafka read side, then closes the fixture (even if stopping failed): an end-to-end spec's afterAll. */
export async function stopReadSide(readSide: KafkaReadSide | undefined, fixture: Pick<HttpFixture, 'close'> | undefined): Promise<void> {
  try {
    await readSide?.stop();
  } finally {
    await fixture?.close();
  }
}

/**
 * Nothing parked by the projection, and its topics (under `prefix`) hold one message for each LSN of `lsns`
 * and no other, each stream on one partition. Answers the messages.
 */
export async function expectDeliveredOverKafka(fixture: Pick<HttpFixture, 'db'>, projection: Pick<Projection, 'name' | 'canHandle'>, prefix: string, lsns: readonly number[]): Promise<TopicMessage[]> {
  expect(await listParked(fixture.db, [projection])).toEqual([]);
  const messages = (await readTopics(testKafkaBrokers(), kafkaTopicsForEventTypes(projection.canHandle, prefix))).filter((m) => m.headers[HEADERS.eventType] !== undefined);
  expect(new Set(messages.map((m) => Number(m.headers[HEADERS.lsn])))).toEqual(new Set(lsns));
  const partitionsOf = new Map<string, Set<number>>();
  for (const message of messages) {
    const stream = message.headers[HEADERS.streamId]!;
    partitionsOf.set(stream, (partitionsOf.get(stream) ?? new Set()).add(message.partition));
  }
  for (const [stream, partitions] of partitionsOf) expect(partitions.size, stream).toBe(1);
  return messages;
}

type Signer = { address: string; signMessage(message: string): Promise<string> };

/**
 * Sessions by the gateway's clock: a wallet signs in again (same wallet) on each new day. `as(name)` is its
 * credential for today; `onSignIn` sees each sign-in.
 */
export function dailySessions<Name>(
  fixture: Pick<HttpFixture, 'signIn'>,
  wallets: ReadonlyMap<Name, Signer>,
  clock: () => number,
  onSignIn: (name: Name, signed: Credential & { subject: string }) => void = () => {},
): { as(name: Name): Promise<Credential> } {
  const sessions = new Map<Name, { day: string; credential: Credential }>();
  return {
    async as(name) {
      const today = new Date(clock()).toISOString().slice(0, 10);
      const session = sessions.get(name);
      if (session?.day === today) return session.credential;
      const signed = await fixture.signIn(wallets.get(name)!);
      onSignIn(name, signed);
      sessions.set(name, { day: today, credential: { authorization: signed.authorization } });
      return { authorization: signed.authorization };
    },
  };
}
