import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  formatLogPosition,
  isLogEvent,
  LsnIndex,
  NumberingCursor,
  NumberingTimeoutError,
  parseLogPosition,
  START_ANCHOR,
  type Anchor,
  type LogEventRef,
  type LogFilter,
  type LogPosition,
} from './lsn-index.ts';

/**
 * A made-up $all: sparse positions, writes of several events sharing a commit position, system events,
 * `$` types in a normal stream, and a second tenant's streams. Every third write is a system write.
 */
function simulatedAll(writes: number): LogEventRef[] {
  const events: LogEventRef[] = [];
  let offset = 1000n;
  for (let write = 0; write < writes; write += 1) {
    const commit = offset;
    const size = (write % 3) + 1;
    const streamId =
      write % 3 === 2 ? `$stats-${write}` : write % 5 === 0 ? `other-tenant-${write}` : write % 7 === 0 ? `t1-tombstoned` : `t1-s${write % 4}`;
    for (let i = 0; i < size; i += 1) {
      const type = streamId === 't1-tombstoned' && i === size - 1 ? '$streamDeleted' : 'Happened';
      events.push({ eventId: randomUUID(), streamId, type, position: { commit, prepare: offset } });
      offset += 137n + BigInt(write % 11);
    }
  }
  return events;
}

const tenant: LogFilter = { streamPrefix: 't1-' };

function logOf(all: readonly LogEventRef[], filter: LogFilter): LogEventRef[] {
  return all.filter((event) => isLogEvent(event.streamId, event.type, filter));
}

/** What a forward read of $all from an anchor returns: from the anchor's event on (inclusive) or after it. */
function readFrom(all: readonly LogEventRef[], anchor: Anchor, inclusive: boolean): LogEventRef[] {
  if (anchor.position === null) return [...all];
  const from = anchor.position;
  return all.filter((event) => {
    const order = comparePositions(event.position, from);
    return inclusive ? order >= 0 : order > 0;
  });
}

function indexOver(all: readonly LogEventRef[], filter: LogFilter, options: { checkpointEvery?: number; tailSize?: number } = {}): LsnIndex {
  const index = new LsnIndex(filter, options);
  for (const event of all) index.observe(event);
  return index;
}

describe('comparePositions', () => {
  it('orders by commit position, then by prepare position', () => {
    const p = (commit: number, prepare: number): LogPosition => ({ commit: BigInt(commit), prepare: BigInt(prepare) });
    expect(comparePositions(p(10, 10), p(20, 5))).toBe(-1);
    expect(comparePositions(p(20, 30), p(20, 25))).toBe(1);
    expect(comparePositions(p(20, 25), p(20, 25))).toBe(0);
  });
});

describe('isLogEvent', () => {
  it('leaves out system streams and system event types', () => {
    expect(isLogEvent('order-1', 'OrderPlaced', {})).toBe(true);
    expect(isLogEvent('$stats-127.0.0.1:2113', 'StatsCollected', {})).toBe(false);
    expect(isLogEvent('$$order-1', '$metadata', {})).toBe(false);
    expect(isLogEvent('order-1', '$streamDeleted', {})).toBe(false);
  });

  it('with a stream prefix, keeps only the streams under it', () => {
    expect(isLogEvent('t1-order', 'OrderPlaced', tenant)).toBe(true);
    expect(isLogEvent('t2-order', 'OrderPlaced', tenant)).toBe(false);
    expect(isLogEvent('t1-order', '$streamDeleted', tenant)).toBe(false);
  });
});

describe('NumberingCursor', () => {
  it('numbers the log events after its anchor densely, skipping everything else', () => {
    const all = simulatedAll(40);
    const cursor = new NumberingCursor(START_ANCHOR, tenant);

    const numbered = all.flatMap((event) => {
      const lsn = cursor.next(event);
      return lsn === null ? [] : [[lsn, event.eventId] as const];
    });

    const log = logOf(all, tenant);
    expect(numbered).toEqual(log.map((event, i) => [i + 1, event.eventId]));
    expect(cursor.lsn).toBe(log.length);
    expect(cursor.position).toEqual(all[all.length - 1]!.position);
  });

  it('ignores an event at or before the last position it saw (a read resuming at that position, a redelivery)', () => {
    const [first, second] = logOf(simulatedAll(10), {});
    const cursor = new NumberingCursor(START_ANCHOR, {});

    expect(cursor.next(first!)).toBe(1);
    expect(cursor.next(first!)).toBeNull();
    expect(cursor.next(second!)).toBe(2);
    expect(cursor.next(first!)).toBeNull();
    expect(cursor.lsn).toBe(2);
  });

  it('continues from an anchor', () => {
    const log = logOf(simulatedAll(20), {});
    const cursor = new NumberingCursor({ lsn: 41, position: log[0]!.position }, {});

    expect(log.slice(0, 3).map((event) => cursor.next(event))).toEqual([null, 42, 43]);
  });
});

