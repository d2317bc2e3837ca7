// Turns avsc's validation callbacks into issues that name the failing field, e.g. `weights.expert`.
import avro from 'avsc';
import type { Type, types } from 'avsc';

export type ValidationIssue = { path: string; message: string };

/** Every issue that stops `value` from being written with `type`; empty when it is valid. */
export function validationIssues(type: Type, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  type.isValid(value, {
    // Fields the schema does not know would be dropped silently on encode: refuse them instead.
    noUndeclaredFields: true,
    errorHook: (path, invalid, invalidType) => issues.push(...describe(path, invalid, invalidType)),
  });
  return issues;
}

function describe(path: string[], value: unknown, type: Type): ValidationIssue[] {
  const at = path.join('.');
  if (avro.Type.isType(type, 'record') && isObject(value)) {
    // avsc reports an undeclared field on the record that holds it; name the field itself.
    const declared = new Set((type as types.RecordType).fields.map((field) => field.name));
    const undeclared = Object.keys(value).filter((key) => !declared.has(key));
    if (undeclared.length > 0) {
      return undeclared.map((key) => ({ path: [...path, key].join('.'), message: 'not a field of the schema' }));
    }
  }
  const expected = describeType(type);
  return [{ path: at, message: value === undefined ? `missing, expected ${expected}` : `expected ${expected}, got ${show(value)}` }];
}

function describeType(type: Type): string {
  if (avro.Type.isType(type, 'enum')) return `one of ${(type as types.EnumType).symbols.join(' | ')}`;
  if (avro.Type.isType(type, 'long')) return 'long (a safe integer)';
  if (type.name) return `${type.typeName} ${type.name}`;
  const schema = type.schema();
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}

function show(value: unknown): string {
  const text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
