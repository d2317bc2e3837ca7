import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planBatch, type AppendRequest, type LogState } from './append-plan.ts';
import { KnownStreams } from './known-streams.ts';

const append = (streamId: string, count = 1): AppendRequest => ({
  streamId,
  expectedRevision: 'any',
  events: Array.from({ length: count }, () => ({ eventId: randomUUID(), type: 'Tested', data: new Uint8Array(), metadata: {} })),
});
const stateAt = (headLsn: number, streams: Record<string, { revision: number; lastLsn: number }> = {}): LogState => ({
  headLsn,
  streams: new Map(Object.entries(streams)),
  recordedEvents: new Map(),
});

describe('KnownStreams', () => {
  it('guesses nothing until it knows a head', () => {
    expect(new KnownStreams(100).guessStateFor([append('a')])).toBeUndefined();
  });

  it('knows the streams a batch read or wrote, as of the head after it, and assumes the others are new', () => {
    const known = new KnownStreams(100);
    const requests = [append('a', 2), append('missing')];
    const state = stateAt(7, { a: { revision: 3, lastLsn: 7 } });
    known.learn(state, requests, planBatch([requests[0]!], state));

    expect(known.guessStateFor([append('a'), append('missing'), append('unseen')])).toEqual({
      state: stateAt(9, { a: { revision: 5, lastLsn: 9 } }),
      assumed: new Set(['unseen']),
    });
  });

  it('forgets streams it learnt at another head when a read shows the head has moved', () => {
    const known = new KnownStreams(100);
    known.learn(stateAt(4, { a: { revision: 0, lastLsn: 4 } }), [append('a')], planBatch([], stateAt(4)));

    known.learn(stateAt(10, { b: { revision: 1, lastLsn: 10 } }), [append('b')], planBatch([], stateAt(10)));

    expect(known.guessStateFor([append('a'), append('b')])).toEqual({
      state: stateAt(10, { b: { revision: 1, lastLsn: 10 } }),
      assumed: new Set(['a']),
    });
  });

  it('keeps at most its capacity, forgetting the least recently used stream', () => {
    const known = new KnownStreams(2);
    const learn = (streamId: string) => known.learn(stateAt(0), [append(streamId)], planBatch([], stateAt(0)));
    learn('a');
    learn('b');
    learn('a');
    learn('c');

    expect(known.guessStateFor([append('a'), append('b'), append('c')])?.assumed).toEqual(new Set(['b']));
  });

  it('forgets everything on request', () => {
    const known = new KnownStreams(10);
    known.learn(stateAt(0), [append('a')], planBatch([], stateAt(0)));
    known.forget();
    expect(known.guessStateFor([append('a')])).toBeUndefined();
  });
});
