// What a bounded context is to the platform: one module per context (gateways/contexts/<name>.ts) names
// everything of it the platform is built from, and gateways/contexts/index.ts lists the modules.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import type { Projection } from '../../projections/projection.ts';
import type { ErrorDefinition } from '../http/errors.ts';
import type { ContextRoutesOptions } from '../http/routes/context-routes.ts';

export type BoundedContext = {
  /** Its folder in every layer; also its events' schema folder, so `contextOf(type)` of each of its events. */
  readonly name: string;
  /** Every event type of its events-schema union (`<ctx>EventTypes` from its events.ts, held to the union by the compiler). */
  readonly eventTypes: readonly string[];
  /** Its one HTTP plugin: command routes always, query routes only when the options carry `readModels`. */
  readonly routes: FastifyPluginAsync<ContextRoutesOptions>;
  /** Its domain error codes, merged into the HTTP error registry after the platform's. */
  readonly errors: Readonly<Record<string, ErrorDefinition>>;
  /** Its read models: `proofline project <name>` runs one, `proofline start` all of them. */
  readonly projections: readonly Projection[];
  /** Its background processes: `proofline start` runs them all, `proofline <command>` one alone. */
  readonly processes: readonly ContextProcess[];
};

/** What the platform builds a context's process from: its stores, and a logger named after the process. */
export type ProcessDeps = { eventStore: EventStore; db: SqlDatabase; logger: Logger };

export type ContextProcess = {
  /** `proofline <command>` runs it alone. */
  readonly command: string;
  /** How the platform names it: the logger's `component`, the role that failed. */
  readonly name: string;
  /** What `proofline help` says of it, broken into lines where it should be. */
  readonly usage: string;
  /** It queries read models: their tables are made before it starts, whichever process runs their workers. */
  readonly readsReadModels: boolean;
  create(deps: ProcessDeps): { run(signal: AbortSignal): Promise<void> };
};

/**
 * A context module's definition, checked against BoundedContext. Its name and error codes keep their literal
 * types (the registry's ErrorCode is built from them); the rest is typed as any context's.
 */
export function defineContext<const Name extends string, const Errors extends Readonly<Record<string, ErrorDefinition>>>(
  context: Omit<BoundedContext, 'name' | 'errors'> & { readonly name: Name; readonly errors: Errors },
): Omit<BoundedContext, 'name' | 'errors'> & { readonly name: Name; readonly errors: Errors } {
  return context;
}
