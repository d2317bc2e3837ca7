// The compiled EventAnchor (contracts/artifacts/EventAnchor.json, written by contracts/compile.ts).
import { readFileSync } from 'node:fs';
import { Interface } from 'ethers';

type Artifact = { contractName: string; abi: unknown[]; bytecode: string; sourceHash: string };

const ARTIFACT_URL = new URL('../../contracts/artifacts/EventAnchor.json', import.meta.url);

export const eventAnchorArtifact: Artifact = JSON.parse(readFileSync(ARTIFACT_URL, 'utf8')) as Artifact;

export const eventAnchorInterface = new Interface(eventAnchorArtifact.abi as ConstructorParameters<typeof Interface>[0]);
