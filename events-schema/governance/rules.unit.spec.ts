import { describe, expect, it } from 'vitest';
import { deadlinePassed } from './rules.ts';

describe('governance rules', () => {
  it('deadlinePassed: never without a deadline; not just before closesAt; at closesAt and after it', () => {
    const closesAt = 1_700_000_000_000;
    expect(deadlinePassed(null, closesAt)).toBe(false);
    expect(deadlinePassed(closesAt, closesAt - 1)).toBe(false);
    expect(deadlinePassed(closesAt, closesAt)).toBe(true);
    expect(deadlinePassed(closesAt, closesAt + 1)).toBe(true);
  });
});
