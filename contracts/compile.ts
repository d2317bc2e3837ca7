// Compiles contracts/EventAnchor.sol offline with solc from npm and writes contracts/artifacts/EventAnchor.json,
// the ABI and bytecode that infra/chain deploys and talks to.
//
//   node --import tsx contracts/compile.ts
//
// Imports (`@openzeppelin/...`) are read from node_modules. `sourceHash` is the SHA-256 of the compiler version,
// the settings and every source file solc read, so a test can tell a stale artifact from a fresh one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const CONTRACTS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACT_PATH = path.join(CONTRACTS_DIR, 'artifacts', 'EventAnchor.json');

const CONTRACT_NAME = 'EventAnchor';
const SOURCE_NAME = 'EventAnchor.sol';

/** Chosen by measuring commitBatch receipts on anvil (contracts/README.md). */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 1_000_000 },
  viaIR: true,
  evmVersion: 'cancun',
} as const;

export type EventAnchorArtifact = {
  contractName: string;
  abi: unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
  compiler: { version: string; settings: typeof COMPILER_SETTINGS };
  sourceHash: string;
};

type SolcOutput = {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
};

const require = createRequire(import.meta.url);

/** Reads an import such as `@openzeppelin/contracts/access/AccessControl.sol` from node_modules. */
function readImport(importPath: string): string {
  if (!importPath.startsWith('@openzeppelin/')) throw new Error(`unexpected import ${importPath}: only @openzeppelin/... is resolved`);
  const [scope, name, ...rest] = importPath.split('/');
  const packageDir = path.dirname(require.resolve(`${scope}/${name}/package.json`));
  return readFileSync(path.join(packageDir, ...rest), 'utf8');
}

export function compileEventAnchor(): EventAnchorArtifact {
  const sources: Record<string, string> = { [SOURCE_NAME]: readFileSync(path.join(CONTRACTS_DIR, SOURCE_NAME), 'utf8') };
  const input = {
    language: 'Solidity',
    sources: { [SOURCE_NAME]: { content: sources[SOURCE_NAME] } },
    settings: {
      ...COMPILER_SETTINGS,
      outputSelection: { [SOURCE_NAME]: { [CONTRACT_NAME]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const findImports = (importPath: string) => {
    try {
      const contents = readImport(importPath);
      sources[importPath] = contents;
      return { contents };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((error) => error.formattedMessage).join('\n')}`);
  const compiled = output.contracts?.[SOURCE_NAME]?.[CONTRACT_NAME];
  if (!compiled) throw new Error(`solc produced no ${CONTRACT_NAME} contract`);
  const version = solc.version();
  return {
    contractName: CONTRACT_NAME,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: { version, settings: COMPILER_SETTINGS },
    sourceHash: sourceHashOf(version, sources),
  };
}

/** SHA-256 over the compiler version, the settings and each source (sorted by name), as 0x-hex. */
export function sourceHashOf(version: string, sources: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version, settings: COMPILER_SETTINGS }));
  for (const name of Object.keys(sources).sort()) hash.update(`\0${name}\0${sources[name]}`);
  return `0x${hash.digest('hex')}`;
}

export function artifactJson(artifact: EventAnchorArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

async function main(): Promise<void> {
  const artifact = compileEventAnchor();
  await mkdir(path.dirname(ARTIFACT_PATH), { recursive: true });
  await writeFile(ARTIFACT_PATH, artifactJson(artifact));
  const size = (artifact.deployedBytecode.length - 2) / 2;
  process.stdout.write(`${path.relative(process.cwd(), ARTIFACT_PATH)}: ${CONTRACT_NAME}, ${size} bytes deployed, solc ${artifact.compiler.version}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
