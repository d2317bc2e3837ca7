// Real governance events for projection tests, with plausible defaults; override any field.
import type { DecisionClosed, DecisionCreated, VoteCast } from '../../events-schema/index.ts';
import { defaultClassWeights } from '../../events-schema/governance/rules.ts';

const T0 = Date.UTC(2025, 0, 1);

export function decisionCreated(decisionId: string, data: Partial<DecisionCreated['data']> = {}): DecisionCreated {
  return {
    type: 'DecisionCreated',
    data: { decisionId, title: `Decision ${decisionId}`, options: ['yes', 'no'], closesAt: null, weights: defaultClassWeights, createdAt: T0, createdBy: 'convener', ...data },
  };
}

export function voteCast(decisionId: string, voterId: string, data: Partial<VoteCast['data']> = {}): VoteCast {
  return { type: 'VoteCast', data: { decisionId, voterId, option: 'yes', voterClass: 'citizen', weight: 1, castAt: T0 + 1000, ...data } };
}

export function decisionClosed(decisionId: string, data: Partial<DecisionClosed['data']> = {}): DecisionClosed {
  return { type: 'DecisionClosed', data: { decisionId, closedAt: T0 + 60_000, reason: 'manual', ...data } };
}
