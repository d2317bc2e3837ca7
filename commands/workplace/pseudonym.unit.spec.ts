import { describe, expect, it } from 'vitest';
import { reviewerPseudonym, reviewIdempotencyKey } from './pseudonym.ts';

const key = new Uint8Array(32).fill(7);

describe('reviewerPseudonym', () => {
  it('is the same for one reviewer however the subject is written: checksummed or not, spaces, case, Unicode composition', () => {
    const wallet = reviewerPseudonym(key, 'acme', '0x52908400098527886E0F7030069857D2E4169EE7');
    expect(reviewerPseudonym(key, 'acme', '0x52908400098527886e0f7030069857d2e4169ee7')).toBe(wallet);
    const pseudonym = reviewerPseudonym(key, 'acme', 'ana.lópez@acme.example');
    expect(reviewerPseudonym(key, 'acme', '  Ana.López@ACME.example ')).toBe(pseudonym);
    expect(reviewerPseudonym(key, 'acme', 'ana.lo\u0301pez@acme.example')).toBe(pseudonym); // o + combining acute
  });

  it('differs between people, between companies and between keys, and never contains the id', () => {
    const pseudonym = reviewerPseudonym(key, 'acme', 'ana@acme.example');
    expect(reviewerPseudonym(key, 'acme', 'bo@acme.example')).not.toBe(pseudonym);
    expect(reviewerPseudonym(key, 'globex', 'ana@acme.example')).not.toBe(pseudonym);
    expect(reviewerPseudonym(new Uint8Array(32).fill(8), 'acme', 'ana@acme.example')).not.toBe(pseudonym);
    expect(pseudonym).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps company and subject apart: ("ab", "c") and ("a", "bc") are different inputs', () => {
    expect(reviewerPseudonym(key, 'ab', 'c')).not.toBe(reviewerPseudonym(key, 'a', 'bc'));
  });
});

describe('reviewIdempotencyKey', () => {
  it('is the same for the same reviewer and key (replays find the review), another for another reviewer, and never the key itself', () => {
    const first = reviewIdempotencyKey(key, 'pseudonym-a', 'client-key');
    expect(reviewIdempotencyKey(key, 'pseudonym-a', 'client-key')).toBe(first);
    expect(reviewIdempotencyKey(key, 'pseudonym-b', 'client-key')).not.toBe(first);
    expect(reviewIdempotencyKey(new Uint8Array(32).fill(8), 'pseudonym-a', 'client-key')).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first).not.toContain('client-key');
  });
});
