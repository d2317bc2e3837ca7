import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { decisionClosed, decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { scriptedSource } from '../testing/scripted-source.ts';
import { ProjectionBatchError, ReadModelTimeoutError } from './errors.ts';
import { inProjectionTransaction } from './projection-schema.ts';
import type { ProjectionSource, SourceBatch } from '../../ports/projection-source.ts';
import { expectedCounts, readCounts, streamCounter } from './stream-counter.fixture.ts';
import { waitForWatermark, watermark } from './watermark.ts';
import { createProjectionWorker } from './worker.ts';

let testbed: ProjectionTestbed;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed.close());

function startWorker(projection: Projection, source: ProjectionSource = createLocalSource(testbed.eventStore, { maxBatchEvents: 3 })) {
  const controller = new AbortController();
  const running = createProjectionWorker({ db: testbed.db, projection, source, eventStore: testbed.eventStore }).run(controller.signal);
  return {
    controller,
    running,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** Decisions with votes, streams interleaved: d<i> is created, then voters vote round-robin. */
function decisions(prefix: string, count: number, votesEach: number): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (let d = 0; d < count; d++) events.push({ streamId: `${prefix}-d${d}`, event: decisionCreated(`${prefix}-d${d}`) });
  for (let v = 0; v < votesEach; v++) {
    for (let d = 0; d < count; d++) events.push({ streamId: `${prefix}-d${d}`, event: voteCast(`${prefix}-d${d}`, `voter-${v}`) });
  }
  return events;
}

const batchOf = (events: RecordedEvent[], partition = 0): SourceBatch => ({
  topic: 'scripted',
  partition,
  events,
  watermarkLsn: events.at(-1)!.lsn,
  nextOffset: String(events.at(-1)!.lsn + 1),
});

async function checkpoint(name: string, topic: string, partition: number) {
  return inProjectionTransaction(testbed.db, { projection: name, lock: 'shared' }, (trx) =>
    trx('checkpoints').where({ topic, partition }).first('applied_lsn', 'next_offset'),
  );
}

describe('exactly-once effect', () => {
  it('applies a re-delivered or overlapping batch once, and moves past event types it does not read', async () => {
    const recorded = await testbed.append([
      { streamId: 'redeliver-a', event: decisionCreated('a') },
      { streamId: 'redeliver-b', event: decisionCreated('b') },
      { streamId: 'redeliver-a', event: voteCast('a', 'v1') },
      { streamId: 'redeliver-b', event: voteCast('b', 'v1') },
      { streamId: 'redeliver-a', event: decisionClosed('a') },
      { streamId: 'redeliver-b', event: voteCast('b', 'v2') },
    ]);
    const first = recorded.slice(0, 4);
    const projection = streamCounter('redelivery');
    const source = scriptedSource([batchOf(first), batchOf(first), batchOf(recorded.slice(2)), batchOf(recorded), batchOf(recorded.slice(5))]);
    await startWorker(projection, source).running;

    expect(await readCounts(testbed.db, 'redelivery')).toEqual({ 'redeliver-a': 2, 'redeliver-b': 3 });
    expect(await checkpoint('redelivery', 'scripted', 0)).toEqual({ applied_lsn: recorded[5]!.lsn, next_offset: String(recorded[5]!.lsn + 1) });
  });

  it('counts every event once when the worker is stopped mid-stream and started again', async () => {
    await testbed.append(decisions('restart', 4, 10));
    const head = await testbed.eventStore.headLsn();
    const stopAt = head - 20;
    const projection = streamCounter('restart', {
      // Abort while a batch transaction is open: that batch still commits, the next one is never taken.
      afterWrite: async (events) => {
        if (events.some((e) => e.lsn >= stopAt)) first.controller.abort();
      },
    });
    const first = startWorker(projection);
    await first.running;
    const stoppedAt = await watermark(testbed.db, 'restart');
    expect(stoppedAt).toBeGreaterThanOrEqual(stopAt);
    expect(stoppedAt).toBeLessThan(head);

    const second = startWorker(streamCounter('restart'));
    await waitForWatermark(testbed.db, 'restart', head, { timeoutMs: 10_000 });
    await second.stop();
    expect(await readCounts(testbed.db, 'restart')).toEqual(await expectedCounts(testbed.eventStore));
  });
});

describe('one transaction per batch', () => {
  it('keeps neither data nor checkpoint of a batch whose transaction dies, and applies it once after a restart', async () => {
    const recorded = await testbed.append(decisions('crash', 2, 2));
    const crashing = streamCounter('crash', {
      // The server ends this connection after the batch wrote its rows, before the checkpoint moved.
      afterWrite: async (_, trx) => void (await trx.raw('select pg_terminate_backend(pg_backend_pid())')),
    });
    const worker = createProjectionWorker({ db: testbed.db, projection: crashing, source: scriptedSource([batchOf(recorded)]), batchAttempts: 1, waitOutOutages: false });
    const failure = await worker.run(new AbortController().signal).then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(ProjectionBatchError);
    expect(failure).toMatchObject({ projection: 'crash', topic: 'scripted', partition: 0, fromLsn: recorded[0]!.lsn, toLsn: recorded.at(-1)!.lsn });
    expect(await readCounts(testbed.db, 'crash')).toEqual({});
    expect(await checkpoint('crash', 'scripted', 0)).toEqual({ applied_lsn: 0, next_offset: null });
    expect(await testbed.parked(crashing)).toEqual([]);

    await startWorker(streamCounter('crash'), scriptedSource([batchOf(recorded)])).running;
    expect(await readCounts(testbed.db, 'crash')).toEqual({ 'crash-d0': 3, 'crash-d1': 3 });
  });

  it('tries a batch again after a transient failure without doubling its effect', async () => {
    const recorded = await testbed.append(decisions('transient', 2, 2));
    let crashes = 0;
    const projection = streamCounter('transient', {
      afterWrite: async (_, trx) => {
        if (crashes++ === 0) await trx.raw('select pg_terminate_backend(pg_backend_pid())');
      },
    });
    await startWorker(projection, scriptedSource([batchOf(recorded)])).running;
    expect(crashes).toBe(2);
    expect(await readCounts(testbed.db, 'transient')).toEqual({ 'transient-d0': 3, 'transient-d1': 3 });
  });

  it('rolls back what a refused batch wrote, applies the other events once and parks the refused one', async () => {
    const recorded = await testbed.append([
      { streamId: 'refuse-a', event: decisionCreated('a') },
      { streamId: 'refuse-b', event: decisionCreated('b') },
      { streamId: 'refuse-a', event: voteCast('a', 'mallory') },
      { streamId: 'refuse-b', event: voteCast('b', 'v1') },
    ]);
    const projection = streamCounter('refuse', { refusedVoters: ['mallory'] });
    await startWorker(projection, scriptedSource([batchOf(recorded)])).running;

    // The first attempt counted all four before it threw; had it not been rolled back, counts would be 3 and 4.
    expect(await readCounts(testbed.db, 'refuse')).toEqual({ 'refuse-a': 1, 'refuse-b': 2 });
    expect(await testbed.parked(projection)).toMatchObject([{ streamId: 'refuse-a', lsn: recorded[2]!.lsn, error: expect.stringContaining('voter mallory is refused') }]);
    expect(await watermark(testbed.db, 'refuse')).toBe(recorded[3]!.lsn);
  });
});

describe('watermark', () => {
  it('is 0 for a projection that never ran', async () => {
    expect(await watermark(testbed.db, 'never_ran')).toBe(0);
  });

  it('is the smallest applied LSN over the partitions', async () => {
    const recorded = await testbed.append(decisions('partitions', 2, 2));
    const [p0, p1] = [recorded.filter((e) => e.streamId.endsWith('d0')), recorded.filter((e) => e.streamId.endsWith('d1'))];
    const projection = streamCounter('partitions');

    await startWorker(projection, scriptedSource([batchOf(p0, 0), { ...batchOf(p1.slice(0, 1), 1), watermarkLsn: p1[0]!.lsn }])).running;
    expect(await watermark(testbed.db, 'partitions')).toBe(p1[0]!.lsn);

    // A watermark message moves a partition that received no new event.
    await startWorker(projection, scriptedSource([{ topic: 'scripted', partition: 1, events: [], watermarkLsn: p0.at(-1)!.lsn, nextOffset: null }])).running;
    expect(await watermark(testbed.db, 'partitions')).toBe(p0.at(-1)!.lsn);
  });

  it('raises partitions that received nothing in one step, never lowers one, and leaves positions alone', async () => {
    const recorded = await testbed.append(decisions('raised', 2, 1));
    const projection = streamCounter('raised');
    const head = recorded.at(-1)!.lsn;
    const idle = (partition: number, watermarkLsn: number) => ({ topic: 'scripted', partition, watermarkLsn });
    await startWorker(
      projection,
      scriptedSource([
        batchOf(recorded, 0),
        { advance: [idle(1, head), idle(2, head - 1)] },
        { advance: [idle(1, head - 2)] }, // an older claim changes nothing
      ]),
    ).running;
    expect(await checkpoint('raised', 'scripted', 1)).toEqual({ applied_lsn: head, next_offset: null });
    expect(await checkpoint('raised', 'scripted', 2)).toEqual({ applied_lsn: head - 1, next_offset: null });
    expect(await checkpoint('raised', 'scripted', 0)).toEqual({ applied_lsn: head, next_offset: String(head + 1) });
    expect(await watermark(testbed.db, 'raised')).toBe(head - 1);
    expect(await readCounts(testbed.db, 'raised')).toEqual({ 'raised-d0': 2, 'raised-d1': 2 });
  });

  it('waitForWatermark resolves once the worker applied an event appended after the wait began', async () => {
    const worker = startWorker(streamCounter('waiting'));
    try {
      const head = await testbed.eventStore.headLsn();
      await waitForWatermark(testbed.db, 'waiting', head, { timeoutMs: 10_000 });
      const waiting = waitForWatermark(testbed.db, 'waiting', head + 1, { timeoutMs: 10_000 });
      const [appended] = await testbed.append([{ streamId: 'waiting-a', event: decisionCreated('waiting-a') }]);
      expect(await waiting).toBeGreaterThanOrEqual(appended!.lsn);
      expect((await readCounts(testbed.db, 'waiting'))['waiting-a']).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('waitForWatermark rejects with ReadModelTimeoutError naming the projection and both LSNs', async () => {
    const worker = startWorker(streamCounter('timeout'));
    try {
      const head = await testbed.eventStore.headLsn();
      await waitForWatermark(testbed.db, 'timeout', head, { timeoutMs: 10_000 });
      const started = Date.now();
      const error = await waitForWatermark(testbed.db, 'timeout', head + 100, { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadModelTimeoutError);
      expect(error).toMatchObject({ projection: 'timeout', wantedLsn: head + 100, reachedLsn: head, timeoutMs: 150 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      await worker.stop();
    }
  });
});
