import { describe, expect, it } from 'vitest';
import { parseAccept, preferredType } from './accept.ts';

const offered = ['application/json', 'text/csv'] as const;

describe('preferredType', () => {
  it('answers the default (the first offered) without an Accept header, for */* and for a header of no valid range', () => {
    expect(preferredType(undefined, offered)).toBe('application/json');
    expect(preferredType('*/*', offered)).toBe('application/json');
    expect(preferredType('', offered)).toBe('application/json');
    expect(preferredType('nonsense', offered)).toBe('application/json');
  });

  it('answers CSV when the client names it, with or without parameters or case', () => {
    expect(preferredType('text/csv', offered)).toBe('text/csv');
    expect(preferredType('Text/CSV; header=present', offered)).toBe('text/csv');
    expect(preferredType('text/*', offered)).toBe('text/csv');
  });

  it('follows q-values, and the client’s order on a tie', () => {
    expect(preferredType('application/json;q=0.5, text/csv', offered)).toBe('text/csv');
    expect(preferredType('text/csv;q=0.5, application/json', offered)).toBe('application/json');
    expect(preferredType('text/csv, application/json', offered)).toBe('text/csv');
    expect(preferredType('application/json, text/csv', offered)).toBe('application/json');
    expect(preferredType('text/csv;q=0.9, */*;q=0.1', offered)).toBe('text/csv');
  });

  it('prefers the more specific match: */* does not outrank a named type of the same q', () => {
    expect(preferredType('*/*, text/csv', offered)).toBe('text/csv');
    // text/csv takes the q of its own range (0.4), not text/*'s or */*'s: JSON (0.5 by */*) wins.
    expect(preferredType('text/csv;q=0.4, text/*;q=1, */*;q=0.5', offered)).toBe('application/json');
  });

  it('treats q=0 as “not acceptable”, and answers none when nothing offered is acceptable', () => {
    expect(preferredType('text/csv;q=0, */*', offered)).toBe('application/json');
    expect(preferredType('application/json;q=0, */*', offered)).toBe('text/csv');
    expect(preferredType('text/html', offered)).toBeUndefined();
    expect(preferredType('text/csv', ['application/json'])).toBeUndefined();
  });
});

describe('parseAccept', () => {
  it('leaves out malformed ranges and q-values', () => {
    expect(parseAccept('text/csv;q=2, */json, a/b/c, text/plain;q=0.25, ;q=1, application/json;q=0.1234').map(({ type, subtype, q }) => `${type}/${subtype};${q}`)).toEqual(['text/plain;0.25']);
  });
});
