// A marketplace participant, in a stream of its own (`participant-<id>`): a publisher with its price per
// crawl, or an AI platform. Bills read this state (the price), they never write to it, so a publisher's
// stream stays tiny however often it is crawled. Its registration records its owner, who acts for it
// (authority.ts says who else does).
import { MAX_EXACT_LONG, type ParticipantEvent, type ParticipantRole } from '../../events-schema/crawl/events.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
import { actsFor, mayNotRegister, mayRegister, notActingFor, type Caller } from './authority.ts';

/** `by`: who gives the command, as the gateway verified it; a registration makes its subject the owner. */
export type RegisterParticipant = Command<'RegisterParticipant', { participantId: string; role: ParticipantRole; name: string; now: number; by: Caller }>;
export type SetPublisherPrice = Command<'SetPublisherPrice', { publisherId: string; pricePerCrawl: number; now: number; by: Caller }>;
export type ParticipantCommand = RegisterParticipant | SetPublisherPrice;

export type ParticipantState =
  | { status: 'none' }
  | {
      status: 'registered';
      participantId: string;
      role: ParticipantRole;
      name: string;
      pricePerCrawl: number | null;
      /** The subject that registered it; '' when its registration predates recorded owners. */
      owner: string;
    };

export const participantStreamId = (participantId: string) => `participant-${participantId}`;

/** Whom a participant's registration names as owner; '' for one not registered (or registered before owners were recorded). */
export const ownerOf = (state: ParticipantState): string => (state.status === 'none' ? '' : state.owner);

export function decide(command: ParticipantCommand, state: ParticipantState): ParticipantEvent[] {
  switch (command.type) {
    case 'RegisterParticipant': {
      const { participantId, role, name, now, by } = command.data;
      if (!mayRegister(by, participantId)) throw mayNotRegister(by, participantId);
      if (state.status !== 'none') throw new DomainError('participant_exists', `participant ${participantId} is already registered`, { participantId });
      return [{ type: 'ParticipantRegistered', data: { participantId, role, name, registeredAt: now, owner: by.subject } }];
    }
    case 'SetPublisherPrice': {
      const { publisherId, pricePerCrawl, now, by } = command.data;
      if (state.status === 'none') throw new DomainError('publisher_not_found', `publisher ${publisherId} is not registered`, { publisherId });
      if (!actsFor(by, publisherId, state.owner)) throw notActingFor(by, publisherId, `set the price of ${publisherId}`);
      if (state.role !== 'publisher') throw new DomainError('not_a_publisher', `participant ${publisherId} is a ${state.role}, not a publisher`, { publisherId });
      assertMicros(pricePerCrawl, 'pricePerCrawl');
      return [{ type: 'PublisherPriceSet', data: { publisherId, pricePerCrawl, setAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: ParticipantState, event: ParticipantEvent): ParticipantState {
  switch (event.type) {
    case 'ParticipantRegistered': {
      const { participantId, role, name, owner } = event.data;
      return { status: 'registered', participantId, role, name, pricePerCrawl: null, owner };
    }
    case 'PublisherPriceSet':
      return state.status === 'none' ? state : { ...state, pricePerCrawl: event.data.pricePerCrawl };
    default:
      return assertNever(event);
  }
}

export const initialState = (): ParticipantState => ({ status: 'none' });

export const participantDecider: Decider<ParticipantState, ParticipantCommand, ParticipantEvent> = { decide, evolve, initialState };

/**
 * Money is a non-negative safe integer of micro-units, at most MAX_EXACT_LONG (what an event can record).
 * The HTTP schemas refuse anything else first; the deciders check again because an amount that is not
 * exact must never reach an event.
 */
export function assertMicros(amount: number, field: string): void {
  if (!isRecordableMicros(amount)) {
    throw new DomainError('amount_out_of_range', `${field} must be a non-negative safe integer of micro-units, got ${amount}`, { field, amount });
  }
}

/** A non-negative integer an event records exactly. */
export function isRecordableMicros(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount >= 0 && amount <= MAX_EXACT_LONG;
}
