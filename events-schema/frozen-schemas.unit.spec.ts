// A published schema version is frozen: its Parsing Canonical Form — hence its fingerprint, the bytes every
// stored event and Kafka record carries — never changes. Docs, defaults and logical types may be edited (the
// canonical form drops them); testing/written-before.json holds what each version wrote before such edits
// (one sample per file, its fingerprint, its bytes, what they decoded to), so this spec proves that old data
// still reads the same. A new version file adds its entry there.
import { describe, expect, it } from 'vitest';
import { readSchemaFiles } from './schema-files.ts';
import { decodeEvent, encodeEvent, schemaVersions, type ProoflineEvent } from './index.ts';
import writtenBefore from './testing/written-before.json' with { type: 'json' };

type Written = { schema: string; fingerprint: string; written: string; decoded: ProoflineEvent };
const frozen: Written[] = writtenBefore as Written[];
const schemaFiles = readSchemaFiles(new URL('./', import.meta.url)).map(({ context, fileName }) => {
  const [type = '', version = ''] = fileName.split('.');
  return { path: `${context}/${fileName}`, type, version: Number(version.slice(1)) };
});

function isLatestVersion({ schema }: Written): boolean {
  const file = schemaFiles.find(({ path }) => path === schema);
  return file !== undefined && schemaVersions(file.type).at(-1)!.version === file.version;
}

describe('published schema versions', () => {
  it('every schema file has its frozen entry', () => {
    expect(schemaFiles.map(({ path }) => path).sort()).toEqual(frozen.map(({ schema }) => schema).sort());
  });

  it.each(schemaFiles)('$path keeps its fingerprint', ({ path, type, version }) => {
    const entry = frozen.find(({ schema }) => schema === path)!;
    expect(schemaVersions(type).find((registered) => registered.version === version)?.fingerprintHex).toBe(entry.fingerprint);
  });

  it.each(frozen)('bytes written with $schema decode as they did', ({ written, fingerprint, decoded }) => {
    const bytes = Buffer.from(written, 'hex');
    expect(bytes.subarray(2, 10).toString('hex')).toBe(fingerprint);
    expect(decodeEvent(bytes)).toStrictEqual(decoded);
  });

  // Older versions are only read; events are written with the latest one.
  it.each(frozen.filter(isLatestVersion))('$schema: the same event is still written byte for byte', ({ written, decoded }) => {
    expect(encodeEvent(decoded).toString('hex')).toBe(written);
  });
});
