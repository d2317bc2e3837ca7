import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import type { Projection } from '../projection.ts';
import { decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from '../testing/projection-testbed.ts';
import { listParked } from './parking.ts';
import { retryParkedStream } from './retry-parked.ts';
import { expectedCounts, readCounts, streamCounter } from './stream-counter.fixture.ts';
import { waitForWatermark, watermark } from './watermark.ts';
import { createProjectionWorker } from './worker.ts';

let testbed: ProjectionTestbed;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed.close());

/** Runs a worker over the local bus until it has applied the whole log, then stops it. */
async function catchUp(projection: Projection, maxBatchEvents: number): Promise<number> {
  const controller = new AbortController();
  const source = createLocalSource(testbed.eventStore, { maxBatchEvents });
  const running = createProjectionWorker({ db: testbed.db, projection, source }).run(controller.signal);
  try {
    return await waitForWatermark(testbed.db, projection.name, await testbed.eventStore.headLsn(), { timeoutMs: 10_000 });
  } finally {
    controller.abort();
    await running;
  }
}

/** Parked events of streams whose id starts with `prefix` (the log is shared by every test of this file). */
async function parkedOf(projection: Projection, prefix: string) {
  return (await listParked(testbed.db, [projection])).filter((p) => p.streamId.startsWith(prefix));
}

// Batches of 1 take the straight path (the refused event is the whole batch); batches of 100 take the
// fallback (the batch is refused, then applied event by event).
describe.each([1, 100])('a poison event, batches of %i', (maxBatchEvents) => {
  const name = `poison_${maxBatchEvents}`;
  const a = `${name}-a`;
  const b = `${name}-b`;

  it('parks its stream only: the other streams go on and the watermark reaches the head', async () => {
    const recorded = await testbed.append([
      { streamId: a, event: decisionCreated(a) },
      { streamId: b, event: decisionCreated(b) },
      { streamId: a, event: voteCast(a, 'v1') },
      { streamId: a, event: voteCast(a, 'mallory') },
      { streamId: b, event: voteCast(b, 'v1') },
      { streamId: a, event: voteCast(a, 'v2') },
      { streamId: b, event: voteCast(b, 'v2') },
    ]);
    const projection = streamCounter(name, { refusedVoters: ['mallory'] });
    const reached = await catchUp(projection, maxBatchEvents);

    expect(reached).toBe(await testbed.eventStore.headLsn());
    const counts = await readCounts(testbed.db, name);
    expect([counts[a], counts[b]]).toEqual([2, 3]);
    expect(await parkedOf(projection, name)).toMatchObject([
      { projection: name, streamId: a, lsn: recorded[3]!.lsn, type: 'VoteCast', error: expect.stringContaining('voter mallory is refused') },
      {
        projection: name,
        streamId: a,
        lsn: recorded[5]!.lsn,
        type: 'VoteCast',
        // The same batch names the event it waits behind; a later batch finds the stream parked.
        error: maxBatchEvents === 1 ? `stream ${a} has parked events` : expect.stringContaining(`behind parked event at LSN ${recorded[3]!.lsn}`),
      },
    ]);
  });

  it('parks later events of a parked stream in later batches too', async () => {
    const recorded = await testbed.append([
      { streamId: a, event: voteCast(a, 'v3') },
      { streamId: b, event: voteCast(b, 'v3') },
    ]);
    const projection = streamCounter(name, { refusedVoters: ['mallory'] });
    await catchUp(projection, maxBatchEvents);

    const counts = await readCounts(testbed.db, name);
    expect([counts[a], counts[b]]).toEqual([2, 4]);
    const parked = await parkedOf(projection, name);
    expect(parked.map((p) => p.lsn)).toEqual([expect.any(Number), expect.any(Number), recorded[0]!.lsn]);
    expect(parked[2]!.error).toContain(`stream ${a} has parked events`);
  });

  it('retryParkedStream keeps the stream parked while the cause remains, and records why', async () => {
    const projection = streamCounter(name, { refusedVoters: ['mallory'] });
    const before = await parkedOf(projection, name);
    const result = await retryParkedStream(testbed.db, projection, a);

    expect(result).toEqual({ status: 'failed', streamId: a, failedLsn: before[0]!.lsn, error: expect.stringContaining('voter mallory is refused'), stillParked: 3 });
    const after = await parkedOf(projection, name);
    expect(after.map((p) => p.lsn)).toEqual(before.map((p) => p.lsn));
    expect(after[0]!.error).toMatch(/^retry: .*voter mallory is refused/);
    expect((await readCounts(testbed.db, name))[a]).toBe(2);
  });

  it('retryParkedStream applies the stream in order once the cause is fixed, and the stream flows again', async () => {
    const projection = streamCounter(name); // nobody refused any more
    expect(await retryParkedStream(testbed.db, projection, a)).toEqual({ status: 'applied', streamId: a, applied: 3 });
    expect(await parkedOf(projection, name)).toEqual([]);
    expect((await readCounts(testbed.db, name))[a]).toBe(5);

    await testbed.append([{ streamId: a, event: voteCast(a, 'v4') }]);
    await catchUp(projection, maxBatchEvents);
    const counts = await readCounts(testbed.db, name);
    const expected = await expectedCounts(testbed.eventStore);
    expect([counts[a], counts[b]]).toEqual([expected[a], expected[b]]);
    expect(await retryParkedStream(testbed.db, projection, a)).toEqual({ status: 'nothing_parked', streamId: a });
  });
});

