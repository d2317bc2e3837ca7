import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DuplicateEventIdError, WrongExpectedRevisionError, type EventToAppend } from '../../../ports/event-store.ts';
import { planBatch, type AppendRequest, type LogState } from './append-plan.ts';

const anEvent = (): EventToAppend => ({ eventId: randomUUID(), type: 'Tested', data: new Uint8Array(), metadata: {} });
const request = (streamId: string, events: EventToAppend[], expectedRevision: AppendRequest['expectedRevision'] = 'any'): AppendRequest => ({
  streamId,
  events,
  expectedRevision,
});
const emptyLog: LogState = { headLsn: 0, streams: new Map(), recordedEvents: new Map() };

describe('planBatch', () => {
  it('numbers accepted events from the head on, and each stream from its current revision on', () => {
    const state: LogState = { headLsn: 10, streams: new Map([['a', { revision: 4, lastLsn: 9 }]]), recordedEvents: new Map() };

    const plan = planBatch([request('a', [anEvent(), anEvent()], 4), request('b', [anEvent()], 'no_stream')], state);

    expect(plan.rows.map((row) => [row.lsn, row.streamId, row.revision])).toEqual([
      [11, 'a', 5],
      [12, 'a', 6],
      [13, 'b', 0],
    ]);
    expect(plan.outcomes.map((outcome) => outcome.ok && outcome.result)).toEqual([
      { nextExpectedRevision: 6, firstLsn: 11, lastLsn: 12, idempotentReplay: false },
      { nextExpectedRevision: 0, firstLsn: 13, lastLsn: 13, idempotentReplay: false },
    ]);
    expect(plan.streamPositions).toEqual(new Map([['a', { revision: 6, lastLsn: 12 }], ['b', { revision: 0, lastLsn: 13 }]]));
    expect(plan.lastLsn).toBe(13);
  });

  it('checks each expected revision against the stream as the earlier requests of the batch left it', () => {
    const plan = planBatch(
      [request('a', [anEvent()], 'no_stream'), request('a', [anEvent()], 'no_stream'), request('a', [anEvent()], 0), request('a', [anEvent()], 'exists')],
      emptyLog,
    );

    expect(plan.outcomes.map((outcome) => (outcome.ok ? outcome.result.nextExpectedRevision : outcome.error))).toEqual([
      0,
      new WrongExpectedRevisionError('a', 'no_stream', 0),
      1,
      2,
    ]);
    expect(plan.rows.map((row) => row.lsn)).toEqual([1, 2, 3]);
  });

  it('treats a request repeating ids accepted earlier in the batch as a replay of that request', () => {
    const events = [anEvent(), anEvent()];

    const plan = planBatch([request('a', events, 'no_stream'), request('a', events, 'no_stream')], emptyLog);

    expect(plan.rows).toHaveLength(2);
    expect(plan.outcomes[1]).toEqual({ ok: true, result: { nextExpectedRevision: 1, firstLsn: 1, lastLsn: 2, idempotentReplay: true } });
  });

  it('replays ids recorded in the stream in the same order; rejects other orders, partial repeats and other streams', () => {
    const [a, b, c] = [anEvent(), anEvent(), anEvent()];
    const state: LogState = {
      headLsn: 8,
      streams: new Map([['s', { revision: 5, lastLsn: 8 }]]),
      recordedEvents: new Map([
        [a.eventId, { streamId: 's', revision: 2, lsn: 4 }],
        [b.eventId, { streamId: 's', revision: 3, lsn: 5 }],
      ]),
    };

    const plan = planBatch(
      [request('s', [a, b], 'no_stream'), request('s', [b, a]), request('s', [a, c]), request('t', [b])],
      state,
    );

    expect(plan.outcomes).toEqual([
      { ok: true, result: { nextExpectedRevision: 3, firstLsn: 4, lastLsn: 5, idempotentReplay: true } },
      { ok: false, error: new DuplicateEventIdError(a.eventId, 's', 's') },
      { ok: false, error: new DuplicateEventIdError(a.eventId, 's', 's') },
      { ok: false, error: new DuplicateEventIdError(b.eventId, 't', 's') },
    ]);
    expect(plan.rows).toEqual([]);
    expect(plan.lastLsn).toBe(8);
  });

  it('answers an empty request with where the stream stands, writing nothing', () => {
    const state: LogState = { headLsn: 9, streams: new Map([['s', { revision: 2, lastLsn: 7 }]]), recordedEvents: new Map() };

    const plan = planBatch([request('s', [], 2), request('missing', []), request('missing', [], 'exists')], state);

    expect(plan.outcomes).toEqual([
      { ok: true, result: { nextExpectedRevision: 2, firstLsn: 7, lastLsn: 7, idempotentReplay: false } },
      { ok: true, result: { nextExpectedRevision: -1, firstLsn: 0, lastLsn: 0, idempotentReplay: false } },
      { ok: false, error: new WrongExpectedRevisionError('missing', 'exists', null) },
    ]);
    expect(plan.rows).toEqual([]);
  });
});
