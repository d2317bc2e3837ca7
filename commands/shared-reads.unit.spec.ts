import { describe, expect, it } from 'vitest';
import { SharedReads } from './shared-reads.ts';

describe('SharedReads', () => {
  it('gives concurrent callers of one key the same read, and starts a new read once it settled', async () => {
    const reads = new SharedReads<number>();
    let started = 0;
    let release!: (value: number) => void;
    const read = () => {
      started++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const first = reads.run('d1', read);
    const second = reads.run('d1', read);
    expect(started).toBe(1);
    release(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    const third = reads.run('d1', read);
    expect(started).toBe(2);
    release(8);
    expect(await third).toBe(8);
  });

  it('keeps keys apart and lets a failed read be retried', async () => {
    const reads = new SharedReads<string>();
    await expect(reads.run('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await reads.run('a', async () => 'up')).toBe('up');
    expect(await Promise.all([reads.run('a', async () => 'x'), reads.run('b', async () => 'y')])).toEqual(['x', 'y']);
  });
});
