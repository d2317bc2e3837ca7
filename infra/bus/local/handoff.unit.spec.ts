import { describe, expect, it } from 'vitest';
import { Handoff } from './handoff.ts';

describe('Handoff', () => {
  it('gives the consumer whatever is queued, up to the maximum', async () => {
    const queue = new Handoff<number>(10);
    for (const n of [1, 2, 3]) await queue.put(n);
    expect(await queue.take(2)).toEqual([1, 2]);
    expect(await queue.take(5)).toEqual([3]);
  });

  it('holds the producer while full and lets it go when the consumer takes', async () => {
    const queue = new Handoff<number>(2);
    await queue.put(1);
    let second = false;
    const putting = queue.put(2).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    expect(await queue.take(1)).toEqual([1]);
    await putting;
    expect(second).toBe(true);
  });

  it('wakes a waiting consumer on put, and on end with [] or the failure', async () => {
    const queue = new Handoff<number>(2);
    const waiting = queue.take(5);
    await queue.put(7);
    expect(await waiting).toEqual([7]);

    const ended = queue.take(5);
    queue.end();
    expect(await ended).toEqual([]);

    const failing = new Handoff<number>(2);
    const failed = failing.take(5);
    failing.end(new Error('subscription lost'));
    await expect(failed).rejects.toThrow('subscription lost');
  });
});
