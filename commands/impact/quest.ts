// A quest (`impact-quest-<questId>`): created by a quest-master in a defined zone, whose region, centre,
// radius and priority it copies, so a submission's checks need only the quest; closed by a quest-master.
// A quest takes submissions from opensAt (included) until closesAt (excluded) and until it is closed.
import type { QuestCreated, QuestEvent } from '../../events-schema/impact/events.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
import type { ZoneState } from './zone.ts';

export type CreateQuest = Command<
  'CreateQuest',
  {
    questId: string;
    title: string;
    category: string;
    zoneId: string;
    difficulty: QuestCreated['data']['difficulty'];
    baseXp: number;
    tokenReward: number;
    opensAt: number | null;
    closesAt: number | null;
    witnessesRequired: number;
    /** The zone as read from its stream by the use case. */
    zone: ZoneState;
    createdBy: string;
    now: number;
  }
>;
export type CloseQuest = Command<'CloseQuest', { questId: string; closedBy: string; now: number }>;
export type QuestCommand = CreateQuest | CloseQuest;

export type OpenQuest = { status: 'open' } & QuestCreated['data'];
export type QuestState = { status: 'none' } | OpenQuest | ({ status: 'closed' } & QuestCreated['data']);

export const questStreamId = (questId: string) => `impact-quest-${questId}`;

export function decide(command: QuestCommand, state: QuestState): QuestEvent[] {
  switch (command.type) {
    case 'CreateQuest': {
      const { zone, now, ...quest } = command.data;
      if (state.status !== 'none') throw new DomainError('quest_exists', `quest ${quest.questId} already exists`, { questId: quest.questId });
      if (zone.status === 'none') throw new DomainError('zone_not_found', `zone ${quest.zoneId} is not defined`, { zoneId: quest.zoneId });
      if (quest.opensAt !== null && quest.closesAt !== null && quest.closesAt <= quest.opensAt) {
        throw new DomainError('invalid_quest_window', 'a quest closes after it opens', { opensAt: quest.opensAt, closesAt: quest.closesAt });
      }
      if (quest.closesAt !== null && quest.closesAt <= now) {
        throw new DomainError('invalid_quest_window', 'a quest cannot close in the past', { closesAt: quest.closesAt, now });
      }
      const { region, centerLat, centerLon, radiusM, priorityHundredths } = zone;
      return [{ type: 'QuestCreated', data: { ...quest, region, centerLat, centerLon, radiusM, priorityHundredths, createdAt: now } }];
    }
    case 'CloseQuest': {
      const { questId, closedBy, now } = command.data;
      if (state.status === 'none') throw new DomainError('quest_not_found', `quest ${questId} does not exist`, { questId });
      if (state.status === 'closed') throw new DomainError('quest_already_closed', `quest ${questId} is already closed`, { questId });
      return [{ type: 'QuestClosed', data: { questId, closedBy, closedAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: QuestState, event: QuestEvent): QuestState {
  switch (event.type) {
    case 'QuestCreated':
      return { status: 'open', ...event.data };
    case 'QuestClosed':
      return state.status === 'none' ? state : { ...state, status: 'closed' as const };
    default:
      return assertNever(event);
  }
}

export const initialState = (): QuestState => ({ status: 'none' });

export const questDecider: Decider<QuestState, QuestCommand, QuestEvent> = { decide, evolve, initialState };

/** Refuses a submission to a quest that does not take one at `now`: unknown, closed, not open yet, or past its deadline. */
export function requireOpenQuest(quest: QuestState, questId: string, now: number): asserts quest is OpenQuest {
  if (quest.status === 'none') throw new DomainError('quest_not_found', `quest ${questId} does not exist`, { questId });
  if (quest.status === 'closed') throw new DomainError('quest_closed', `quest ${questId} is closed`, { questId });
  if (quest.opensAt !== null && now < quest.opensAt) throw new DomainError('quest_not_open_yet', `quest ${questId} opens at ${new Date(quest.opensAt).toISOString()}`, { questId, opensAt: quest.opensAt });
  if (quest.closesAt !== null && now >= quest.closesAt) throw new DomainError('quest_closed', `quest ${questId} closed at ${new Date(quest.closesAt).toISOString()}`, { questId, closesAt: quest.closesAt });
}
