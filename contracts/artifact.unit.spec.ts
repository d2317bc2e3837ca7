// The committed artifact must be what contracts/compile.ts produces from the committed source today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_PATH, artifactJson, compileEventAnchor, type EventAnchorArtifact } from './compile.ts';

describe('contracts/artifacts/EventAnchor.json', () => {
  it('is up to date with EventAnchor.sol, its imports and the compiler settings (else run: node --import tsx contracts/compile.ts)', () => {
    const committed = JSON.parse(readFileSync(ARTIFACT_PATH, 'utf8')) as EventAnchorArtifact;
    const fresh = compileEventAnchor();
    expect(committed.sourceHash, 'sourceHash: the sources or settings changed since the artifact was written').toBe(fresh.sourceHash);
    expect(artifactJson(committed)).toBe(artifactJson(fresh));
  }, 60_000);

  it('exposes the public face fixed in docs/architecture.md', () => {
    const committed = JSON.parse(readFileSync(ARTIFACT_PATH, 'utf8')) as { abi: { type: string; name?: string; inputs?: { type: string; indexed?: boolean }[]; outputs?: { type: string }[] }[] };
    const signature = (entry: (typeof committed.abi)[number]) =>
      `${entry.type} ${entry.name}(${(entry.inputs ?? []).map((input) => `${input.type}${input.indexed ? ' indexed' : ''}`).join(',')})` +
      (entry.outputs ? ` returns (${entry.outputs.map((output) => output.type).join(',')})` : '');
    const face = committed.abi.map(signature);
    expect(face).toEqual(
      expect.arrayContaining([
        'event BatchAnchored(uint64 indexed,uint64,uint64,bytes32)',
        'function commitBatch(uint64,uint64,uint64,bytes32) returns ()',
        'function nextBatchId() returns (uint64)',
        'function batch(uint64) returns (bytes32,uint64,uint64)',
        'function verifyEvent(uint64,uint64,bytes32,bytes32,bytes32,bytes32[]) returns (bool)',
      ]),
    );
  });
});
