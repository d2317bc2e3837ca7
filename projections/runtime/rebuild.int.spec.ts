import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import type { Projection } from '../projection.ts';
import { decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { scriptedSource } from '../testing/scripted-source.ts';
import { listParked } from './parking.ts';
import { projectionSchema } from './projection-schema.ts';
import { rebuildProjection } from './rebuild.ts';
import { expectedCounts, readCounts, streamCounter } from './stream-counter.fixture.ts';
import { waitForWatermark } from './watermark.ts';
import { createProjectionWorker } from './worker.ts';

let testbed: ProjectionTestbed;

beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed.close());

function startWorker(projection: Projection, maxBatchEvents = 10) {
  const controller = new AbortController();
  const source = createLocalSource(testbed.eventStore, { maxBatchEvents });
  const running = createProjectionWorker({ db: testbed.db, projection, source }).run(controller.signal);
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

async function caughtUp(name: string) {
  return waitForWatermark(testbed.db, name, await testbed.eventStore.headLsn(), { timeoutMs: 20_000 });
}

function votes(prefix: string, decisions: number, votesEach: number): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (let d = 0; d < decisions; d++) events.push({ streamId: `${prefix}-d${d}`, event: decisionCreated(`${prefix}-d${d}`) });
  for (let v = 0; v < votesEach; v++) {
    for (let d = 0; d < decisions; d++) events.push({ streamId: `${prefix}-d${d}`, event: voteCast(`${prefix}-d${d}`, `voter-${v}`) });
  }
  return events;
}

async function schemasOf(name: string): Promise<string[]> {
  const rows: Array<{ nspname: string }> = await testbed.db.knex('pg_namespace').where('nspname', 'like', `${projectionSchema(name)}%`).select('nspname');
  return rows.map((row) => row.nspname);
}

async function checkpoints(name: string) {
  return testbed.db.knex.withSchema(projectionSchema(name)).table('checkpoints').select('topic', 'partition', 'applied_lsn', 'next_offset');
}

