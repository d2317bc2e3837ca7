import { describe, expect, it } from 'vitest';
import { BatchReader } from './batch-reader.ts';

/** An async iterator fed by hand: items pushed are at hand; next() waits when there are none. */
function feed<T>() {
  const items: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let ended = false;
  const iterator: AsyncIterator<T> = {
    next: () => {
      const item = items.shift();
      if (item !== undefined) return Promise.resolve({ value: item, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
  return {
    iterator,
    push(...values: T[]) {
      for (const value of values) {
        const resolve = waiting.shift();
        if (resolve) resolve({ value, done: false });
        else items.push(value);
      }
    },
    end() {
      ended = true;
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    },
  };
}

describe('BatchReader', () => {
  it('takes what is at hand, up to maxItems, without waiting for more', async () => {
    const source = feed<number>();
    const reader = new BatchReader(source.iterator);
    source.push(1, 2, 3, 4, 5);
    expect(await reader.next({ maxItems: 3 })).toEqual([1, 2, 3]);
    expect(await reader.next({ maxItems: 3 })).toEqual([4, 5]);
    const later = reader.next({ maxItems: 3 });
    source.push(6);
    expect(await later).toEqual([6]);
  });

  it('stops growing a batch at the byte budget; the item that did not fit opens the next one', async () => {
    const source = feed<string>();
    const reader = new BatchReader(source.iterator);
    source.push('aaaa', 'bbbb', 'cccc');
    const limits = { maxItems: 10, maxBytes: 9, sizeOf: (item: string) => item.length };
    expect(await reader.next(limits)).toEqual(['aaaa', 'bbbb']);
    expect(await reader.next(limits)).toEqual(['cccc']);
  });

  it('returns an empty batch once the iterator ended, and keeps the last items before it', async () => {
    const source = feed<number>();
    const reader = new BatchReader(source.iterator);
    source.push(1);
    source.end();
    expect(await reader.next({ maxItems: 5 })).toEqual([1]);
    expect(await reader.next({ maxItems: 5 })).toEqual([]);
    expect(await reader.next({ maxItems: 5 })).toEqual([]);
  });

  it('surfaces an iterator failure when the item is taken, not as an unhandled rejection', async () => {
    let calls = 0;
    const iterator: AsyncIterator<number> = {
      next: () => (++calls === 1 ? Promise.resolve({ value: 1, done: false }) : Promise.reject(new Error('store went away'))),
    };
    const reader = new BatchReader(iterator);
    expect(await reader.next({ maxItems: 1 })).toEqual([1]);
    await expect(reader.next({ maxItems: 1 })).rejects.toThrow('store went away');
  });
});
