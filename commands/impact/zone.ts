// A zone (`impact-zone-<zoneId>`): defined once by a quest-master; quests copy its facts when created.
import type { ZoneDefined, ZoneEvent } from '../../events-schema/impact/events.ts';
import { MAX_PRIORITY_HUNDREDTHS, MIN_PRIORITY_HUNDREDTHS } from '../../events-schema/impact/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type DefineZone = Command<'DefineZone', Omit<ZoneDefined['data'], 'definedAt'> & { now: number }>;
export type ZoneCommand = DefineZone;

export type ZoneState = { status: 'none' } | ({ status: 'defined' } & ZoneDefined['data']);

export const zoneStreamId = (zoneId: string) => `impact-zone-${zoneId}`;

export function decide(command: ZoneCommand, state: ZoneState): ZoneEvent[] {
  switch (command.type) {
    case 'DefineZone': {
      const { now, ...zone } = command.data;
      if (state.status !== 'none') throw new DomainError('zone_exists', `zone ${zone.zoneId} is already defined`, { zoneId: zone.zoneId });
      if (zone.priorityHundredths < MIN_PRIORITY_HUNDREDTHS || zone.priorityHundredths > MAX_PRIORITY_HUNDREDTHS || !Number.isInteger(zone.priorityHundredths)) {
        throw new DomainError('priority_out_of_range', 'a zone priority is 1.00 to 2.00, in hundredths', { priorityHundredths: zone.priorityHundredths });
      }
      return [{ type: 'ZoneDefined', data: { ...zone, definedAt: now } }];
    }
    default:
      return assertNever(command.type);
  }
}

export function evolve(state: ZoneState, event: ZoneEvent): ZoneState {
  switch (event.type) {
    case 'ZoneDefined':
      return { status: 'defined', ...event.data };
    default:
      return assertNever(event.type);
  }
}

export const initialState = (): ZoneState => ({ status: 'none' });

export const zoneDecider: Decider<ZoneState, ZoneCommand, ZoneEvent> = { decide, evolve, initialState };
