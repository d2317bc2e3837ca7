// The layer table of docs/architecture.md, enforced on the import graph: every relative import of every non-test
// .ts file is resolved to the top-level folder it lands in, and that folder must be one its own folder may
// import. Test support (*.spec.ts, *.fixture.ts, anything under a folder named testing/) is exempt: tests
// wire real adapters to whatever they test. Imports of npm or node packages are not ours and not checked.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EVERY_LAYER = '*';

/** Folder → the folders it may import from (its own always). */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'events-schema': [],
  ports: ['events-schema'],
  commands: ['events-schema', 'ports'],
  projections: ['events-schema', 'ports'],
  // The compile script may import node and npm packages only.
  contracts: [],
  infra: ['events-schema', 'ports', 'commands', 'contracts'],
  gateways: [EVERY_LAYER],
  bench: [EVERY_LAYER],
};

export type SourceFile = { file: string; imports: readonly string[] };
export type Violation = { file: string; specifier: string; message: string };

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?[\w$*{}\s,]+?\s+from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The module specifiers a source imports or re-exports from (statements begin a line, so comments are skipped). */
export function importsOf(source: string): string[] {
  return [STATIC_IMPORT, SIDE_EFFECT_IMPORT, DYNAMIC_IMPORT].flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

export function isTestSupport(file: string): boolean {
  return /\.spec\.ts$/.test(file) || /\.fixture\.ts$/.test(file) || file.split('/').slice(0, -1).includes('testing');
}

/** Every arrow of the graph the layer table forbids, naming the file and the import. */
export function layerViolations(graph: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const { file, imports } of graph) {
    const segments = file.split('/');
    if (segments.length === 1 || isTestSupport(file)) continue; // root-level files are tool configuration
    const layer = segments[0]!;
    const allowed = LAYERS[layer];
    if (!allowed) {
      violations.push({ file, specifier: '', message: `${file}: folder ${layer}/ is not in the layer table` });
      continue;
    }
    for (const specifier of imports) {
      if (!specifier.startsWith('.')) continue; // a node or npm package
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const targetSegments = target.split('/');
      const targetLayer = target.startsWith('..') || targetSegments.length === 1 ? null : targetSegments[0]!;
      if (targetLayer === layer) continue;
      if (targetLayer !== null && (allowed.includes(EVERY_LAYER) || allowed.includes(targetLayer))) continue;
      const may = allowed.length === 0 ? 'nothing of ours' : allowed.join(', ');
      const into = targetLayer === null ? `${target}, outside every layer` : `${targetLayer}/`;
      violations.push({ file, specifier, message: `${file} imports '${specifier}' (${layer}/ → ${into}); ${layer}/ may import ${may}` });
    }
  }
  return violations;
}

/** The .ts files under `root` (node_modules and dot-folders left out), paths relative to it, with their imports. */
export function readSourceGraph(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.isFile() && entry.name.endsWith('.ts')) files.push({ file: relative, imports: importsOf(readFileSync(path.join(root, relative), 'utf8')) });
    }
  };
  walk('');
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

const repositoryRoot = path.dirname(fileURLToPath(import.meta.url));

