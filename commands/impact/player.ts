// A player (`impact-player-<playerId>`): everything decided about one player, on one stream, so each
// decision sees all it depends on and optimistic concurrency serialises them — their submissions and the
// witness votes and reviews on them (appended here by the witness or reviewer acting), completions, XP,
// levels and their token ledger.
//
// Submissions. The checks of a submission read the quest (copied into the command by the use case), the
// evidence claim (duplicateEvidence) and this player's own history:
//   - impossible_movement compares with the player's previous ACCEPTED submission: the latest one, in stream
//     order, that is not rejected (flagged, pending or verified);
//   - burst compares with every earlier submission of the player, rejected ones included.
// A player has at most one live submission per quest: a second one is refused while one is pending or
// flagged (`submission_pending`), and any once one is verified (`quest_already_completed`); after a
// rejection they may submit again.
//
// Verification. A submission without a flag waits for `witnessesRequired` distinct other players to approve
// it; it is verified in the decision that records the approval reaching that number (with 0 required, in
// the submission's own decision). It is rejected in the decision that records the rejection reaching a
// majority of the required number, floor(n / 2) + 1. A flagged submission takes no witness vote: a
// quest-master's review decides it (approve → verified with A = 0.8; reject → rejected).
// W = 1 + 0.1 × min(3, approvals − required), evaluated at verification. Since verification happens the
// moment approvals reach the required number and flagged submissions take no votes, W is 1.0 in every flow
// this decider has today; the factor is recorded so that a later flow (e.g. votes gathered while a review
// is pending) changes no event shape.
// Verification decides, at once: QuestCompleted, XpAwarded, TokensMinted (when floor(tokenReward × D) > 0)
// and LeveledUp (one event naming the new level, however many levels the award crossed).
//
// Tokens. A transfer debits here (TokensSent, decided against this balance: an append expects the revision
// the balance was read at, so no two debits ever spend the same tokens) and credits the receiver's stream
// (TokensReceived, once per transfer id; see impact-commands.ts). Redemptions burn. A balance never goes
// negative.
import { Map as PersistentMap, OrderedMap, Set as PersistentSet } from 'immutable';
import type { EvidenceSubmitted, PlayerEvent, ReviewDecision, SubmissionFlag } from '../../events-schema/impact/events.ts';
import { MAX_IMPACT_INTEGER } from '../../events-schema/impact/events.ts';
import {
  authenticityMilli,
  difficultyMilli,
  haversineM,
  isBurst,
  isImpossibleMovement,
  isOutsideZone,
  isPoorAccuracy,
  isStale,
  levelFor,
  regionalMilli,
  rejectionsToReject,
  socialMilli,
  streakDaysBefore,
  streakMilli,
  teamMilli,
  tierFor,
  tokensFor,
  utcDay,
  xpFor,
} from '../../events-schema/impact/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';
import { requireOpenQuest, type OpenQuest, type QuestState } from './quest.ts';

export type SubmitEvidence = Command<
  'SubmitEvidence',
  {
    submissionId: string;
    questId: string;
    playerId: string;
    /** The quest as read from its stream by the use case. */
    quest: QuestState;
    sha256: string;
    uri: string;
    lat: number;
    lon: number;
    accuracyCm: number;
    capturedAt: number;
    teamSize: number;
    /** The hash's stream is held by another submission. */
    duplicateEvidence: boolean;
    now: number;
  }
>;
/** A vote on `playerId`'s submission by `witnessId` (the caller). */
export type WitnessSubmission = Command<'WitnessSubmission', { submissionId: string; playerId: string; witnessId: string; approve: boolean; now: number }>;
/** A quest-master's review of `playerId`'s flagged submission. */
export type ReviewSubmission = Command<'ReviewSubmission', { submissionId: string; playerId: string; reviewerId: string; decision: ReviewDecision; now: number }>;
export type SendTokens = Command<'SendTokens', { transferId: string; from: string; to: string; amount: number; now: number }>;
export type ReceiveTokens = Command<'ReceiveTokens', { transferId: string; from: string; to: string; amount: number; now: number }>;
export type RedeemTokens = Command<'RedeemTokens', { playerId: string; amount: number; item: string; now: number }>;
export type PlayerCommand = SubmitEvidence | WitnessSubmission | ReviewSubmission | SendTokens | ReceiveTokens | RedeemTokens;

export type SubmissionState = 'flagged' | 'pending_witnesses' | 'verified' | 'rejected';
export type Submission = {
  readonly facts: EvidenceSubmitted['data'];
  readonly status: SubmissionState;
  /** witnessId → approve. */
  readonly votes: PersistentMap<string, boolean>;
  readonly approvals: number;
  readonly rejections: number;
};
export type SentTransfer = { readonly to: string; readonly amount: number; readonly sentAt: number };

