import { describe, it } from 'vitest';
import type { DecisionCreated } from '../../events-schema/governance/events.ts';
import { deciderSpec } from '../testing/decider-spec.ts';
import { defaultClassWeights } from '../../events-schema/governance/rules.ts';
import { decisionDecider } from './decision.ts';

const spec = deciderSpec(decisionDecider);
const now = 1_700_000_000_000;
const created: DecisionCreated = {
  type: 'DecisionCreated',
  data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: now + 60_000, weights: defaultClassWeights, createdAt: now - 1 },
};
const create = (data: Partial<{ options: string[]; closesAt: number | null }> = {}) => ({
  type: 'CreateDecision' as const,
  data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: null, now, ...data },
});

describe('decision decider', () => {
  it('opens a decision with the default class weights recorded in the event', () => {
    spec.given([]).when(create({ closesAt: now + 1000 })).then([
      {
        type: 'DecisionCreated',
        data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: now + 1000, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: now },
      },
    ]);
  });

  it('refuses to create a decision twice', () => {
    spec.given([created]).when(create()).thenThrows('decision_exists', { decisionId: 'd1' });
  });

  it('refuses duplicate options', () => {
    spec.given([]).when(create({ options: ['yes', 'yes'] })).thenThrows('duplicate_options');
  });

  it('refuses fewer than 2 or more than 20 options', () => {
    spec.given([]).when(create({ options: ['only'] })).thenThrows('invalid_option_count', { count: 1 });
    const many = Array.from({ length: 21 }, (_, i) => `o${i}`);
    spec.given([]).when(create({ options: many })).thenThrows('invalid_option_count', { count: 21 });
  });

  it('refuses a deadline that is not in the future', () => {
    spec.given([]).when(create({ closesAt: now })).thenThrows('closes_at_in_past');
  });

  it('closes an open decision by hand', () => {
    spec
      .given([created])
      .when({ type: 'CloseDecision', data: { decisionId: 'd1', now } })
      .then([{ type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: now, reason: 'manual' } }]);
  });

  it('records a close after the deadline as closed by the deadline, at the deadline', () => {
    spec
      .given([created])
      .when({ type: 'CloseDecision', data: { decisionId: 'd1', now: now + 120_000 } })
      .then([{ type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: now + 60_000, reason: 'deadline' } }]);
  });

  it('refuses to close a decision that does not exist or is already closed', () => {
    spec.given([]).when({ type: 'CloseDecision', data: { decisionId: 'd1', now } }).thenThrows('decision_not_found');
    spec
      .given([created, { type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: now, reason: 'manual' } }])
      .when({ type: 'CloseDecision', data: { decisionId: 'd1', now } })
      .thenThrows('decision_closed');
  });
});
