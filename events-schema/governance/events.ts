import { eventTypesOf, type Event } from '../event.ts';

export type VoterClass = 'citizen' | 'expert' | 'community';
export const voterClasses: readonly VoterClass[] = ['citizen', 'expert', 'community'];

export type ClassWeights = Readonly<Record<VoterClass, number>>;

/** Times are epoch milliseconds (Avro long). */
export type DecisionCreated = Event<
  'DecisionCreated',
  {
    decisionId: string;
    title: string;
    options: string[];
    closesAt: number | null;
    /** The weights in force when the decision opened, so results never depend on today's defaults. */
    weights: ClassWeights;
    createdAt: number;
    /** The subject that opened it, who may close it; '' when written before v2 (then only an admin may). */
    createdBy: string;
  }
>;

export type VoteCast = Event<
  'VoteCast',
  {
    decisionId: string;
    voterId: string;
    option: string;
    voterClass: VoterClass;
    weight: number;
    castAt: number;
  }
>;

export type DecisionClosed = Event<
  'DecisionClosed',
  {
    decisionId: string;
    closedAt: number;
    reason: 'manual' | 'deadline';
  }
>;

export type GovernanceEvent = DecisionCreated | VoteCast | DecisionClosed;

/** Every event type of the context, the same list everywhere it is needed (held to the union by the compiler). */
export const governanceEventTypes = eventTypesOf<GovernanceEvent>({ DecisionCreated: true, VoteCast: true, DecisionClosed: true });