describe('the layer table', () => {
  it('holds for every import of every non-test file of this repository', () => {
    const graph = readSourceGraph(repositoryRoot);
    // A walk that found nothing would pass vacuously.
    expect(graph.filter((source) => source.file.startsWith('projections/') && !isTestSupport(source.file)).length).toBeGreaterThan(20);
    expect(layerViolations(graph).map((violation) => violation.message)).toEqual([]);
  });

  it('names the file and the import of each forbidden arrow', () => {
    const graph: SourceFile[] = [
      { file: 'projections/runtime/worker.ts', imports: ['../../infra/db/database.ts', '../../ports/sql.ts', '../projection.ts', 'pino'] },
      { file: 'infra/read-side.ts', imports: ['../projections/index.ts', './db/database.ts', '../commands/decider.ts', '../contracts/compile.ts'] },
      { file: 'infra/testing/http-fixture.ts', imports: ['../../gateways/http/app.ts'] },
      { file: 'commands/governance/decision.ts', imports: ['../../infra/config.ts', '../../events-schema/index.ts', '../../ports/event-store.ts'] },
      { file: 'ports/read-models.ts', imports: ['../projections/queries.ts', '../events-schema/index.ts'] },
      { file: 'events-schema/index.ts', imports: ['../ports/event-store.ts', './registry.ts'] },
      { file: 'contracts/compile.ts', imports: ['../infra/chain/index.ts', 'solc', 'node:fs'] },
      { file: 'gateways/cli/platform.ts', imports: ['../../infra/config.ts', '../../projections/index.ts', '../../bench/support/cpu.ts'] },
      { file: 'bench/anchor.ts', imports: ['../gateways/cli/platform.ts', '../infra/config.ts'] },
      { file: 'infra/bus/kafka/relay.ts', imports: ['../../../../elsewhere/x.ts', '../../../vitest.config.ts'] },
      { file: 'scripts/tool.ts', imports: [] },
      { file: 'infra/bus/kafka/relay.int.spec.ts', imports: ['../../../projections/index.ts'] },
      { file: 'projections/runtime/stream-counter.fixture.ts', imports: ['../../infra/db/database.ts'] },
      { file: 'vitest.config.ts', imports: ['./infra/testing/global-setup.ts'] },
    ];
    expect(layerViolations(graph).map(({ file, specifier }) => [file, specifier])).toEqual([
      ['projections/runtime/worker.ts', '../../infra/db/database.ts'],
      ['infra/read-side.ts', '../projections/index.ts'],
      ['commands/governance/decision.ts', '../../infra/config.ts'],
      ['ports/read-models.ts', '../projections/queries.ts'],
      ['events-schema/index.ts', '../ports/event-store.ts'],
      ['contracts/compile.ts', '../infra/chain/index.ts'],
      ['infra/bus/kafka/relay.ts', '../../../../elsewhere/x.ts'],
      ['infra/bus/kafka/relay.ts', '../../../vitest.config.ts'],
      ['scripts/tool.ts', ''],
    ]);
    expect(layerViolations(graph)[0]!.message).toBe(
      "projections/runtime/worker.ts imports '../../infra/db/database.ts' (projections/ → infra/); projections/ may import events-schema, ports",
    );
    expect(layerViolations([{ file: 'contracts/compile.ts', imports: ['../ports/anchor-chain.ts'] }])[0]!.message).toContain('contracts/ may import nothing of ours');
  });

  it('exempts test support only: specs, fixtures and testing/ folders', () => {
    expect(['a/b.unit.spec.ts', 'a/b.int.spec.ts', 'a/b.fixture.ts', 'infra/testing/postgres.ts', 'projections/anchoring/testing/x.ts'].every(isTestSupport)).toBe(true);
    expect(['infra/test-support-free.ts', 'gateways/testingly.ts', 'testing.ts', 'infra/spec.ts'].some(isTestSupport)).toBe(false);
  });

  it('reads imports and re-exports in every form, and not commented-out ones', () => {
    const source = [
      "import pino, { type Logger } from 'pino';",
      "import type { Knex } from 'knex';",
      'import {',
      '  a,',
      '  type B,',
      "} from './multi-line.ts';",
      "import * as all from '../star.ts';",
      "export { x, type Y } from './re-export.ts';",
      "export * from '../../re-export-all.ts';",
      "export type { Z } from './re-export-type.ts';",
      "import './side-effect.ts';",
      "const lazy = await import('./dynamic.ts');",
      "// import { old } from './commented.ts';",
      ' * import { doc } from "./in-a-doc-comment.ts";',
      "const text = 'not an import from \"./string.ts\"';",
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(
      ['pino', 'knex', './multi-line.ts', '../star.ts', './re-export.ts', '../../re-export-all.ts', './re-export-type.ts', './side-effect.ts', './dynamic.ts'].sort(),
    );
  });
});
