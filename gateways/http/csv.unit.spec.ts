import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { csvColumns, encodeCsv, guardedFromFormula } from './csv.ts';

const decision = z.object({
  decisionId: z.string(),
  title: z.string(),
  votes: z.number().int(),
  closesAt: z.string().nullable(),
  results: z.object({ citizen: z.object({ yes: z.number(), no: z.number() }), weighted: z.record(z.string(), z.number()) }).nullable(),
  options: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
  proof: z.object({ batchId: z.number().int(), path: z.array(z.string()) }).nullable().optional(),
});

const columnsOf = (schema: z.ZodType) => csvColumns(schema).map(({ name }) => name);

describe('csvColumns', () => {
  it('flattens nested objects to dotted names in schema order, and keeps arrays and records as one column', () => {
    expect(columnsOf(decision)).toEqual([
      'decisionId',
      'title',
      'votes',
      'closesAt',
      'results.citizen.yes',
      'results.citizen.no',
      'results.weighted',
      'options',
      'data',
      'proof.batchId',
      'proof.path',
    ]);
    expect(csvColumns(decision).filter(({ encoding }) => encoding === 'json').map(({ name }) => name)).toEqual(['results.weighted', 'options', 'data', 'proof.path']);
  });

  it('treats enums, literals, defaults and unions of scalars as plain values', () => {
    const row = z.object({ status: z.enum(['open', 'closed']), kind: z.literal('x'), limit: z.number().default(5), id: z.string().or(z.number()) });
    expect(csvColumns(row).map(({ encoding }) => encoding)).toEqual(['value', 'value', 'value', 'value']);
  });

  it('refuses a row that is not an object', () => {
    expect(() => csvColumns(z.string())).toThrow(/object schema/);
  });
});

describe('encodeCsv', () => {
  const columns = csvColumns(decision);

  it('gives only the header for an empty list, ended with CRLF', () => {
    expect(encodeCsv(columns, [])).toBe('decisionId,title,votes,closesAt,results.citizen.yes,results.citizen.no,results.weighted,options,data,proof.batchId,proof.path\r\n');
  });

  it('writes one CRLF-ended line per row; null, absent and null parents are empty cells; arrays and records as JSON', () => {
    const csv = encodeCsv(columns, [
      { decisionId: 'd1', title: 'Park', votes: 3, closesAt: null, results: { citizen: { yes: 2, no: 1 }, weighted: { yes: 2.5 } }, options: ['yes', 'no'], data: {}, proof: { batchId: 4, path: ['0xab'] } },
      { decisionId: 'd2', title: 'Road', votes: 0, closesAt: '2026-12-01T00:00:00.000Z', results: null, options: [], data: { a: 1 } },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'decisionId,title,votes,closesAt,results.citizen.yes,results.citizen.no,results.weighted,options,data,proof.batchId,proof.path',
      'd1,Park,3,,2,1,"{""yes"":2.5}","[""yes"",""no""]",{},4,"[""0xab""]"',
      'd2,Road,0,2026-12-01T00:00:00.000Z,,,,[],"{""a"":1}",,',
      '',
    ]);
    expect(csv).not.toMatch(/[^\r]\n/);
  });

  it('quotes fields holding a comma, a quote, CR or LF, and doubles the quotes', () => {
    const row = z.object({ text: z.string() });
    const csv = encodeCsv(csvColumns(row), [{ text: 'a,b' }, { text: 'say "hi"' }, { text: 'two\nlines' }, { text: 'cr\rhere' }, { text: 'plain' }]);
    expect(csv).toBe('text\r\n"a,b"\r\n"say ""hi"""\r\n"two\nlines"\r\n"cr\rhere"\r\nplain\r\n');
  });

  it('guards text cells that a spreadsheet would run as a formula, and leaves numbers as they are', () => {
    const row = z.object({ text: z.string(), amount: z.number() });
    const csv = encodeCsv(csvColumns(row), [
      { text: '=HYPERLINK("http://x")', amount: -5 },
      { text: '+1', amount: 0 },
      { text: '-2+3', amount: -0.5 },
      { text: '@SUM(A1)', amount: 1 },
      { text: '\tcmd', amount: 2 },
      { text: '\r=1', amount: 3 },
      { text: 'safe = text', amount: 4 },
    ]);
    expect(csv.split('\r\n').slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://x"")",-5`,
      `'+1,0`,
      `'-2+3,-0.5`,
      `'@SUM(A1),1`,
      `'\tcmd,2`,
      `"'\r=1",3`,
      'safe = text,4',
    ]);
    expect(guardedFromFormula('-12')).toBe("'-12");
  });

  it('writes booleans and big numbers as text of their value', () => {
    const row = z.object({ flag: z.boolean(), big: z.number() });
    expect(encodeCsv(csvColumns(row), [{ flag: false, big: 9007199254740991 }])).toBe('flag,big\r\nfalse,9007199254740991\r\n');
  });
});
