import { describe, expect, it } from 'vitest';
import { WatermarkPlan } from './watermark-plan.ts';
import { partitionKey } from './topics.ts';

const partitions = [0, 1, 2].map((partition) => ({ topic: 't.governance.v1', partition }));
const [p0, p1, p2] = partitions as [(typeof partitions)[0], (typeof partitions)[0], (typeof partitions)[0]];
const touched = (...refs: typeof partitions) => new Set(refs.map(partitionKey));

describe('the relay’s watermark plan (injected clock, interval 1000 ms)', () => {
  it('watermarks, with a session’s first batch, every partition without events', () => {
    const plan = new WatermarkPlan(partitions, 1000);
    expect(plan.forBatch(touched(p0), 0)).toEqual([p1, p2]);
  });

  it('spares a partition told less than the interval ago, by a watermark or by its own events', () => {
    const plan = new WatermarkPlan(partitions, 1000);
    plan.acknowledged([p0, p1, p2], 10, 0); // batch 1: p0 by its event, p1 and p2 by watermarks
    expect(plan.forBatch(touched(p0), 400)).toEqual([]);
    plan.acknowledged([p0], 11, 400);
    expect(plan.forBatch(touched(p1), 999)).toEqual([]);
    plan.acknowledged([p1], 12, 999);
    expect(plan.forBatch(touched(p1), 1000)).toEqual([p2]); // p0 was told at 400, p2 at 0
  });

  it('tells the partitions behind the head by a timer once their interval has passed: traffic that stops still reaches every partition', () => {
    const plan = new WatermarkPlan(partitions, 1000);
    expect(plan.nextDueAt()).toBeUndefined(); // nothing published yet
    plan.acknowledged([p0, p1, p2], 10, 0);
    expect(plan.nextDueAt()).toBeUndefined(); // every partition knows the head
    plan.acknowledged([p0], 11, 300);
    plan.acknowledged([p1], 12, 600);
    expect(plan.nextDueAt()).toBe(1000); // behind the head: p0 (told at 300) and p2 (told at 0)
    expect(plan.due(999)).toEqual({ lsn: 12, partitions: [] });
    expect(plan.due(1000)).toEqual({ lsn: 12, partitions: [p2] });
    plan.acknowledged([p2], 12, 1000);
    expect(plan.nextDueAt()).toBe(1300); // p0, behind since 12 was published
    expect(plan.due(1300)).toEqual({ lsn: 12, partitions: [p0] });
    plan.acknowledged([p0], 12, 1300);
    expect(plan.nextDueAt()).toBeUndefined(); // p1 was told 12 by its event
  });

  it('names, for a relay that stops, every partition behind the head whatever its interval', () => {
    const plan = new WatermarkPlan(partitions, 1000);
    plan.acknowledged(partitions, 10, 0);
    plan.acknowledged([p1], 11, 10);
    expect(plan.behindHead()).toEqual({ lsn: 11, partitions: [p0, p2] });
    expect(plan.due(20).partitions).toEqual([]);
  });

  it('with interval 0 watermarks every partition without events after every batch, as relays did before', () => {
    const plan = new WatermarkPlan(partitions, 0);
    plan.acknowledged(partitions, 10, 0);
    expect(plan.forBatch(touched(p1), 0)).toEqual([p0, p2]);
  });

  it('refuses an interval that is not a whole number of ms ≥ 0', () => {
    expect(() => new WatermarkPlan(partitions, -1)).toThrow(RangeError);
    expect(() => new WatermarkPlan(partitions, 0.5)).toThrow(RangeError);
  });
});
