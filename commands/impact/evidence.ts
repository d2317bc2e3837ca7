// An evidence hash (`impact-evidence-<sha256>`): the first submission of a hash claims it. The use case
// appends the claim expecting no stream, with an event id derived from the submission id, so a retried
// submission finds its own claim; a later submission of the same hash finds the hash held by another
// submission and is flagged duplicate_evidence (never refused).
import type { EvidenceEvent } from '../../events-schema/impact/events.ts';
import { assertNever, type Command, type Decider } from '../decider.ts';

export type ClaimEvidence = Command<'ClaimEvidence', { sha256: string; submissionId: string; playerId: string; now: number }>;
export type EvidenceCommand = ClaimEvidence;

export type EvidenceState = { status: 'unclaimed' } | { status: 'claimed'; submissionId: string; playerId: string; claimedAt: number };

export const evidenceStreamId = (sha256: string) => `impact-evidence-${sha256}`;

export function decide(command: EvidenceCommand, state: EvidenceState): EvidenceEvent[] {
  switch (command.type) {
    case 'ClaimEvidence': {
      // Claimed already (by this submission: a retry; by another: a duplicate the caller flags): nothing to record.
      if (state.status === 'claimed') return [];
      const { sha256, submissionId, playerId, now } = command.data;
      return [{ type: 'EvidenceClaimed', data: { sha256, submissionId, playerId, claimedAt: now } }];
    }
    default:
      return assertNever(command.type);
  }
}

export function evolve(state: EvidenceState, event: EvidenceEvent): EvidenceState {
  switch (event.type) {
    case 'EvidenceClaimed':
      // The first claim holds; a stream never holds a second one.
      return state.status === 'claimed' ? state : { status: 'claimed', submissionId: event.data.submissionId, playerId: event.data.playerId, claimedAt: event.data.claimedAt };
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
