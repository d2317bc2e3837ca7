// One contract suite for every EventStore adapter (PostgreSQL here, EventStoreDB wherever EVENTSTORE_URL is set).
// Each adapter's *.int.spec.ts calls eventStoreContract() with a factory for its own real server.
// The suite speaks only through the port: no SQL, nothing adapter-specific.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '../../ports/event-store.ts';

export type EventStoreFixture = {
  /** A store over an empty log. */
  store: EventStore;
  /** A second, independent store instance on the same backend: stands in for another process. */
  openAnother(): Promise<EventStore>;
  /** Closes the store, every instance openAnother() returned, and removes the backend's data. */
  teardown(): Promise<void>;
};

export function eventStoreContract(adapterName: string, setup: () => Promise<EventStoreFixture>): void {
  describe(`${adapterName} event store contract`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;

    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    describe('appending to and reading a stream', () => {
      it('appends to a new stream and reads the events back as written, revisions from 0', async () => {
        const stream = streamName('order');
        const events = [
          anEvent('OrderPlaced', { data: Uint8Array.of(0xc3, 0x01, 0x00, 0xff, 0x7f), metadata: { correlationId: 'c-1', actor: 'ann' } }),
          anEvent('OrderPaid', { data: new Uint8Array(0), metadata: { nested: { list: [1, 'two', null], flag: true } } }),
        ];

        const result = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

        expect(result).toEqual({ nextExpectedRevision: 1, firstLsn: 1, lastLsn: 2, idempotentReplay: false });
        const read = await store.readStream(stream);
        expect(read.currentRevision).toBe(1);
        expect(read.events.map(summary)).toEqual([
          { eventId: events[0]!.eventId, type: 'OrderPlaced', streamId: stream, revision: 0, lsn: 1, data: [0xc3, 0x01, 0x00, 0xff, 0x7f] },
          { eventId: events[1]!.eventId, type: 'OrderPaid', streamId: stream, revision: 1, lsn: 2, data: [] },
        ]);
        expect(read.events.map((event) => event.metadata)).toEqual(events.map((event) => event.metadata));
        for (const event of read.events) {
          expect(event.data).toBeInstanceOf(Uint8Array);
          expect(event.recordedAt).toBeInstanceOf(Date);
          expect(Math.abs(event.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
        }
      });

      it('continues the revisions of a stream across appends', async () => {
        const stream = streamName('counter');
        await store.appendToStream(stream, [anEvent(), anEvent()]);
        const result = await store.appendToStream(stream, [anEvent()], { expectedRevision: 1 });

        expect(result.nextExpectedRevision).toBe(2);
        expect((await store.readStream(stream)).events.map((event) => event.revision)).toEqual([0, 1, 2]);
      });

      it('reads a stream that does not exist as no revision and no events', async () => {
        expect(await store.readStream(streamName('missing'))).toEqual({ currentRevision: null, events: [] });
      });

      it('reads a stream from a revision, with a limit, still reporting the current revision', async () => {
        const stream = streamName('paged');
        const events = Array.from({ length: 5 }, () => anEvent());
        await store.appendToStream(stream, events);

        const middle = await store.readStream(stream, { fromRevision: 1, limit: 2 });
        expect(middle.currentRevision).toBe(4);
        expect(middle.events.map((event) => [event.revision, event.eventId])).toEqual([
          [1, events[1]!.eventId],
          [2, events[2]!.eventId],
        ]);
        expect((await store.readStream(stream, { fromRevision: 3 })).events.map((event) => event.revision)).toEqual([3, 4]);
        expect(await store.readStream(stream, { fromRevision: 5 })).toEqual({ currentRevision: 4, events: [] });
      });
    });

    describe('expected revision', () => {
      it("'no_stream' accepts a new stream and rejects an existing one", async () => {
        const stream = streamName('fresh');
        await store.appendToStream(stream, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });

        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 'no_stream' }), stream, 'no_stream', 1);
      });

      it("'exists' rejects a missing stream and accepts an existing one", async () => {
        const stream = streamName('existing');
        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 'exists' }), stream, 'exists', null);

        await store.appendToStream(stream, [anEvent()]);
        const result = await store.appendToStream(stream, [anEvent()], { expectedRevision: 'exists' });
        expect(result.nextExpectedRevision).toBe(1);
      });

      it('an exact revision accepts the current revision and rejects any other', async () => {
        const stream = streamName('exact');
        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 0 }), stream, 0, null);
        await store.appendToStream(stream, [anEvent(), anEvent()]);

        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 0 }), stream, 0, 1);
        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 2 }), stream, 2, 1);
        expect((await store.appendToStream(stream, [anEvent()], { expectedRevision: 1 })).nextExpectedRevision).toBe(2);
      });

      it("'any' accepts a missing and an existing stream, and is the default", async () => {
        const stream = streamName('anything');
        expect((await store.appendToStream(stream, [anEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0);
        expect((await store.appendToStream(stream, [anEvent()])).nextExpectedRevision).toBe(1);
      });

      it('a rejected append writes nothing', async () => {
        const stream = streamName('untouched');
        await store.appendToStream(stream, [anEvent()]);
        const head = await store.headLsn();

        await expect(store.appendToStream(stream, [anEvent(), anEvent()], { expectedRevision: 5 })).rejects.toThrow(WrongExpectedRevisionError);

        expect(await store.headLsn()).toBe(head);
        expect((await store.readStream(stream)).events).toHaveLength(1);
      });

      it('of concurrent appends expecting the same revision, from two instances, exactly one wins', async () => {
        const another = await fixture.openAnother();
        const stream = streamName('race');
        await store.appendToStream(stream, [anEvent()]);

        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : another).appendToStream(stream, [anEvent()], { expectedRevision: 0 })),
        );

        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
          expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(outcome.reason).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
        }
        expect((await store.readStream(stream)).currentRevision).toBe(1);
      });

      it("of concurrent appends creating the same stream with 'no_stream', exactly one wins", async () => {
        const another = await fixture.openAnother();
        const stream = streamName('creation-race');

        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : another).appendToStream(stream, [anEvent()], { expectedRevision: 'no_stream' })),
        );

        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason)).toEqual(
          Array.from({ length: 5 }, () => expect.objectContaining({ name: 'WrongExpectedRevisionError', actual: 0 })),
        );
        expect((await store.readStream(stream)).events).toHaveLength(1);
      });
    });

    describe('idempotent appends', () => {
      it('appending the same events again returns the original result and writes nothing', async () => {
        const stream = streamName('retried');
        const events = [anEvent(), anEvent()];
        const original = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        const head = await store.headLsn();
        const log = await store.readAll({ fromLsn: 1 });

        const retry = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

        expect(retry).toEqual({ ...original, idempotentReplay: true });
        expect(await store.headLsn()).toBe(head);
        expect((await store.readAll({ fromLsn: 1 })).map(summary)).toEqual(log.map(summary));
      });

      it('a replay answers with the original result whatever the expected revision and later appends', async () => {
        const stream = streamName('retried-late');
        const events = [anEvent(), anEvent()];
        const original = await store.appendToStream(stream, events);
        await store.appendToStream(stream, [anEvent()]);
        await store.appendToStream(streamName('elsewhere'), [anEvent()]);
        const head = await store.headLsn();

        for (const expectedRevision of ['no_stream', 0, 7, 'exists', 'any'] as const) {
          expect(await store.appendToStream(stream, events, { expectedRevision })).toEqual({ ...original, idempotentReplay: true });
        }
        expect(await store.headLsn()).toBe(head);
        expect((await store.readStream(stream)).currentRevision).toBe(2);
      });

      it('a replay sent together with other appends still answers with the original result', async () => {
        const [stream, otherStream] = [streamName('retried-among-others'), streamName('other')];
        const events = [anEvent()];
        const original = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [anEvent()]);
        await store.appendToStream(otherStream, [anEvent()]);

        const [retry, other, partial] = await Promise.allSettled([
          store.appendToStream(stream, events, { expectedRevision: 'no_stream' }),
          store.appendToStream(otherStream, [anEvent()], { expectedRevision: 0 }),
          store.appendToStream(stream, [events[0]!, anEvent()], { expectedRevision: 5 }),
        ]);

        expect(retry).toEqual({ status: 'fulfilled', value: { ...original, idempotentReplay: true } });
        expect(other).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 1 } });
        expect(partial).toMatchObject({ status: 'rejected', reason: expect.any(DuplicateEventIdError) });
        expect((await store.readStream(stream)).currentRevision).toBe(1);
      });

      it('the same append sent twice at once is written once, and both get its result', async () => {
        const stream = streamName('double-click');
        const events = [anEvent(), anEvent()];

        const [first, second] = await Promise.all([
          store.appendToStream(stream, events, { expectedRevision: 'no_stream' }),
          store.appendToStream(stream, events, { expectedRevision: 'no_stream' }),
        ]);

        expect([first!.idempotentReplay, second!.idempotentReplay].sort()).toEqual([false, true]);
        expect({ ...first, idempotentReplay: true }).toEqual({ ...second, idempotentReplay: true });
        expect((await store.readStream(stream)).events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
        expect(await store.headLsn()).toBe(2);
      });

      it('an append repeating only some recorded ids is rejected as a duplicate and writes nothing', async () => {
        const stream = streamName('partial');
        const [a, b, c] = [anEvent(), anEvent(), anEvent()];
        await store.appendToStream(stream, [a, b]);
        const head = await store.headLsn();

        await expectDuplicate(store.appendToStream(stream, [b, c]), b.eventId, stream, stream);
        await expectDuplicate(store.appendToStream(stream, [c, a]), a.eventId, stream, stream);

        expect(await store.headLsn()).toBe(head);
        expect((await store.readStream(stream)).events.map((event) => event.eventId)).toEqual([a.eventId, b.eventId]);
      });

      it('an event id recorded in another stream is rejected as a duplicate', async () => {
        const [home, other] = [streamName('home'), streamName('other')];
        const event = anEvent();
        await store.appendToStream(home, [event]);

        await expectDuplicate(store.appendToStream(other, [event]), event.eventId, other, home);

        expect(await store.readStream(other)).toEqual({ currentRevision: null, events: [] });
      });
    });

    describe('empty appends', () => {
      it('write nothing, report where the stream stands, and still check the expected revision', async () => {
        const missing = streamName('empty-missing');
        expect(await store.appendToStream(missing, [])).toEqual({ nextExpectedRevision: -1, firstLsn: 0, lastLsn: 0, idempotentReplay: false });
        expect(await store.appendToStream(missing, [], { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: -1 });
        await expectWrongRevision(store.appendToStream(missing, [], { expectedRevision: 'exists' }), missing, 'exists', null);

        const stream = streamName('empty-existing');
        const written = await store.appendToStream(stream, [anEvent(), anEvent()]);
        await store.appendToStream(streamName('later'), [anEvent()]);

        expect(await store.appendToStream(stream, [], { expectedRevision: 1 })).toEqual({
          nextExpectedRevision: 1,
          firstLsn: written.lastLsn,
          lastLsn: written.lastLsn,
          idempotentReplay: false,
        });
        await expectWrongRevision(store.appendToStream(stream, [], { expectedRevision: 'no_stream' }), stream, 'no_stream', 1);
        expect(await store.headLsn()).toBe(3);
        expect(await store.readStream(missing)).toEqual({ currentRevision: null, events: [] });
      });
    });

    describe('the global log', () => {
      it('numbers events 1, 2, 3, … across streams, in append order', async () => {
        expect(await store.headLsn()).toBe(0);
        expect(await store.readAll({ fromLsn: 1 })).toEqual([]);
        const [a, b, c] = [streamName('a'), streamName('b'), streamName('c')];
        const appends: [string, EventToAppend[]][] = [
          [a, [anEvent(), anEvent()]],
          [b, [anEvent()]],
          [a, [anEvent()]],
          [c, [anEvent(), anEvent()]],
        ];
        const results: AppendResult[] = [];
        for (const [stream, events] of appends) results.push(await store.appendToStream(stream, events));

        const log = await store.readAll({ fromLsn: 1 });

        expect(log.map((event) => [event.lsn, event.streamId, event.revision])).toEqual([
          [1, a, 0],
          [2, a, 1],
          [3, b, 0],
          [4, a, 2],
          [5, c, 0],
          [6, c, 1],
        ]);
        expect(log.map((event) => event.eventId)).toEqual(appends.flatMap(([, events]) => events.map((event) => event.eventId)));
        expect(results.map((result) => [result.firstLsn, result.lastLsn])).toEqual([
          [1, 2],
          [3, 3],
          [4, 4],
          [5, 6],
        ]);
        expect(await store.headLsn()).toBe(6);
      });

      it('reads from an LSN with a limit', async () => {
        for (let i = 0; i < 6; i += 1) await store.appendToStream(streamName('log'), [anEvent()]);

        expect((await store.readAll({ fromLsn: 3, limit: 2 })).map((event) => event.lsn)).toEqual([3, 4]);
        expect((await store.readAll({ fromLsn: 5 })).map((event) => event.lsn)).toEqual([5, 6]);
        expect((await store.readAll({ fromLsn: 6, limit: 10 })).map((event) => event.lsn)).toEqual([6]);
        expect(await store.readAll({ fromLsn: 7 })).toEqual([]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from fromLsn, then delivers live appends from any instance, exactly once and in order, until aborted', async () => {
        const another = await fixture.openAnother();
        const stream = streamName('subscribed');
        const expected: string[] = [];
        const append = async (target: EventStore, streamId: string, count: number) => {
          const events = Array.from({ length: count }, () => anEvent());
          expected.push(...events.map((event) => event.eventId));
          await target.appendToStream(streamId, events);
        };
        await append(store, stream, 3);
        await append(store, streamName('before'), 2);

        const subscription = subscribe(store, { fromLsn: 1, batchSize: 2 });
        await subscription.waitFor(5);
        await append(store, stream, 1);
        await append(another, streamName('from-another'), 2);
        await append(another, stream, 1);
        await subscription.waitFor(9);
        await subscription.stop();

        expect(subscription.received.map((event) => event.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(subscription.received.map((event) => event.eventId)).toEqual(expected);
        await store.appendToStream(stream, [anEvent()]);
        expect(subscription.received).toHaveLength(9);
      });

      it('starts at fromLsn', async () => {
        await store.appendToStream(streamName('s'), [anEvent(), anEvent(), anEvent(), anEvent()]);

        const subscription = subscribe(store, { fromLsn: 3 });
        await subscription.waitFor(2);
        await subscription.stop();

        expect(subscription.received.map((event) => event.lsn)).toEqual([3, 4]);
      });

      it('ends at once when its signal is already aborted', async () => {
        await store.appendToStream(streamName('s'), [anEvent()]);
        const controller = new AbortController();
        controller.abort();

        const received: RecordedEvent[] = [];
        for await (const event of store.subscribeToAll({ fromLsn: 1, signal: controller.signal })) received.push(event);

        expect(received).toEqual([]);
      });
    });

    describe('store identity', () => {
      it('is a UUID, the same on every call and from every instance, and kept once events are appended', async () => {
        const id = await store.storeId();
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        const other = await fixture.openAnother();
        // Both instances may ask first at the same time: one id wins, and both see it.
        const [again, fromOther] = await Promise.all([store.storeId(), other.storeId()]);
        expect(again).toBe(id);
        expect(fromOther).toBe(id);
        await store.appendToStream(streamName('identity'), [anEvent()]);
        expect(await (await fixture.openAnother()).storeId()).toBe(id);
      });

      it('differs from every other store', async () => {
        const another = await setup();
        try {
          expect(await another.store.storeId()).not.toBe(await store.storeId());
        } finally {
          await another.teardown();
        }
      });
    });

    describe('a second instance', () => {
      it('sees the same log and streams', async () => {
        const stream = streamName('shared');
        await store.appendToStream(stream, [anEvent(), anEvent()]);
        const another = await fixture.openAnother();

        expect(await another.headLsn()).toBe(2);
        expect((await another.readAll({ fromLsn: 1 })).map(summary)).toEqual((await store.readAll({ fromLsn: 1 })).map(summary));
        expect((await another.appendToStream(stream, [anEvent()], { expectedRevision: 1 })).lastLsn).toBe(3);
        expect((await store.readStream(stream)).currentRevision).toBe(2);
      });

      it('checks expected revisions against what the other instance appended', async () => {
        const another = await fixture.openAnother();
        const stream = streamName('alternating');
        await store.appendToStream(stream, [anEvent()], { expectedRevision: 'no_stream' });
        await another.appendToStream(stream, [anEvent()], { expectedRevision: 0 });

        await expectWrongRevision(store.appendToStream(stream, [anEvent()], { expectedRevision: 0 }), stream, 0, 1);
        expect(await store.appendToStream(stream, [anEvent()], { expectedRevision: 1 })).toMatchObject({ nextExpectedRevision: 2, lastLsn: 3 });
        await expectWrongRevision(another.appendToStream(stream, [anEvent()], { expectedRevision: 1 }), stream, 1, 2);
        expect(await another.appendToStream(stream, [anEvent()], { expectedRevision: 2 })).toMatchObject({ nextExpectedRevision: 3, lastLsn: 4 });
        expect(await store.appendToStream(stream, [], { expectedRevision: 3 })).toMatchObject({ nextExpectedRevision: 3, lastLsn: 4 });
        expect(await store.appendToStream(stream, [anEvent()])).toMatchObject({ nextExpectedRevision: 4, lastLsn: 5 });
        expect(await another.appendToStream(stream, [anEvent()])).toMatchObject({ nextExpectedRevision: 5, lastLsn: 6 });
        expect((await store.readStream(stream)).events.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5]);
      });

      it('appends concurrently with the first; the log stays dense and every stream contiguous', async () => {
        const another = await fixture.openAnother();
        const shared = streamName('shared');
        const written: string[] = [];
        const writer = async (target: EventStore, index: number) => {
          const own = streamName(`writer-${index}`);
          let revision: number | 'no_stream' = 'no_stream';
          for (let i = 0; i < 10; i += 1) {
            const events = [anEvent(), anEvent()];
            written.push(...events.map((event) => event.eventId));
            if (i % 2 === 0) revision = (await target.appendToStream(own, events, { expectedRevision: revision })).nextExpectedRevision;
            else await target.appendToStream(shared, events, { expectedRevision: 'any' });
          }
        };

        await Promise.all(Array.from({ length: 8 }, (_, index) => writer(index % 2 === 0 ? store : another, index)));

        const log = await another.readAll({ fromLsn: 1 });
        expect(log.map((event) => event.lsn)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
        expect(new Set(log.map((event) => event.eventId))).toEqual(new Set(written));
        expect(revisionGaps(log)).toEqual([]);
        expect(await store.headLsn()).toBe(160);
      });
    });
  });
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────────────

function streamName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function anEvent(type = 'Tested', fields: Partial<Pick<EventToAppend, 'data' | 'metadata'>> = {}): EventToAppend {
  return {
    eventId: randomUUID(),
    type,
    data: fields.data ?? Uint8Array.of(0xc3, 0x01, ...Array.from(randomUUID(), (char) => char.charCodeAt(0))),
    metadata: fields.metadata ?? { correlationId: randomUUID() },
  };
}

function summary(event: RecordedEvent) {
  return { eventId: event.eventId, type: event.type, streamId: event.streamId, revision: event.revision, lsn: event.lsn, data: [...event.data] };
}

/** Streams whose revisions, in log order, are not 0, 1, 2, …: as `stream@position: revision`. */
export function revisionGaps(log: readonly RecordedEvent[]): string[] {
  const next = new Map<string, number>();
  const gaps: string[] = [];
  for (const event of log) {
    const expected = next.get(event.streamId) ?? 0;
    if (event.revision !== expected) gaps.push(`${event.streamId}@lsn ${event.lsn}: revision ${event.revision}, expected ${expected}`);
    next.set(event.streamId, event.revision + 1);
  }
  return gaps;
}

async function expectWrongRevision(append: Promise<unknown>, streamId: string, expected: unknown, actual: number | null): Promise<void> {
  const error = await append.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject({ streamId, expected, actual });
}

async function expectDuplicate(append: Promise<unknown>, eventId: string, streamId: string, existingStreamId: string): Promise<void> {
  const error = await append.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DuplicateEventIdError);
  expect(error).toMatchObject({ eventId, streamId, existingStreamId });
}

export type Subscription = {
  received: RecordedEvent[];
  /** Resolves once `count` events arrived; fails after the deadline, or if the subscription failed. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Aborts, and resolves once the iteration has ended. */
  stop(): Promise<void>;
};

export function subscribe(store: EventStore, options: { fromLsn: number; batchSize?: number }): Subscription {
  const controller = new AbortController();
  const received: RecordedEvent[] = [];
  let failure: unknown;
  const finished = (async () => {
    for await (const event of store.subscribeToAll({ ...options, signal: controller.signal })) received.push(event);
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    received,
    async waitFor(count, timeoutMs = 15_000) {
      await expect
        .poll(
          () => {
            if (failure) throw failure;
            return received.length;
          },
          { timeout: timeoutMs, interval: 20, message: `subscription from LSN ${options.fromLsn} should receive ${count} events` },
        )
        .toBeGreaterThanOrEqual(count);
    },
    async stop() {
      controller.abort();
      await finished;
      if (failure) throw failure;
    },
  };
}
