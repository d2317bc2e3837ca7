// The platform's bounded contexts. The HTTP app, the error registry, the CLI, the platform's processes and
// the list of projections are all built from this one list: a new context is one more entry here
// (docs/adding-a-context.md).
import { crawl } from './crawl.ts';
import { governance } from './governance.ts';
import { workplace } from './workplace.ts';

export const boundedContexts = [governance, workplace, crawl] as const;

export type { BoundedContext } from './bounded-context.ts';
