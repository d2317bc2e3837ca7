// The contexts list against the event registry (events-schema) and the error registry: every registered
// event type belongs to exactly one context, the one its schema folder names, and every error code to one table.
import { describe, expect, it } from 'vitest';
// The registry first, as the gateway loads it: a cycle back into the routes would leave a plugin undefined here.
import { errorRegistry, mergeErrorTables } from '../http/error-registry.ts';
import { contextOf, eventTypes } from '../../events-schema/index.ts';
import { platformErrors } from '../http/errors.ts';
import { ANCHORING_PROJECTION } from '../../projections/anchoring/anchoring-projection.ts';
import { boundedContexts, projectionNamed, projections } from './index.ts';

const sorted = (types: readonly string[]) => [...types].sort();

describe('the bounded contexts', () => {
  it('each have a distinct name and a route plugin', () => {
    expect(new Set(boundedContexts.map((context) => context.name)).size).toBe(boundedContexts.length);
    for (const context of boundedContexts) expect(context.routes).toBeTypeOf('function');
  });

  it('name, together, exactly the event types of the registry, each once', () => {
    const named = boundedContexts.flatMap((context) => context.eventTypes);
    expect(new Set(named).size).toBe(named.length);
    expect(sorted(named)).toEqual(eventTypes());
  });

  it.each(boundedContexts.map((context) => [context.name, context] as const))('%s names only event types of its own schema folder', (name, context) => {
    expect(context.eventTypes.length).toBeGreaterThan(0);
    for (const type of context.eventTypes) expect(contextOf(type)).toBe(name);
  });
});

describe('the projections', () => {
  it('are every context’s read models, then anchoring, each name once', () => {
    const names = projections.map((projection) => projection.name);
    expect(names).toEqual([...boundedContexts.flatMap((context) => context.projections.map((projection) => projection.name)), ANCHORING_PROJECTION]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('are found by name, and an unknown name is refused with the known ones', () => {
    for (const projection of projections) expect(projectionNamed(projection.name)).toBe(projection);
    expect(() => projectionNamed('ledger')).toThrow(`unknown projection "ledger" (known: ${projections.map((p) => p.name).join(', ')})`);
  });
});

describe('the error registry', () => {
  it('is the platform’s codes, then each context’s in the order of the list', () => {
    expect(Object.keys(errorRegistry)).toEqual([...Object.keys(platformErrors), ...boundedContexts.flatMap((context) => Object.keys(context.errors))]);
  });

  it('gives the decision codes to governance, not to the platform', () => {
    const governance = boundedContexts.find((context) => context.name === 'governance')!;
    const codes = ['decision_not_found', 'already_voted', 'decision_closed', 'decision_exists', 'unknown_option', 'duplicate_options', 'invalid_option_count', 'closes_at_in_past'];
    expect(sorted(Object.keys(governance.errors))).toEqual(sorted(codes));
    for (const code of codes) expect(Object.hasOwn(platformErrors, code)).toBe(false);
  });

  it('refuses a code registered twice, naming both tables', () => {
    const conflict = { status: 409, description: 'x' };
    expect(() =>
      mergeErrorTables([
        { source: 'the platform', errors: { not_found: conflict } },
        { source: 'the ledger context', errors: { not_found: conflict } },
      ]),
    ).toThrow('error code not_found is registered twice: by the platform and by the ledger context');
  });
});