export type PlayerState = {
  readonly balance: number;
  readonly totalXp: number;
  readonly level: number;
  /** Every submission, in stream order. */
  readonly submissions: OrderedMap<string, Submission>;
  /** questId → the player's live (not rejected) submission of it. */
  readonly questSubmissions: PersistentMap<string, string>;
  /** The UTC days (utcDay) with a verified completion: the streak. */
  readonly completionDays: PersistentSet<number>;
  /** Transfers debited here, by transfer id: what a retry or the completion of a cut-off transfer credits. */
  readonly sent: PersistentMap<string, SentTransfer>;
  /** Transfers credited here. */
  readonly received: PersistentSet<string>;
};

export const playerStreamId = (playerId: string) => `impact-player-${playerId}`;

export function decide(command: PlayerCommand, state: PlayerState): PlayerEvent[] {
  switch (command.type) {
    case 'SubmitEvidence': {
      const { submissionId, questId, playerId, quest, now } = command.data;
      requireOpenQuest(quest, questId, now);
      if (state.submissions.has(submissionId)) throw new DomainError('submission_exists', `submission ${submissionId} already exists`, { submissionId });
      const live = state.questSubmissions.get(questId);
      if (live !== undefined) {
        const status = state.submissions.get(live)!.status;
        if (status === 'verified') throw new DomainError('quest_already_completed', `player ${playerId} has already completed quest ${questId}`, { questId, submissionId: live });
        throw new DomainError('submission_pending', `player ${playerId} already has submission ${live} for quest ${questId}, ${status}`, { questId, submissionId: live });
      }
      const flags = flagsOf(command.data, quest, state);
      const submitted: PlayerEvent = {
        type: 'EvidenceSubmitted',
        data: {
          submissionId,
          questId,
          playerId,
          sha256: command.data.sha256,
          uri: command.data.uri,
          lat: command.data.lat,
          lon: command.data.lon,
          accuracyCm: command.data.accuracyCm,
          capturedAt: command.data.capturedAt,
          receivedAt: now,
          teamSize: command.data.teamSize,
          flags,
          status: flags.length > 0 ? 'flagged' : 'pending_witnesses',
          zoneId: quest.zoneId,
          region: quest.region,
          category: quest.category,
          difficulty: quest.difficulty,
          baseXp: quest.baseXp,
          tokenReward: quest.tokenReward,
          witnessesRequired: quest.witnessesRequired,
          priorityHundredths: quest.priorityHundredths,
        },
      };
      if (flags.length > 0 || quest.witnessesRequired > 0) return [submitted];
      return [submitted, ...verification(evolve(state, submitted), submissionId, now)];
    }
    case 'WitnessSubmission': {
      const { submissionId, playerId, witnessId, approve, now } = command.data;
      const submission = submissionOf(state, submissionId, playerId);
      if (witnessId === playerId) throw new DomainError('cannot_witness_own_submission', `player ${playerId} may not witness their own submission`, { submissionId });
      if (submission.status === 'flagged') {
        throw new DomainError('submission_flagged', `submission ${submissionId} is flagged (${submission.facts.flags.join(', ')}): a quest-master reviews it, witnesses do not`, { submissionId });
      }
      requireUndecided(submission, submissionId);
      if (submission.votes.has(witnessId)) throw new DomainError('already_witnessed', `${witnessId} has already witnessed submission ${submissionId}`, { submissionId, witnessId });
      const recorded: PlayerEvent = { type: 'WitnessRecorded', data: { submissionId, witnessId, approve, recordedAt: now } };
      const after = evolve(state, recorded);
      const counted = after.submissions.get(submissionId)!;
      const required = submission.facts.witnessesRequired;
      if (counted.approvals >= required) return [recorded, ...verification(after, submissionId, now)];
      if (counted.rejections >= rejectionsToReject(required)) return [recorded, { type: 'SubmissionRejected', data: { submissionId, reason: 'witness_majority', rejectedAt: now } }];
      return [recorded];
    }
    case 'ReviewSubmission': {
      const { submissionId, playerId, reviewerId, decision, now } = command.data;
      const submission = submissionOf(state, submissionId, playerId);
      if (reviewerId === playerId) throw new DomainError('cannot_review_own_submission', `${reviewerId} may not review their own submission`, { submissionId });
      requireUndecided(submission, submissionId);
      if (submission.status !== 'flagged') throw new DomainError('submission_not_flagged', `submission ${submissionId} has no flag: its witnesses decide it`, { submissionId });
      const reviewed: PlayerEvent = { type: 'SubmissionReviewed', data: { submissionId, reviewerId, decision, reviewedAt: now } };
      if (decision === 'reject') return [reviewed, { type: 'SubmissionRejected', data: { submissionId, reason: 'review', rejectedAt: now } }];
      return [reviewed, ...verification(evolve(state, reviewed), submissionId, now)];
    }
    case 'SendTokens': {
      const { transferId, from, to, amount, now } = command.data;
      if (from === to) throw new DomainError('transfer_to_self', `player ${from} cannot transfer tokens to themselves`, { playerId: from });
      requireAmount(amount);
      const sent = state.sent.get(transferId);
      if (sent) {
        // Debited already: the same transfer again (a retry completing its credit) decides nothing; another is refused.
        if (sent.to === to && sent.amount === amount) return [];
        throw new DomainError('transfer_exists', `transfer ${transferId} was already sent, to ${sent.to} for ${sent.amount}`, { transferId });
      }
      requireBalance(state, amount, from);
      return [{ type: 'TokensSent', data: { transferId, from, to, amount, balanceAfter: state.balance - amount, sentAt: now } }];
    }
    case 'ReceiveTokens': {
      const { transferId, from, to, amount, now } = command.data;
      // Credited already: a retry, or a completion of a transfer that went through after all.
      if (state.received.has(transferId)) return [];
      requireAmount(amount);
      const balanceAfter = state.balance + amount;
      if (balanceAfter > MAX_IMPACT_INTEGER) throw new DomainError('token_amount_out_of_range', `the balance of ${to} would exceed the largest exact amount`, { playerId: to, amount });
      return [{ type: 'TokensReceived', data: { transferId, from, to, amount, balanceAfter, receivedAt: now } }];
    }
    case 'RedeemTokens': {
      const { playerId, amount, item, now } = command.data;
      requireAmount(amount);
      requireBalance(state, amount, playerId);
      return [{ type: 'TokensRedeemed', data: { playerId, amount, item, balanceAfter: state.balance - amount, redeemedAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: PlayerState, event: PlayerEvent): PlayerState {
  switch (event.type) {
    case 'EvidenceSubmitted': {
      const { submissionId, questId, status } = event.data;
      const submission: Submission = { facts: event.data, status, votes: PersistentMap(), approvals: 0, rejections: 0 };
      return { ...state, submissions: state.submissions.set(submissionId, submission), questSubmissions: state.questSubmissions.set(questId, submissionId) };
    }
    case 'WitnessRecorded': {
      const { submissionId, witnessId, approve } = event.data;
      return updateSubmission(state, submissionId, (s) => ({
        ...s,
        votes: s.votes.set(witnessId, approve),
        approvals: s.approvals + (approve ? 1 : 0),
        rejections: s.rejections + (approve ? 0 : 1),
      }));
    }
    case 'SubmissionReviewed':
      return state;
    case 'SubmissionRejected': {
      const { submissionId } = event.data;
      const questId = state.submissions.get(submissionId)?.facts.questId;
      const rejected = updateSubmission(state, submissionId, (s) => ({ ...s, status: 'rejected' }));
      const live = questId !== undefined && state.questSubmissions.get(questId) === submissionId;
      return live ? { ...rejected, questSubmissions: rejected.questSubmissions.delete(questId) } : rejected;
    }
    case 'QuestCompleted': {
      const completed = updateSubmission(state, event.data.submissionId, (s) => ({ ...s, status: 'verified' }));
      return { ...completed, completionDays: completed.completionDays.add(utcDay(event.data.completedAt)) };
    }
    case 'XpAwarded':
      return { ...state, totalXp: event.data.totalXpAfter, level: levelFor(event.data.totalXpAfter) };
    case 'TokensMinted':
    case 'TokensReceived':
      return {
        ...state,
        balance: event.data.balanceAfter,
        received: event.type === 'TokensReceived' ? state.received.add(event.data.transferId) : state.received,
      };
    case 'LeveledUp':
      return state;
    case 'TokensSent': {
      const { transferId, to, amount, sentAt, balanceAfter } = event.data;
      return { ...state, balance: balanceAfter, sent: state.sent.set(transferId, { to, amount, sentAt }) };
    }
    case 'TokensRedeemed':
      return { ...state, balance: event.data.balanceAfter };
    default:
      return assertNever(event);
  }
}

export const initialState = (): PlayerState => ({
  balance: 0,
  totalXp: 0,
  level: 1,
  submissions: OrderedMap(),
  questSubmissions: PersistentMap(),
  completionDays: PersistentSet(),
  sent: PersistentMap(),
  received: PersistentSet(),
});

export const playerDecider: Decider<PlayerState, PlayerCommand, PlayerEvent> = { decide, evolve, initialState };

/** The automatic checks, in the order the events list them. */
function flagsOf(data: SubmitEvidence['data'], quest: OpenQuest, state: PlayerState): SubmissionFlag[] {
  const { lat, lon, accuracyCm, capturedAt, duplicateEvidence, now } = data;
  const flags: SubmissionFlag[] = [];
  if (isOutsideZone(haversineM(quest.centerLat, quest.centerLon, lat, lon), quest.radiusM)) flags.push('outside_zone');
  if (isPoorAccuracy(accuracyCm)) flags.push('poor_accuracy');
  const previous = state.submissions.findLast((s) => s.status !== 'rejected');
  if (previous && isImpossibleMovement(haversineM(previous.facts.lat, previous.facts.lon, lat, lon), capturedAt - previous.facts.capturedAt)) flags.push('impossible_movement');
  if (state.submissions.some((s) => isBurst(capturedAt, s.facts.capturedAt))) flags.push('burst');
  if (isStale(capturedAt, now)) flags.push('stale');
  if (duplicateEvidence) flags.push('duplicate_evidence');
  return flags;
}

/**
 * The events of a verification, decided against `state` (which already holds the vote or review that
 * verifies it): QuestCompleted, XpAwarded, TokensMinted when any, LeveledUp when a level is crossed.
 */
function verification(state: PlayerState, submissionId: string, now: number): PlayerEvent[] {
  const submission = state.submissions.get(submissionId)!;
  const { questId, playerId, zoneId, region, category, difficulty, baseXp, tokenReward, witnessesRequired, priorityHundredths, teamSize, flags } = submission.facts;
  const flagged = flags.length > 0;
  const multipliers = {
    difficultyMilli: difficultyMilli[difficulty],
    authenticityMilli: authenticityMilli(flagged),
    streakMilli: streakMilli(streakDaysBefore(utcDay(now), (day) => state.completionDays.has(day))),
    socialMilli: socialMilli(submission.approvals, witnessesRequired),
    regionalMilli: regionalMilli(priorityHundredths),
    teamMilli: teamMilli(teamSize),
  };
  const xp = xpFor(baseXp, multipliers);
  const totalXpAfter = state.totalXp + xp;
  const minted = tokensFor(tokenReward, difficulty);
  const balanceAfter = state.balance + minted;
  if (totalXpAfter > MAX_IMPACT_INTEGER || balanceAfter > MAX_IMPACT_INTEGER) {
    throw new DomainError('token_amount_out_of_range', `verifying submission ${submissionId} would take XP or tokens past the largest exact amount`, { submissionId });
  }
  const events: PlayerEvent[] = [
    { type: 'QuestCompleted', data: { submissionId, questId, playerId, zoneId, region, category, completedAt: now, flagged } },
    { type: 'XpAwarded', data: { submissionId, questId, playerId, region, category, baseXp, xp, ...multipliers, totalXpAfter, awardedAt: now } },
  ];
  if (minted > 0) events.push({ type: 'TokensMinted', data: { playerId, submissionId, amount: minted, balanceAfter, mintedAt: now } });
  const level = levelFor(totalXpAfter);
  if (level > state.level) events.push({ type: 'LeveledUp', data: { playerId, level, tier: tierFor(level), reachedAt: now } });
  return events;
}

function submissionOf(state: PlayerState, submissionId: string, playerId: string): Submission {
  const submission = state.submissions.get(submissionId);
  if (!submission) throw new DomainError('submission_not_found', `player ${playerId} has no submission ${submissionId}`, { submissionId, playerId });
  return submission;
}

function requireUndecided(submission: Submission, submissionId: string): void {
  if (submission.status === 'verified' || submission.status === 'rejected') {
    throw new DomainError('submission_already_decided', `submission ${submissionId} is already ${submission.status}`, { submissionId, status: submission.status });
  }
}

function requireAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_IMPACT_INTEGER) {
    throw new DomainError('token_amount_out_of_range', 'an amount is a positive integer of micro-units', { amount });
  }
}

function requireBalance(state: PlayerState, amount: number, playerId: string): void {
  if (amount > state.balance) {
    throw new DomainError('insufficient_tokens', `player ${playerId} holds ${state.balance}, not ${amount}`, { playerId, balance: state.balance, amount });
  }
}

function updateSubmission(state: PlayerState, submissionId: string, change: (submission: Submission) => Submission): PlayerState {
  const submission = state.submissions.get(submissionId);
  // Same stream as the submission, so it was folded first; a miss would be a corrupted stream.
  if (!submission) throw new Error(`event for submission ${submissionId} that this player never made`);
  return { ...state, submissions: state.submissions.set(submissionId, change(submission)) };
}
