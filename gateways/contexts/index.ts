// The platform's bounded contexts. The HTTP app, the error registry, the CLI, the platform's processes and
// the list of projections are all built from this one list: a new context is one more entry here
// (docs/adding-a-context.md).
import { anchoringProjection } from '../../projections/anchoring/anchoring-projection.ts';
import type { Projection } from '../../projections/projection.ts';
import type { ContextProcess } from './bounded-context.ts';
import { access } from './access.ts';
import { assets } from './assets.ts';
import { crawl } from './crawl.ts';
import { governance } from './governance.ts';
import { impact } from './impact.ts';
import { workplace } from './workplace.ts';

export const boundedContexts = [governance, workplace, crawl, access, impact, assets] as const;

/** Every read model of the platform, by name (`proofline project <name>`): the contexts', then anchoring's. */
export const projections: readonly Projection[] = [...boundedContexts.flatMap((context) => context.projections), anchoringProjection];

export function projectionNamed(name: string): Projection {
  const projection = projections.find((candidate) => candidate.name === name);
  if (!projection) throw new Error(`unknown projection "${name}" (known: ${projections.map((p) => p.name).join(', ')})`);
  return projection;
}

/** Every context's background processes (`proofline start` runs them all). */
export const processes: readonly ContextProcess[] = boundedContexts.flatMap((context) => context.processes);

/** The process `proofline <command>` runs, if a context has one by that command. */
export function processForCommand(command: string): ContextProcess | undefined {
  return processes.find((candidate) => candidate.command === command);
}

export type { BoundedContext, ContextProcess, ProcessDeps } from './bounded-context.ts';
