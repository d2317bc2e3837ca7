// What each projection reads: the lists the compiler holds to the TypeScript event unions (eventTypesOf) are
// also the registry's (the .avsc files), context by context (every context of gateways/contexts), and
// anchoring reads every registered type.
import { describe, expect, it } from 'vitest';
import { contextOf, eventTypes, type GovernanceEvent } from '../events-schema/index.ts';
import { anchoringProjection } from './anchoring/anchoring-projection.ts';
import { assetsProjection } from './assets/assets-projection.ts';
import { crawlProjection } from './crawl/crawl-projection.ts';
import { governanceProjection } from './governance/governance-projection.ts';
import { impactProjection } from './impact/impact-projection.ts';
import { boundedContexts, projections } from '../gateways/contexts/index.ts';
import { eventTypesOf } from './projection.ts';
import { workplaceProjection } from './workplace/workplace-projection.ts';

const sorted = (types: readonly string[]) => [...types].sort();
const registeredIn = (context: string) => eventTypes().filter((type) => contextOf(type) === context);

describe('canHandle', () => {
  it.each(boundedContexts.flatMap((context) => context.projections.map((projection) => [projection.name, context.name, projection] as const)))(
    'the %s projection reads every registered event type of its context (%s), and no other',
    (_name, context, projection) => {
      expect(sorted(projection.canHandle)).toEqual(registeredIn(context));
    },
  );

  it('covers the governance, workplace and crawl projections', () => {
    expect(boundedContexts.flatMap((context) => context.projections)).toEqual(expect.arrayContaining([governanceProjection, workplaceProjection, crawlProjection]));
  });

  it('the impact projection reads every registered event type of its context, and no other', () => {
    expect(sorted(impactProjection.canHandle)).toEqual(registeredIn('impact'));
  });

  it('the assets projection reads every registered event type of its context, and no other', () => {
    expect(sorted(assetsProjection.canHandle)).toEqual(registeredIn('assets'));
  });

  it('anchoring reads every registered event type', () => {
    expect(sorted(anchoringProjection.canHandle)).toEqual(eventTypes());
  });

  it('every projection of the platform names only registered types, each once', () => {
    for (const projection of projections) {
      expect(new Set(projection.canHandle).size).toBe(projection.canHandle.length);
      for (const type of projection.canHandle) expect(eventTypes()).toContain(type);
    }
  });

  it('eventTypesOf lists the types it is given', () => {
    expect(sorted(eventTypesOf<GovernanceEvent>({ VoteCast: true, DecisionCreated: true, DecisionClosed: true }))).toEqual([
      'DecisionClosed',
      'DecisionCreated',
      'VoteCast',
    ]);
  });
});
