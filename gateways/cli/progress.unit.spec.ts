import { describe, expect, it } from 'vitest';
import { createProgress, describe as describeProgress } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
}

describe('progress line', () => {
  it('says done / total, the rate and the time left', () => {
    expect(describeProgress({ label: 'verify', unit: 'events' }, 25_000, 100_000, 500)).toBe(
      'verify: 25,000 / 100,000 events (25%), 50,000 events/s, ETA 2s',
    );
  });

  it('redraws in place on a terminal, at most every 100 ms, and ends the line when finished', () => {
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const progress = createProgress({ label: 'verify', unit: 'events', stream, now: () => now });
    progress.update(10, 100);
    now = 50;
    progress.update(20, 100);
    now = 150;
    progress.update(30, 100);
    progress.finish();
    expect(writes.filter((text) => text.startsWith('\r'))).toHaveLength(3);
    expect(writes.at(-1)).toBe('\n');
  });

  it('writes whole lines every few seconds when stderr is not a terminal', () => {
    let now = 0;
    const { writes, stream } = fakeStream(false);
    const progress = createProgress({ label: 'verify', unit: 'events', stream, now: () => now, lineIntervalMs: 5000 });
    for (let done = 1; done <= 10; done++) {
      now = done * 1000;
      progress.update(done, 10);
    }
    progress.finish();
    expect(writes.every((text) => text.endsWith('\n') && !text.includes('\r'))).toBe(true);
    expect(writes).toHaveLength(3); // t=1 s, t=6 s, and the final line
  });
});
