import { describe, expect, it } from 'vitest';
import { DISPUTE_WINDOW_MS } from './rules.ts';

describe('crawl rules', () => {
  it('the dispute window in milliseconds is seven days', () => {
    expect(DISPUTE_WINDOW_MS).toBe(7 * 86_400_000);
  });
});