describe('rebuildProjection', () => {
  it('recomputes the read model from LSN 1 and keeps the live checkpoints, moved to the rebuilt head', async () => {
    await testbed.append(votes('recompute', 3, 5));
    const worker = startWorker(streamCounter('recompute'));
    await caughtUp('recompute');
    await worker.stop();
    const live = await readCounts(testbed.db, 'recompute');
    await testbed.db.knex.withSchema(projectionSchema('recompute')).table('stream_counts').where({ stream_id: 'recompute-d0' }).update({ events: 999 });

    const result = await rebuildProjection({ db: testbed.db, projection: streamCounter('recompute'), eventStore: testbed.eventStore, pageSize: 7 });

    const head = await testbed.eventStore.headLsn();
    expect(result).toMatchObject({ rebuiltToLsn: head, parked: 0 });
    expect(await readCounts(testbed.db, 'recompute')).toEqual(live);
    expect(await checkpoints('recompute')).toEqual([{ topic: 'log', partition: 0, applied_lsn: head, next_offset: null }]);
    expect(await schemasOf('recompute')).toEqual(['projection_recompute']);
  });

  it('drops the parked events of a fixed cause: the replay applies them', async () => {
    await testbed.append([
      { streamId: 'fixed-a', event: decisionCreated('fixed-a') },
      { streamId: 'fixed-a', event: voteCast('fixed-a', 'mallory') },
    ]);
    const worker = startWorker(streamCounter('fixed', { refusedVoters: ['mallory'] }));
    await caughtUp('fixed');
    await worker.stop();
    expect(await listParked(testbed.db, [{ name: 'fixed' }])).toHaveLength(1);

    await rebuildProjection({ db: testbed.db, projection: streamCounter('fixed'), eventStore: testbed.eventStore });
    expect(await listParked(testbed.db, [{ name: 'fixed' }])).toEqual([]);
    expect(await readCounts(testbed.db, 'fixed')).toEqual(await expectedCounts(testbed.eventStore));
  });

  it('loses and doubles nothing while a live worker and writers keep going', async () => {
    const [first] = await testbed.append(votes('busy', 10, 30));
    const worker = startWorker(streamCounter('busy'), 10);
    await waitForWatermark(testbed.db, 'busy', first!.lsn + 50, { timeoutMs: 20_000 }); // mid-way through its catch-up
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await testbed.append([{ streamId: `busy-d${written % 10}`, event: voteCast(`busy-d${written % 10}`, `late-${written}`) }]);
        written += 1;
      }
    })();
    try {
      await rebuildProjection({ db: testbed.db, projection: streamCounter('busy'), eventStore: testbed.eventStore, pageSize: 25 });
    } finally {
      writing = false;
      await writer;
    }
    await testbed.append(votes('busy-after', 2, 3));
    await caughtUp('busy');
    await worker.stop();

    expect(written).toBeGreaterThan(0);
    expect(await readCounts(testbed.db, 'busy')).toEqual(await expectedCounts(testbed.eventStore));
    expect(await schemasOf('busy')).toEqual(['projection_busy']);
  });

  it('swaps only after the live batch in flight committed, which the rebuilt schema then accounts for', async () => {
    await testbed.append(votes('inflight', 2, 2));
    let held = false;
    let entered!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // The first batch holding the slow vote stays open (its transaction holds the lock shared) until released.
    const projection = streamCounter('inflight', {
      afterWrite: async (events) => {
        if (held || !events.some((e) => e.event.type === 'VoteCast' && e.event.data.voterId === 'slow')) return;
        held = true;
        entered();
        await released;
      },
    });
    const worker = startWorker(projection);
    await caughtUp('inflight');
    await testbed.append([{ streamId: 'inflight-d0', event: voteCast('inflight-d0', 'slow') }]);
    await holding;

    let settled = false;
    const rebuilding = rebuildProjection({ db: testbed.db, projection, eventStore: testbed.eventStore }).finally(() => (settled = true));
    await waitUntil(async () => (await advisoryLockWaiters()) > 0);
    expect(settled).toBe(false);

    release();
    const result = await rebuilding;
    expect(result.rebuiltToLsn).toBe(await testbed.eventStore.headLsn());
    await testbed.append([{ streamId: 'inflight-d1', event: voteCast('inflight-d1', 'after') }]);
    await caughtUp('inflight');
    await worker.stop();
    expect(await readCounts(testbed.db, 'inflight')).toEqual(await expectedCounts(testbed.eventStore));
  });

  it('rebuilds a projection that never ran; a worker started later applies nothing twice', async () => {
    const recorded = await testbed.append(votes('never', 2, 2));
    const result = await rebuildProjection({ db: testbed.db, projection: streamCounter('never'), eventStore: testbed.eventStore });
    expect(await checkpoints('never')).toEqual([]);

    // Its first partition starts at the rebuilt head: delivering the whole log again changes nothing.
    const all = await testbed.eventStore.readAll({ fromLsn: 1 });
    const redelivery = scriptedSource([{ topic: 'log', partition: 0, events: all, watermarkLsn: all.at(-1)!.lsn, nextOffset: null }]);
    await createProjectionWorker({ db: testbed.db, projection: streamCounter('never'), source: redelivery }).run(new AbortController().signal);

    expect(await checkpoints('never')).toEqual([{ topic: 'log', partition: 0, applied_lsn: result.rebuiltToLsn, next_offset: null }]);
    expect(await readCounts(testbed.db, 'never')).toEqual(await expectedCounts(testbed.eventStore));
    expect(recorded.at(-1)!.lsn).toBeLessThanOrEqual(result.rebuiltToLsn);
  });

  it('leaves the live projection untouched and no schema behind when the rebuild fails', async () => {
    await testbed.append(votes('failing', 1, 1));
    const worker = startWorker(streamCounter('failing'));
    await caughtUp('failing');
    await worker.stop();
    const before = await readCounts(testbed.db, 'failing');

    const broken: Projection = {
      ...streamCounter('failing'),
      migrations: [{ name: '001_broken', up: async (knex) => void (await knex.raw('create table broken (')) }],
    };
    await expect(rebuildProjection({ db: testbed.db, projection: broken, eventStore: testbed.eventStore })).rejects.toThrow(
      /projection failing: rebuild failed: projection failing: migrating schema projection_failing_rebuild_\d+ failed/,
    );
    expect(await schemasOf('failing')).toEqual(['projection_failing']);
    expect(await readCounts(testbed.db, 'failing')).toEqual(before);
  });
});

async function advisoryLockWaiters(): Promise<number> {
  const { rows } = await testbed.db.pool.query<{ waiting: number }>(
    `select count(*)::int as waiting from pg_locks
      where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
  );
  return rows[0]?.waiting ?? 0;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
