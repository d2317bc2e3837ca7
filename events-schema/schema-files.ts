// Finds the schema files: events-schema/<context>/<EventType>.v<N>.avsc. Adding a file is all it takes
// to register a version; the registry checks that the file name agrees with the record inside.
import { readdirSync, readFileSync } from 'node:fs';
import { SchemaRegistryError } from './errors.ts';

export type SchemaFile = { context: string; fileName: string; schema: unknown };

/** `VoteCast.v1.avsc` → type `VoteCast`, version 1 (no leading zeros, so each version has one name). */
export const SCHEMA_FILE_NAME = /^([A-Za-z_][A-Za-z0-9_]*)\.v([1-9][0-9]*)\.avsc$/;

export function readSchemaFiles(root: URL): SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.avsc')) {
      throw new SchemaRegistryError(`${entry.name}: schema files live in a context folder, events-schema/<context>/`);
    }
    if (!entry.isDirectory()) continue;
    const folder = new URL(`${entry.name}/`, root);
    for (const fileName of readdirSync(folder).filter((name) => name.endsWith('.avsc')).sort()) {
      const text = readFileSync(new URL(fileName, folder), 'utf8');
      let schema: unknown;
      try {
        schema = JSON.parse(text);
      } catch (error) {
        throw new SchemaRegistryError(`${entry.name}/${fileName}: not JSON: ${(error as Error).message}`);
      }
      files.push({ context: entry.name, fileName, schema });
    }
  }
  return files;
}
