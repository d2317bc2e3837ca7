import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import { leafOfEvent } from '../../../events-schema/leaf.ts';
import type { AnchoredBatch } from '../../../ports/anchor-chain.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { voteCast } from '../../testing/governance-events.ts';
import { merkleRoot } from '../merkle-tree.ts';
import { verifyLog, type LogReader } from './verify-log.ts';

const events: RecordedEvent[] = Array.from({ length: 6 }, (_, i) => ({
  eventId: randomUUID(), type: 'VoteCast', streamId: `ballot-x:v${i}`, revision: 0, lsn: i + 1,
  data: encodeEvent(voteCast('x', `v${i}`)), metadata: {}, recordedAt: new Date(0),
}));

/** A log that hands out `rows` as a store without gap checks would: every row from fromLsn on, in order. */
function logOf(rows: readonly RecordedEvent[]): LogReader {
  return {
    headLsn: async () => Math.max(0, ...rows.map((row) => row.lsn)),
    readAll: async ({ fromLsn, limit }) => {
      const start = rows.findIndex((row) => row.lsn >= fromLsn);
      return start === -1 ? [] : rows.slice(start, start + (limit ?? rows.length));
    },
  };
}

function batch(batchId: number, fromLsn: number, toLsn: number): AnchoredBatch {
  return { batchId, fromLsn, toLsn, root: merkleRoot(events.slice(fromLsn - 1, toLsn).map(leafOfEvent)) };
}

function chainOf(batches: AnchoredBatch[]) {
  return { nextBatchId: async () => batches.length + 1, batch: async (id: number) => batches[id - 1] ?? null };
}

describe('verifyLog against a misbehaving log or contract', () => {
  it('reports an LSN the log hands out twice as extra', async () => {
    const log = logOf([...events.slice(0, 3), { ...events[2]!, eventId: randomUUID() }, ...events.slice(3)]);
    const report = await verifyLog({ eventStore: log, chain: chainOf([batch(1, 1, 3), batch(2, 4, 6)]), pageSize: 2 });
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'extra', fromLsn: 3, toLsn: 3, lsns: [3], batchId: 1 })]);
  });

  it('reports a hole between the contract ranges as extra: those events are accounted for by no batch', async () => {
    const report = await verifyLog({ eventStore: logOf(events), chain: chainOf([batch(1, 1, 2), { ...batch(2, 4, 6) }]) });
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'extra', fromLsn: 3, toLsn: 3, batchId: 2 })]);
  });

  it('reports a jump in a log that does not stop at gaps as missing', async () => {
    const report = await verifyLog({ eventStore: logOf(events.filter((event) => event.lsn !== 5)), chain: chainOf([batch(1, 1, 3), batch(2, 4, 6)]) });
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'missing', fromLsn: 5, toLsn: 5, batchId: 2 })]);
  });

  it('passes an empty log with nothing anchored', async () => {
    expect(await verifyLog({ eventStore: logOf([]), chain: chainOf([]) })).toMatchObject({ ok: true, eventsChecked: 0, mismatches: [] });
  });
});
