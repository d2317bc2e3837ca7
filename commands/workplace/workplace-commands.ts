// The workplace context's use cases: each one checks its actor's authority (authority.ts) and routes a
// validated command to its stream through the command core, configured once per use case. A reviewer's
// subject stops here: only its keyed pseudonym goes on, as the review's data and as its events' actor.
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../ports/event-store.ts';
import { commandHandler, loadStream, type CommandContext, type LoadedStream, type UseCase } from '../command-core.ts';
import { deterministicUuid } from '../event-ids.ts';
import { SharedReads } from '../shared-reads.ts';
import { companyDecider, companyStreamId, type CompanyCommand, type CompanyEvent, type CompanyState } from './company.ts';
import { assertAdmin, assertMayRegisterCompany, assertMayRespondToEngagement, assertMayReview } from './authority.ts';
import type { CompanyScores } from './ports.ts';
import { reviewerPseudonym, reviewIdempotencyKey } from './pseudonym.ts';
import { reviewDecider, reviewStreamId } from './review.ts';
import type { EngagementResponseInput, RegisterCompanyInput, SubmitReviewInput } from './schemas.ts';

export type WorkplaceCommandsDeps = {
  eventStore: EventStore;
  /** Server key of the reviewer pseudonyms (WORKPLACE_PSEUDONYM_KEY). */
  pseudonymKey: Uint8Array;
  /** Reads the published score for engagement and low-score listing. */
  companyScores: CompanyScores;
  clock?: () => number;
};

export type WorkplaceCommands = ReturnType<typeof workplaceCommands>;

export function workplaceCommands({ eventStore, pseudonymKey, companyScores, clock = Date.now }: WorkplaceCommandsDeps) {
  const companyReads = new SharedReads<LoadedStream<CompanyState>>();
  const onCompany: UseCase<CompanyState, CompanyCommand, CompanyEvent> = {
    context: 'workplace',
    decider: companyDecider,
    streamId: (command) => companyStreamId(command.data.companyId),
  };
  // A company is registered once: a conflict means it exists, and deciding again would only say so.
  const registrations = commandHandler(eventStore, { ...onCompany, conflictRetries: 0 });
  const companies = commandHandler(eventStore, onCompany);
  // Each review is its own stream (company and reviewer pseudonym), almost always new.
  const reviews = commandHandler(eventStore, {
    context: 'workplace',
    decider: reviewDecider,
    streamId: (command) => reviewStreamId(command.data.companyId, command.data.reviewerPseudonym),
    assumeNewStream: true,
  });

  return {
    async registerCompany(input: RegisterCompanyInput, context: CommandContext) {
      const actor = assertMayRegisterCompany(context.actor, input.companyId);
      // With an Idempotency-Key and no client id (an admin's), the id must be the same on a retry.
      const companyId = input.companyId ?? (context.idempotencyKey ? deterministicUuid('company', context.idempotencyKey) : randomUUID());
      const result = await registrations.handle(
        { type: 'RegisterCompany', data: { companyId, name: input.name, now: clock(), registeredBy: actor.subject } },
        context,
      );
      return { companyId, streamId: result.streamId, lsn: result.lastLsn };
    },

    async submitReview(companyId: string, input: SubmitReviewInput, context: CommandContext) {
      const actor = assertMayReview(context.actor, companyId);
      const pseudonym = reviewerPseudonym(pseudonymKey, companyId, actor.subject);
      // Many reviewers of one company read its small stream at once: concurrent reads share one query.
      const company = await companyReads.run(companyId, () => loadStream(eventStore, companyDecider, companyStreamId(companyId)));
      // The events' metadata is the pseudonym alone: no subject, no key id, nothing the client sent (correlation
      // id, trace context) and no request id (the request log holds the caller's address under it). The
      // Idempotency-Key is kept only as a keyed hash, enough for replays; the actor itself does not go on.
      const result = await reviews.handle(
        { type: 'SubmitReview', data: { companyId, reviewerPseudonym: pseudonym, scores: input.scores, now: clock(), company: company.state } },
        {
          metadata: { actor: pseudonym },
          ...(context.idempotencyKey ? { idempotencyKey: reviewIdempotencyKey(pseudonymKey, pseudonym, context.idempotencyKey) } : {}),
        },
      );
      const scored = result.events[result.events.length - 1]!;
      return { submissionId: result.eventIds[result.eventIds.length - 1]!, overallScore: scored.data.overallScore / 100, lsn: result.lastLsn };
    },

    async initiateEngagement(companyId: string, context: CommandContext) {
      assertAdmin(context.actor, 'initiating an engagement');
      const score = await companyScores(companyId);
      const result = await companies.handle({ type: 'InitiateEngagement', data: { companyId, now: clock(), score } }, context);
      const [initiated] = result.events;
      if (initiated?.type !== 'EngagementInitiated') throw new Error(`InitiateEngagement of ${companyId} recorded no EngagementInitiated`);
      return { engagementNumber: initiated.data.engagementNumber, deadline: new Date(initiated.data.deadline).toISOString(), lsn: result.lastLsn };
    },

    async respondToEngagement(companyId: string, response: EngagementResponseInput, context: CommandContext) {
      assertMayRespondToEngagement(context.actor, companyId);
      const result = await companies.handle({ type: 'RespondToEngagement', data: { companyId, now: clock(), response } }, context);
      const certified = result.events.find((event) => event.type === 'CertificationIssued');
      return certified?.type === 'CertificationIssued'
        ? {
            outcome: 'certified' as const,
            certification: { level: certified.data.level, fee: { amountMinor: certified.data.feeMinor, currency: certified.data.currency } },
            lsn: result.lastLsn,
          }
        : { outcome: 'watch_listed' as const, lsn: result.lastLsn };
    },

    async watchListLowScore(companyId: string, context: CommandContext) {
      assertAdmin(context.actor, 'watch-listing a company by hand');
      const score = await companyScores(companyId);
      const result = await companies.handle({ type: 'WatchListLowScore', data: { companyId, now: clock(), score } }, context);
      return { lsn: result.lastLsn };
    },

    async delistCompany(companyId: string, context: CommandContext) {
      assertAdmin(context.actor, 'delisting a company');
      const result = await companies.handle({ type: 'DelistCompany', data: { companyId, now: clock() } }, context);
      return { lsn: result.lastLsn };
    },
  };
}
