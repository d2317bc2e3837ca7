import { describe, expect, it } from 'vitest';
import { calendarDay, cleanString, instant, isCleanText, text } from './text.ts';

describe('isCleanText', () => {
  it('refuses C0, DEL and C1 control characters and unpaired surrogates', () => {
    for (const bad of ['a\u0000b', '\u0007', 'tab\there', 'line\nfeed', '\u007f', '\u0085', '\u009f', 'x\ud800', '\udc00y']) {
      expect(isCleanText(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('accepts any other text, astral characters and marks included', () => {
    for (const good of ['', 'Acme Corp', 'Zoë – ☃', '𝄞 music', '👩🏽‍💻', 'a\u2028b', 'e\u0301']) expect(isCleanText(good), good).toBe(true);
  });
});

describe('text and cleanString', () => {
  it('text trims, then refuses empty, too long and control characters', () => {
    expect(text(5).parse('  abc ')).toBe('abc');
    expect(text(5).safeParse('   ').success).toBe(false);
    expect(text(5).safeParse('abcdef').success).toBe(false);
    expect(text(5).safeParse('a\u0000').error?.issues[0]?.message).toBe('control characters are not allowed');
  });

  it('cleanString keeps the string as sent and takes further rules', () => {
    expect(cleanString().max(3).parse(' a ')).toBe(' a ');
    expect(cleanString().max(3).safeParse('abcd').success).toBe(false);
    expect(cleanString().safeParse('a\u001bb').success).toBe(false);
  });
});

describe('dates', () => {
  it('calendarDay takes years 1970 to 9999 only', () => {
    for (const good of ['1970-01-01', '2024-02-29', '9999-12-31']) expect(calendarDay().safeParse(good).success, good).toBe(true);
    for (const bad of ['0000-01-01', '1969-12-31', '2023-02-29', '10000-01-01', '2024-1-01', '']) expect(calendarDay().safeParse(bad).success, bad).toBe(false);
  });

  it('instant takes an offset time whose year, as written and in UTC, is 1970 to 9999', () => {
    for (const good of ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00+02:00', '9999-12-31T00:00:00Z']) expect(instant().safeParse(good).success, good).toBe(true);
    for (const bad of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', '9999-12-31T23:00:00-02:00', '2030-01-01']) {
      expect(instant().safeParse(bad).success, bad).toBe(false);
    }
  });
});