describe('LsnIndex', () => {
  it('numbers $all the same way in every process: the k-th log event gets LSN k', () => {
    const all = simulatedAll(300);
    const one = indexOver(all, tenant, { checkpointEvery: 8, tailSize: 16 });
    const another = indexOver(all, tenant);

    const log = logOf(all, tenant);
    expect(one.headLsn).toBe(log.length);
    for (const [i, event] of log.entries()) {
      expect(one.lsnOf(event.eventId)).toBe(i + 1);
      expect(another.lsnOf(event.eventId)).toBe(i + 1);
    }
    expect(all.filter((event) => !isLogEvent(event.streamId, event.type, tenant)).some((event) => one.lsnOf(event.eventId) !== undefined)).toBe(false);
  });

  it('tracks the last $all event it observed, log event or not, as the place to resume', () => {
    const all = simulatedAll(30);
    const index = indexOver(all, tenant);

    expect(index.observedPosition).toEqual(all[all.length - 1]!.position);
    expect(new LsnIndex({}).observedPosition).toBeNull();
  });

  it('ignores events it has already passed (a resubscription redelivering them)', () => {
    const all = simulatedAll(30);
    const index = indexOver(all, {});
    const head = index.headLsn;

    for (const event of all.slice(-10)) expect(index.observe(event)).toBeNull();
    expect(index.headLsn).toBe(head);
  });

  describe('anchorFor: where a read of LSN k starts', () => {
    const all = simulatedAll(400);
    const log = logOf(all, tenant);
    const index = indexOver(all, tenant, { checkpointEvery: 8, tailSize: 16 });

    it.each([true, false])('reading $all from the anchor finds every LSN k at the k-th log event (reads inclusive: %s)', (inclusive) => {
      for (let lsn = 1; lsn <= log.length; lsn += 1) {
        const anchor = index.anchorFor(lsn);
        expect(anchor.lsn).toBeLessThan(lsn);
        expect(lsn - anchor.lsn).toBeLessThanOrEqual(8);

        const cursor = new NumberingCursor(anchor, tenant);
        const found = readFrom(all, anchor, inclusive).find((event) => cursor.next(event) === lsn);
        expect(found?.eventId).toBe(log[lsn - 1]!.eventId);
      }
    });

    it('is exact for the recent tail', () => {
      const head = index.headLsn;
      for (let lsn = head - 14; lsn <= head; lsn += 1) {
        expect(index.anchorFor(lsn)).toEqual({ lsn: lsn - 1, position: log[lsn - 2]!.position });
        expect(index.positionOf(lsn)).toEqual(log[lsn - 1]!.position);
      }
      expect(index.positionOf(head - 16)).toBeUndefined();
    });

    it('starts LSN 1 right before the first log event, past other tenants and system events', () => {
      const anchor = index.anchorFor(1);
      const firstAt = all.findIndex((event) => event.eventId === log[0]!.eventId);

      expect(firstAt).toBeGreaterThan(0);
      expect(anchor).toEqual({ lsn: 0, position: all[firstAt - 1]!.position });
    });

    it('past the head, anchors at the head and the last observed position', () => {
      expect(index.anchorFor(index.headLsn + 1)).toEqual({ lsn: index.headLsn, position: index.observedPosition });
      expect(index.anchorFor(index.headLsn + 50)).toEqual({ lsn: index.headLsn, position: index.observedPosition });
    });

    it('of an empty index, anchors at the start of $all', () => {
      expect(new LsnIndex({}).anchorFor(1)).toEqual(START_ANCHOR);
    });

    it('rejects LSNs below 1', () => {
      expect(() => index.anchorFor(0)).toThrow(RangeError);
      expect(() => index.anchorFor(1.5)).toThrow(RangeError);
    });
  });

  describe('resuming from a stored anchor (the relay checkpoint) instead of the start of $all', () => {
    const all = simulatedAll(400);
    const log = logOf(all, tenant);
    const full = indexOver(all, tenant, { checkpointEvery: 8, tailSize: 16 });

    it.each([1, 7, 8, 9, 50])('numbers every later event exactly as a full index does (resuming after LSN %i)', (resumeLsn) => {
      const anchor: Anchor = { lsn: resumeLsn, position: log[resumeLsn - 1]!.position };
      const resumed = new LsnIndex(tenant, { checkpointEvery: 8, tailSize: 16, resumeFrom: anchor });
      for (const event of readFrom(all, anchor, true)) resumed.observe(event);

      expect(resumed.headLsn).toBe(full.headLsn);
      for (let lsn = resumeLsn + 1; lsn <= log.length; lsn += 1) {
        expect(resumed.lsnOf(log[lsn - 1]!.eventId)).toBe(lsn);
        const start = resumed.anchorFor(lsn);
        expect(start.lsn).toBeGreaterThanOrEqual(resumeLsn);
        const cursor = new NumberingCursor(start, tenant);
        expect(readFrom(all, start, false).find((event) => cursor.next(event) === lsn)?.eventId).toBe(log[lsn - 1]!.eventId);
      }
    });

    it('knows nothing before the anchor: reading those LSNs fails, their ids are not indexed', () => {
      const anchor: Anchor = { lsn: 20, position: log[19]!.position };
      const resumed = new LsnIndex(tenant, { resumeFrom: anchor });
      for (const event of readFrom(all, anchor, true)) resumed.observe(event);

      expect(resumed.resumedFrom).toEqual(anchor);
      expect(resumed.anchorFor(21)).toEqual(anchor);
      expect(() => resumed.anchorFor(20)).toThrow(/before LSN 21, where this index resumed/);
      expect(resumed.lsnOf(log[5]!.eventId)).toBeUndefined();
    });

    it('refuses an anchor that is not one', () => {
      expect(() => new LsnIndex({}, { resumeFrom: { lsn: 3, position: null } })).toThrow(RangeError);
      expect(() => new LsnIndex({}, { resumeFrom: { lsn: -1, position: null } })).toThrow(RangeError);
    });
  });

  it('writes positions in EventStoreDB text form and reads them back', () => {
    const position: LogPosition = { commit: 18446744073709551000n, prepare: 42n };
    expect(formatLogPosition(position)).toBe('C:18446744073709551000/P:42');
    expect(parseLogPosition(formatLogPosition(position))).toEqual(position);
    expect(() => parseLogPosition('C:1')).toThrow(/not an EventStoreDB \$all position/);
  });

  it('looks event ids up case-insensitively, keeping the first LSN of an id seen twice', () => {
    const [a, b] = logOf(simulatedAll(10), {});
    const index = new LsnIndex({});
    index.observe(a!);
    index.observe({ ...b!, eventId: a!.eventId.toUpperCase() });

    expect(index.headLsn).toBe(2);
    expect(index.lsnOf(a!.eventId.toUpperCase())).toBe(1);
  });

  it('rejects nonsensical options', () => {
    expect(() => new LsnIndex({}, { checkpointEvery: 0 })).toThrow(RangeError);
    expect(() => new LsnIndex({}, { tailSize: 2.5 })).toThrow(RangeError);
  });

  describe('waiting', () => {
    const [first, second, third] = logOf(simulatedAll(10), {});

    it('for an event id: at once when numbered, else when it gets numbered', async () => {
      const index = new LsnIndex({});
      index.observe(first!);
      const later = index.waitForEventId(third!.eventId.toUpperCase(), 5_000);

      expect(await index.waitForEventId(first!.eventId, 5_000)).toBe(1);
      index.observe(second!);
      index.observe(third!);
      expect(await later).toBe(3);
    });

    it('for an event id: fails with a NumberingTimeoutError after the timeout', async () => {
      const index = new LsnIndex({});
      index.observe(first!);

      const error = await index.waitForEventId(second!.eventId, 20).catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(NumberingTimeoutError);
      expect(error).toMatchObject({ eventId: second!.eventId, timeoutMs: 20, headLsn: 1 });
      expect(index.observe(second!)).toBe(2); // a late numbering after the timeout is harmless
    });

    it('for an LSN: resolves true when the head reaches it, false when aborted', async () => {
      const index = new LsnIndex({});
      const reached = index.waitForLsn(2);
      const controller = new AbortController();
      const abandoned = index.waitForLsn(3, controller.signal);

      index.observe(first!);
      index.observe(second!);
      controller.abort();

      expect(await reached).toBe(true);
      expect(await abandoned).toBe(false);
      expect(await index.waitForLsn(1)).toBe(true);
      expect(await index.waitForLsn(5, controller.signal)).toBe(false);
    });

    it('ends on close: id waiters fail with the reason, LSN waiters resolve false, numbering stops', async () => {
      const index = new LsnIndex({});
      const id = index.waitForEventId(first!.eventId, 5_000);
      const lsn = index.waitForLsn(1);
      const reason = new Error('closed');

      index.close(reason);

      await expect(id).rejects.toBe(reason);
      expect(await lsn).toBe(false);
      expect(index.observe(first!)).toBeNull();
      await expect(index.waitForEventId(second!.eventId, 5_000)).rejects.toBe(reason);
    });
  });
});
