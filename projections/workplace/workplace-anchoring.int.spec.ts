// Every workplace event, written by the real use cases and the deadline process, is anchored on a real
// chain (anvil): each one's Merkle proof verifies off chain and in the contract, `audit verify` passes
// over the whole log, and a changed review score is caught.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../commands/actor.ts';
import type { ScoreSeen } from '../../commands/workplace/company.ts';
import { createEngagementDeadlines } from '../../commands/workplace/engagement-deadlines.ts';
import { workplaceCommands } from '../../commands/workplace/workplace-commands.ts';
import { decodeEvent, encodeEvent, eventTypes, contextOf } from '../../events-schema/index.ts';
import { leafFieldsOf } from '../../events-schema/leaf.ts';
import { proofBytes } from '../anchoring/audit/batch-proofs.ts';
import { streamProofs } from '../anchoring/audit/stream-proofs.ts';
import { verifyLog } from '../anchoring/audit/verify-log.ts';
import { leavesBetween } from '../anchoring/batch-store.ts';
import { createAuditTestbed, type AuditTestbed } from '../anchoring/testing/audit-testbed.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-01-01T00:00:00Z');
let now = START;
let testbed: AuditTestbed;

/** The score each company "has" in the read model: this test is about the log, not the read model. */
const scores: Record<string, ScoreSeen> = {
  good: { sampleSize: 5, overallScore: 7200, asOfLsn: 10 },
  poor: { sampleSize: 5, overallScore: 3100, asOfLsn: 10 },
  late: { sampleSize: 5, overallScore: 5000, asOfLsn: 10 },
};

beforeAll(async () => {
  testbed = await createAuditTestbed();
  const context = { metadata: { actor: 'audit-test' }, actor: systemActor('audit-test') };
  // Each review by a subject of its own.
  const reviewer = (subject: string) => ({ metadata: {}, actor: { subject, grants: [] } });
  const commands = workplaceCommands({
    eventStore: testbed.eventStore,
    pseudonymKey: Buffer.alloc(32, 1),
    companyScores: async (companyId) => scores[companyId] ?? null,
    clock: () => now,
  });
  await testbed.appendDecision('mixed-in', 2); // other contexts' events share the log and the batches
  for (const companyId of Object.keys(scores)) {
    await commands.registerCompany({ companyId, name: companyId }, context);
    for (let i = 0; i < 5; i++) {
      const level = Math.round(scores[companyId]!.overallScore / 100);
      const s = { managementQuality: level, cultureEnvironment: level, fairnessEquity: level, transparency: level, growthDevelopment: level };
      await commands.submitReview(companyId, { scores: s }, reviewer(`${companyId}-${i}`));
    }
    await commands.initiateEngagement(companyId, context);
  }
  now += DAY;
  await commands.respondToEngagement('good', { decision: 'engage', level: 'gold' }, context);
  await commands.respondToEngagement('poor', { decision: 'decline' }, context);
  await commands.initiateEngagement('poor', context);
  await commands.respondToEngagement('poor', { decision: 'engage', level: 'bronze' }, context); // certified: off the list
  now = START + 61 * DAY;
  const deadlines = createEngagementDeadlines({
    eventStore: testbed.eventStore,
    dueEngagements: async () => [{ companyId: 'late', engagementNumber: 1, deadline: START + 60 * DAY }],
    clock: () => now,
    logger: pino({ level: 'silent' }),
  });
  expect((await deadlines.expireDue()).expired).toHaveLength(1);
  await commands.delistCompany('late', context);
  await testbed.anchor({ batchSize: 7 });
});
afterAll(async () => testbed?.close());

const verify = () =>
  verifyLog({ eventStore: testbed.eventStore, chain: testbed.chain, storedLeaves: (from, to) => leavesBetween(testbed.db, from, to), pageSize: 9 });

describe('workplace events on chain', () => {
  it('anchors every workplace event, of every type, with a proof the contract accepts', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const workplace = log.filter((recorded) => contextOf(recorded.type) === 'workplace');
    expect(new Set(workplace.map((recorded) => recorded.type))).toEqual(new Set(eventTypes().filter((type) => contextOf(type) === 'workplace')));

    const streams = [...new Set(workplace.map((recorded) => recorded.streamId))];
    let proven = 0;
    for (const streamId of streams) {
      const { events } = await streamProofs({ db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, streamId });
      for (const proof of events) {
        expect(proof, `${streamId}@${proof.revision}`).toMatchObject({ status: 'anchored', verifiesOffChain: true });
        const recorded = log[proof.lsn - 1]!;
        expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(recorded), proof: proofBytes(proof.proof!) })).toBe(true);
        proven += 1;
      }
    }
    expect(proven).toBe(workplace.length);
  });

  it('passes `audit verify` over the whole log', async () => {
    const head = await testbed.eventStore.headLsn();
    expect(await verify()).toMatchObject({ ok: true, eventsChecked: head, headLsn: head, anchoredToLsn: head, mismatches: [] });
  });

  it('names a review whose score was changed in the event store as tampered', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const review = log.find((recorded) => recorded.type === 'SubmissionScored')!;
    const event = decodeEvent(review.data);
    if (event.type !== 'SubmissionScored') throw new Error('expected a SubmissionScored');
    const forged = encodeEvent({ ...event, data: { ...event.data, managementQuality: 100, overallScore: event.data.overallScore + 1 } });
    await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [forged, review.lsn]);
    try {
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'tampered', lsns: [review.lsn] })]);
    } finally {
      await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [Buffer.from(review.data), review.lsn]);
    }
    expect((await verify()).ok).toBe(true);
  });
});
