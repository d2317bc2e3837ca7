import { describe, it } from 'vitest';
import type { DecisionClosed, DecisionCreated } from '../../events-schema/governance/events.ts';
import { deciderSpec } from '../testing/decider-spec.ts';
import { defaultClassWeights } from '../../events-schema/governance/rules.ts';
import { decisionDecider, type CloseDecision, type Closer } from './decision.ts';

const spec = deciderSpec(decisionDecider);
const now = 1_700_000_000_000;
const CREATOR = '0x52908400098527886E0F7030069857D2E4169EE7';

const created: DecisionCreated = {
  type: 'DecisionCreated',
  data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: now + 60_000, weights: defaultClassWeights, createdAt: now - 1, createdBy: CREATOR },
};
/** A creation written before creators were recorded (v1): createdBy resolves to ''. */
const createdWithoutCreator: DecisionCreated = { ...created, data: { ...created.data, createdBy: '' } };
const manuallyClosed: DecisionClosed = { type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: now, reason: 'manual' } };

const create = (data: Partial<{ options: string[]; closesAt: number | null }> = {}) => ({
  type: 'CreateDecision' as const,
  data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: null, now, createdBy: CREATOR, ...data },
});
const creator: Closer = { subject: CREATOR, admin: false };
const admin: Closer = { subject: 'admin', admin: true };
const stranger: Closer = { subject: '0x000000000000000000000000000000000000dEaD', admin: false };
const close = (by: Closer = creator, at = now): CloseDecision => ({ type: 'CloseDecision', data: { decisionId: 'd1', now: at, by } });

describe('decision decider', () => {
  it('opens a decision with the default class weights and its creator recorded in the event', () => {
    spec.given([]).when(create({ closesAt: now + 1000 })).then([
      {
        type: 'DecisionCreated',
        data: {
          decisionId: 'd1',
          title: 'Park',
          options: ['yes', 'no'],
          closesAt: now + 1000,
          weights: { citizen: 1, expert: 3, community: 2 },
          createdAt: now,
          createdBy: CREATOR,
        },
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
    spec.given([created]).when(close()).then([manuallyClosed]);
  });

  it('records a close after the deadline as closed by the deadline, at the deadline', () => {
    spec
      .given([created])
      .when(close(creator, now + 120_000))
      .then([{ type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: now + 60_000, reason: 'deadline' } }]);
  });

  it('refuses to close a decision that does not exist or is already closed', () => {
    spec.given([]).when(close()).thenThrows('decision_not_found');
    spec.given([created, manuallyClosed]).when(close()).thenThrows('decision_closed');
  });
});

describe('who may close a decision', () => {
  it('its creator, or an admin', () => {
    spec.given([created]).when(close(creator)).then([manuallyClosed]);
    spec.given([created]).when(close(admin)).then([manuallyClosed]);
  });

  it('not anyone else: 403 forbidden naming the decision and the subject refused', () => {
    spec.given([created]).when(close(stranger)).thenThrows('forbidden', { decisionId: 'd1', subject: stranger.subject });
    // The same address in another casing is another subject: subjects are compared as recorded (checksummed).
    spec.given([created]).when(close({ subject: CREATOR.toLowerCase(), admin: false })).thenThrows('forbidden');
  });

  it('refuses a stranger with 403 whatever the decision\'s state, closed included', () => {
    spec.given([created, manuallyClosed]).when(close(stranger)).thenThrows('forbidden');
  });

  it('a decision with no recorded creator is an admin’s alone to close, even for a subject named ""', () => {
    spec.given([createdWithoutCreator]).when(close(creator)).thenThrows('forbidden');
    spec.given([createdWithoutCreator]).when(close({ subject: '', admin: false })).thenThrows('forbidden');
    spec.given([createdWithoutCreator]).when(close(admin)).then([manuallyClosed]);
  });
});
