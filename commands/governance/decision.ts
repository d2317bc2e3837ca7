// A governance decision: opened with its options, closed by hand or by its deadline.
// Votes do not live here (see ballot.ts): a decision's stream stays tiny however many people vote.
// Who owns a decision is what its creation event says: its creator (or an admin) may close it.
import { forbidden } from '../actor.ts';
import type { ClassWeights, DecisionClosed, DecisionCreated } from '../../events-schema/governance/events.ts';
import { deadlinePassed, defaultClassWeights, MAX_OPTIONS, MIN_OPTIONS } from '../../events-schema/governance/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type CreateDecision = Command<
  'CreateDecision',
  { decisionId: string; title: string; options: string[]; closesAt: number | null; now: number; createdBy: string }
>;

/** Who asks to close: their subject, and whether they are an admin (the command layer derives both from the actor). */
export type Closer = { subject: string; admin: boolean };

export type CloseDecision = Command<'CloseDecision', { decisionId: string; now: number; by: Closer }>;
export type DecisionCommand = CreateDecision | CloseDecision;
export type DecisionEvent = DecisionCreated | DecisionClosed;

export type DecisionState =
  | { status: 'none' }
  | {
      status: 'open' | 'closed';
      decisionId: string;
      options: readonly string[];
      closesAt: number | null;
      weights: ClassWeights;
      /** '' when the creation event predates recorded creators. */
      createdBy: string;
    };

export const decisionStreamId = (decisionId: string) => `decision-${decisionId}`;

/** Its creator, or an admin. A decision with no recorded creator is an admin's alone to close. */
export function mayClose(state: Extract<DecisionState, { createdBy: string }>, by: Closer): boolean {
  return by.admin || (state.createdBy !== '' && state.createdBy === by.subject);
}

/** Open means: not closed by an event and its deadline, if any, not yet reached. */
export function isOpenAt(state: DecisionState, now: number): boolean {
  return state.status === 'open' && !deadlinePassed(state.closesAt, now);
}

export function decide(command: DecisionCommand, state: DecisionState): DecisionEvent[] {
  switch (command.type) {
    case 'CreateDecision': {
      const { decisionId, title, options, closesAt, now, createdBy } = command.data;
      if (state.status !== 'none') {
        throw new DomainError('decision_exists', `decision ${decisionId} already exists`, { decisionId });
      }
      if (new Set(options).size !== options.length) {
        throw new DomainError('duplicate_options', 'options must be distinct', { options });
      }
      if (options.length < MIN_OPTIONS || options.length > MAX_OPTIONS) {
        throw new DomainError('invalid_option_count', `a decision has ${MIN_OPTIONS} to ${MAX_OPTIONS} options`, { count: options.length });
      }
      if (deadlinePassed(closesAt, now)) {
        throw new DomainError('closes_at_in_past', 'closesAt must be in the future', { closesAt, now });
      }
      return [
        { type: 'DecisionCreated', data: { decisionId, title, options: [...options], closesAt, weights: defaultClassWeights, createdAt: now, createdBy } },
      ];
    }
    case 'CloseDecision': {
      const { decisionId, now, by } = command.data;
      if (state.status === 'none') throw new DomainError('decision_not_found', `decision ${decisionId} does not exist`, { decisionId });
      if (!mayClose(state, by)) {
        throw forbidden(`only the creator of decision ${decisionId} or an admin may close it; ${by.subject} is neither`, { decisionId, subject: by.subject });
      }
      if (state.status === 'closed') throw new DomainError('decision_closed', `decision ${decisionId} is already closed`, { decisionId });
      return [
        {
          type: 'DecisionClosed',
          data: deadlinePassed(state.closesAt, now)
            ? { decisionId, closedAt: state.closesAt!, reason: 'deadline' }
            : { decisionId, closedAt: now, reason: 'manual' },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: DecisionState, event: DecisionEvent): DecisionState {
  switch (event.type) {
    case 'DecisionCreated': {
      const { decisionId, options, closesAt, weights, createdBy } = event.data;
      return { status: 'open', decisionId, options, closesAt, weights, createdBy };
    }
    case 'DecisionClosed':
      return state.status === 'none' ? state : { ...state, status: 'closed' };
    default:
      return assertNever(event);
  }
}

export const initialState = (): DecisionState => ({ status: 'none' });

export const decisionDecider: Decider<DecisionState, DecisionCommand, DecisionEvent> = { decide, evolve, initialState };
