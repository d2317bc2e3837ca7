import { describe, expect, it } from 'vitest';
import { StallTracker } from './stall-tracker.ts';

const sample = (watermarkLsn: number) => [{ projection: 'governance', watermarkLsn }];

describe('StallTracker', () => {
  it('reports a projection at the head as current', () => {
    const tracker = new StallTracker(1000);
    expect(tracker.observe(10, sample(10), 0)).toEqual([{ projection: 'governance', status: 'current', watermarkLsn: 10, headLsn: 10, stillForMs: 0 }]);
  });

  it('reports a projection behind the head whose watermark moves as catching up, however long it takes', () => {
    const tracker = new StallTracker(1000);
    for (let step = 0; step < 10; step += 1) {
      const [health] = tracker.observe(100 + step * 10, sample(step), step * 900);
      expect(health).toMatchObject({ status: 'catching_up', stillForMs: 0 });
    }
  });

  it('reports it stalled once its watermark stood still behind the head for longer than the threshold, and not before', () => {
    const tracker = new StallTracker(1000);
    expect(tracker.observe(12, sample(5), 0)[0]).toMatchObject({ status: 'catching_up', stillForMs: 0 });
    expect(tracker.observe(13, sample(5), 1000)[0]).toMatchObject({ status: 'catching_up', stillForMs: 1000 });
    expect(tracker.observe(14, sample(5), 1001)[0]).toMatchObject({ status: 'stalled', stillForMs: 1001, watermarkLsn: 5, headLsn: 14 });
    // It moves again: catching up, its clock restarted.
    expect(tracker.observe(14, sample(6), 5000)[0]).toMatchObject({ status: 'catching_up', stillForMs: 0 });
    expect(tracker.observe(14, sample(14), 5100)[0]).toMatchObject({ status: 'current' });
  });

  it('does not count time spent idle at the head: a projection that just fell behind is not stalled', () => {
    const tracker = new StallTracker(1000);
    tracker.observe(10, sample(10), 0);
    expect(tracker.observe(11, sample(10), 60_000)[0]).toMatchObject({ status: 'catching_up', stillForMs: 0 });
    expect(tracker.observe(11, sample(10), 61_001)[0]).toMatchObject({ status: 'stalled', stillForMs: 1001 });
  });

  it('keeps each projection on its own clock', () => {
    const tracker = new StallTracker(1000);
    tracker.observe(10, [{ projection: 'a', watermarkLsn: 3 }, { projection: 'b', watermarkLsn: 3 }], 0);
    const health = tracker.observe(10, [{ projection: 'a', watermarkLsn: 3 }, { projection: 'b', watermarkLsn: 9 }], 2000);
    expect(health.map((h) => [h.projection, h.status])).toEqual([
      ['a', 'stalled'],
      ['b', 'catching_up'],
    ]);
  });

  it('refuses a threshold that is not positive', () => {
    expect(() => new StallTracker(0)).toThrow(RangeError);
  });
});