describe('an event that does not decode', () => {
  it('parks its stream with the decoding error, and a retry reports that it still fails', async () => {
    const broken = 'undecodable-a';
    await testbed.append([{ streamId: broken, event: decisionCreated(broken) }]);
    const { lastLsn } = await testbed.eventStore.appendToStream(broken, [
      { eventId: randomUUID(), type: 'VoteCast', data: Uint8Array.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]), metadata: {} },
    ]);
    await testbed.append([{ streamId: broken, event: voteCast(broken, 'v1') }]);
    const projection = streamCounter('undecodable');
    await catchUp(projection, 100);

    expect((await readCounts(testbed.db, 'undecodable'))[broken]).toBe(1);
    const parked = await parkedOf(projection, broken);
    expect(parked).toMatchObject([
      { streamId: broken, lsn: lastLsn, error: expect.stringMatching(/^cannot decode VoteCast: unknown writer schema/) },
      { streamId: broken, lsn: lastLsn + 1, error: expect.stringContaining(`behind parked event at LSN ${lastLsn}`) },
    ]);
    expect(await retryParkedStream(testbed.db, projection, broken)).toMatchObject({ status: 'failed', failedLsn: lastLsn, stillParked: 2 });
    expect(await parkedOf(projection, broken)).toHaveLength(2);
  });
});

describe('listParked', () => {
  it('lists several projections in order and skips one that never ran', async () => {
    const stream = 'listed-a';
    await testbed.append([{ streamId: stream, event: decisionCreated(stream) }, { streamId: stream, event: voteCast(stream, 'eve') }]);
    const first = streamCounter('listed_one', { refusedVoters: ['eve'] });
    const second = streamCounter('listed_two', { refusedVoters: ['eve'] });
    await catchUp(first, 100);
    await catchUp(second, 100);

    const parked = (await listParked(testbed.db, [first, streamCounter('listed_never'), second])).filter((p) => p.streamId === stream);
    expect(parked.map((p) => [p.projection, p.streamId, p.type])).toEqual([
      ['listed_one', stream, 'VoteCast'],
      ['listed_two', stream, 'VoteCast'],
    ]);
    expect(await watermark(testbed.db, 'listed_one')).toBe(await testbed.eventStore.headLsn());
    expect(await retryParkedStream(testbed.db, streamCounter('listed_never'), stream)).toEqual({ status: 'nothing_parked', streamId: stream });
  });
});
