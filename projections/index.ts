// Every read model of the platform, by name (`proofline project <name>`).
import { anchoringProjection } from './anchoring/anchoring-projection.ts';
import { crawlProjections } from './crawl/index.ts';
import { governanceProjection } from './governance/governance-projection.ts';
import { workplaceProjections } from './workplace/index.ts';
import type { Projection } from './projection.ts';

export const projections: readonly Projection[] = [governanceProjection, ...workplaceProjections, ...crawlProjections, anchoringProjection];

export function projectionNamed(name: string): Projection {
  const projection = projections.find((candidate) => candidate.name === name);
  if (!projection) throw new Error(`unknown projection "${name}" (known: ${projections.map((p) => p.name).join(', ')})`);
  return projection;
}
