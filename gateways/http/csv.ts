// CSV (RFC 4180) of a list answer's rows. The columns come from the row's zod schema, never from the data:
// the same header in the same order for every page, an empty one included. Nested objects become dotted
// columns (`results.citizen.yes`); arrays, records and values of no fixed shape are one column holding
// their JSON text, so that a row stays a row and nothing is lost. null and absent fields are empty cells.
import { z } from 'zod';

export const CSV_MEDIA_TYPE = 'text/csv';
/** What a CSV answer's Content-Type says: UTF-8, first line a header (RFC 4180 §3). */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

export type CsvColumn = {
  /** The header cell: the field's path joined with dots. */
  name: string;
  path: readonly string[];
  /** `json`: the value is written as its JSON text (arrays, records, unknown shapes). */
  encoding: 'value' | 'json';
};

/** The columns of a row schema, in the schema's field order; throws if the row is not an object. */
export function csvColumns(rowSchema: z.ZodType): CsvColumn[] {
  const row = unwrapped(rowSchema);
  if (!(row instanceof z.ZodObject)) throw new Error(`a CSV row must be an object schema, not ${row.def.type}`);
  return columnsOf(row, []);
}

function columnsOf(object: z.ZodObject, prefix: readonly string[]): CsvColumn[] {
  return Object.entries(object.shape as Record<string, z.ZodType>).flatMap(([key, field]) => {
    const path = [...prefix, key];
    const inner = unwrapped(field);
    if (inner instanceof z.ZodObject) return columnsOf(inner, path);
    return [{ name: path.join('.'), path, encoding: isScalar(inner) ? 'value' : 'json' }];
  });
}

/** The schema under optional, nullable, default and readonly wrappers. */
export function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType };
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type) && def.innerType) current = def.innerType;
    else return current;
  }
}

const SCALAR_TYPES = new Set(['string', 'number', 'int', 'bigint', 'boolean', 'enum', 'literal', 'date', 'null', 'template_literal']);

function isScalar(schema: z.ZodType): boolean {
  if (SCALAR_TYPES.has(schema.def.type)) return true;
  // A union of scalars (`z.string().or(z.number())`) is still one plain value.
  const options = (schema.def as { options?: z.ZodType[] }).options;
  return schema.def.type === 'union' && Array.isArray(options) && options.every((option) => isScalar(unwrapped(option)));
}

/** The header line and one line per row, each ended with CRLF. */
export function encodeCsv(columns: readonly CsvColumn[], rows: readonly unknown[]): string {
  const lines = [columns.map(({ name }) => quoted(name)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => cell(valueAt(row, column.path), column.encoding)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function valueAt(row: unknown, path: readonly string[]): unknown {
  let value = row;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function cell(value: unknown, encoding: CsvColumn['encoding']): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' && encoding === 'value' ? value : JSON.stringify(value);
  return quoted(guardedFromFormula(text));
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before them) as a formula: text cells
 * that start so get a leading apostrophe (OWASP's advice on CSV injection). Numbers are never text cells,
 * so a negative amount stays a number.
 */
export function guardedFromFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** RFC 4180 §2: a field holding a comma, a quote, CR or LF is quoted, its quotes doubled. */
function quoted(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
