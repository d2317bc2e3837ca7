// An evidence hash (`impact-evidence-<sha256>`): every submission of the hash records a claim on it, under an
// event id derived from the submission id; the first claim holds the hash. A retried submission finds its own
// claim and records nothing; a later submission of the same hash finds the hash held by another and is
// flagged duplicate_evidence (never refused). Because every submission's claim is recorded under its id, a
// submission id already used (with any evidence, by anyone) is refused by the store at the claim, before
// anything of it is appended.
import type { EvidenceEvent } from '../../events-schema/impact/events.ts';
import { assertNever, type Command, type Decider } from '../decider.ts';

export type ClaimEvidence = Command<'ClaimEvidence', { sha256: string; submissionId: string; playerId: string; now: number }>;
export type EvidenceCommand = ClaimEvidence;

export type EvidenceState =
  | { status: 'unclaimed' }
  | { status: 'claimed'; submissionId: string; playerId: string; claimedAt: number; /** The later submissions that presented it too. */ duplicates: readonly string[] };

export const evidenceStreamId = (sha256: string) => `impact-evidence-${sha256}`;

export function decide(command: EvidenceCommand, state: EvidenceState): EvidenceEvent[] {
  switch (command.type) {
    case 'ClaimEvidence': {
      const { sha256, submissionId, playerId, now } = command.data;
      // Recorded already for this submission (a retry): nothing more.
      if (state.status === 'claimed' && (state.submissionId === submissionId || state.duplicates.includes(submissionId))) return [];
      return [{ type: 'EvidenceClaimed', data: { sha256, submissionId, playerId, claimedAt: now } }];
    }
    default:
      return assertNever(command.type);
  }
}

export function evolve(state: EvidenceState, event: EvidenceEvent): EvidenceState {
  switch (event.type) {
    case 'EvidenceClaimed':
      // The first claim holds the hash; later ones are duplicates of it.
      if (state.status === 'claimed') return { ...state, duplicates: [...state.duplicates, event.data.submissionId] };
      return { status: 'claimed', submissionId: event.data.submissionId, playerId: event.data.playerId, claimedAt: event.data.claimedAt, duplicates: [] };
    default:
      return assertNever(event.type);
  }
}

export const initialState = (): EvidenceState => ({ status: 'unclaimed' });

export const evidenceDecider: Decider<EvidenceState, EvidenceCommand, EvidenceEvent> = { decide, evolve, initialState };

/** Whether a submission's evidence duplicates another's, from the hash's stream after its claim. */
export function isDuplicateClaim(state: EvidenceState, submissionId: string): boolean {
  return state.status === 'claimed' && state.submissionId !== submissionId;
}
