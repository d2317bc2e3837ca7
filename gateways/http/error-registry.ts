// The error registry: the platform's codes (errors.ts), then every bounded context's, in the order of the
// contexts list — the table README.md documents. It is built from the contexts, whose route plugins import
// errors.ts; so it lives here, apart from HttpError, and no route imports it at run time.
import { boundedContexts } from '../contexts/index.ts';
import { platformErrors, type ErrorDefinition } from './errors.ts';

type CodesOf<Context> = Context extends { readonly errors: infer Errors } ? keyof Errors & string : never;

/** Every registered code: the platform's and each context's, kept as literals. */
export type ErrorCode = keyof typeof platformErrors | CodesOf<(typeof boundedContexts)[number]>;

export type ErrorTable = { source: string; errors: Readonly<Record<string, ErrorDefinition>> };

/** The tables in order, one code in one table only: a context that reuses a code is refused at start-up. */
export function mergeErrorTables(tables: readonly ErrorTable[]): Record<string, ErrorDefinition> {
  const merged: Record<string, ErrorDefinition> = {};
  const sourceOf = new Map<string, string>();
  for (const { source, errors } of tables) {
    for (const [code, definition] of Object.entries(errors)) {
      const first = sourceOf.get(code);
      if (first !== undefined) throw new Error(`error code ${code} is registered twice: by ${first} and by ${source}`);
      sourceOf.set(code, source);
      merged[code] = definition;
    }
  }
  return merged;
}

export const errorRegistry = mergeErrorTables([
  { source: 'the platform', errors: platformErrors },
  ...boundedContexts.map(({ name, errors }) => ({ source: `the ${name} context`, errors })),
]) as Readonly<Record<ErrorCode, ErrorDefinition>>;

export function isRegisteredCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorRegistry, code);
}
