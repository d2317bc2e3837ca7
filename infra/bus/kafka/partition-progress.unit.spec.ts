import { describe, expect, it } from 'vitest';
import type { ProgressRecord } from '../../../events-schema/index.ts';
import { PartitionProgress } from './partition-progress.ts';

const STORE = 'store-a';
const p0 = { topic: 't.governance.v1', partition: 0 };
const p1 = { topic: 't.governance.v1', partition: 1 };
const other = { topic: 't.crawl.v1', partition: 0 };

function record(lsn: number, ends: Array<[typeof p0, number]>, storeId = STORE): ProgressRecord {
  return { storeId, lsn, partitions: ends.map(([ref, endOffset]) => ({ ...ref, endOffset: BigInt(endOffset) })) };
}

describe('PartitionProgress: the relay\'s progress claims against what this source applied', () => {
  it('raises at once an assigned partition applied up to the claimed end offset, and no other', () => {
    const progress = new PartitionProgress(STORE);
    progress.assign([{ ...p0, offset: '5' }, { ...p1, offset: '2' }]);
    expect(progress.receive([record(40, [[p0, 5], [p1, 3], [other, 0]])])).toEqual([{ ...p0, watermarkLsn: 40 }]);
  });

  it('keeps a claim the partition has not reached and hands it to the batch that reaches the offset', () => {
    const progress = new PartitionProgress(STORE);
    progress.assign([{ ...p1, offset: '2' }]);
    expect(progress.receive([record(40, [[p1, 6]])])).toEqual([]);
    expect(progress.claimedUpTo(p1, '5')).toBe(0); // a batch ending below the offset: not covered
    expect(progress.claimedUpTo(p1, '6')).toBe(40);
    expect(progress.handled(p1, '6', 40)).toBeUndefined(); // the batch carried it: nothing more to raise
    expect(progress.deliveredLsn(p1)).toBe(40);
    expect(progress.claimedUpTo(p1, '100')).toBe(0); // used up
  });

  it('a claim that arrived while a batch was being handled is raised right after, once the batch reached it', () => {
    const progress = new PartitionProgress(STORE);
    progress.assign([{ ...p1, offset: '0' }]);
    const claimedBefore = progress.claimedUpTo(p1, '4'); // the batch [0, 4) starts
    expect(progress.receive([record(50, [[p1, 4]])])).toEqual([]); // its position is still 0
    expect(progress.handled(p1, '4', Math.max(31, claimedBefore))).toEqual({ ...p1, watermarkLsn: 50 });
  });

  it('ignores other stores, old claims and partitions assigned elsewhere', () => {
    const progress = new PartitionProgress(STORE);
    progress.assign([{ ...p0, offset: '9' }]);
    expect(progress.receive([record(40, [[p0, 1]], 'store-b')])).toEqual([]);
    expect(progress.receive([record(40, [[p0, 1]])])).toEqual([{ ...p0, watermarkLsn: 40 }]);
    progress.raised([{ ...p0, watermarkLsn: 40 }]);
    expect(progress.receive([record(39, [[p0, 1]])])).toEqual([]); // not above what was handed over
    progress.revokeAll();
    expect(progress.receive([record(60, [[p0, 1]])])).toEqual([]); // nothing assigned during a rebalance
  });

  it('applies the latest record to partitions assigned after it arrived', () => {
    const progress = new PartitionProgress(STORE);
    progress.receive([record(70, [[p0, 3], [p1, 8]])]);
    expect(progress.assign([{ ...p0, offset: '3' }, { ...p1, offset: '4' }])).toEqual([{ ...p0, watermarkLsn: 70 }]);
    expect(progress.claimedUpTo(p1, '8')).toBe(70);
  });

  it('positions only rise; a stale batch of a partition no longer assigned changes no position', () => {
    const progress = new PartitionProgress(STORE);
    progress.assign([{ ...p0, offset: '10' }]);
    progress.handled(p0, '7', 5); // older than the position
    expect(progress.receive([record(80, [[p0, 10]])])).toEqual([{ ...p0, watermarkLsn: 80 }]);
    expect(progress.handled(p1, '99', 3)).toBeUndefined();
    expect(progress.receive([record(81, [[p1, 1]])])).toEqual([]);
  });
});
