// Every impact event, written by the real use cases (zones, quests, submissions verified instantly, by
// witnesses and by review, rejections, transfers, redemptions, a closed quest), is anchored on a real chain
// (anvil): each one's Merkle proof verifies off chain and in the contract, every impact-ledger entry is
// provable by its event id over GET /v1/audit/events/:id/proof, `audit verify` passes over the whole log,
// and an XpAwarded whose XP was changed in the event store is caught and named by its LSN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Actor } from '../../commands/actor.ts';
import type { CommandContext } from '../../commands/command-core.ts';
import { impactCommands } from '../../commands/impact/impact-commands.ts';
import { createQuestSchema, defineZoneSchema, submitEvidenceSchema } from '../../commands/impact/schemas.ts';
import { contextOf, decodeEvent, encodeEvent, eventTypes } from '../../events-schema/index.ts';
import { fromHex32, leafOfEvent } from '../../events-schema/leaf.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import type { LedgerEntry } from '../../ports/read-models/impact.ts';
import { rootFromProof, sameBytes, toHex } from '../anchoring/merkle-tree.ts';
import { createAuditTestbed, type AuditTestbed } from '../anchoring/testing/audit-testbed.ts';
import { expectAuditVerifyPasses, expectEveryEventProven, expectForgeryCaught, startAuditGateway } from '../anchoring/testing/audit-checks.ts';
import { impactProjection } from './impact-projection.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-06-30T09:00:00Z'); // the second day is in July: two ledger months
let now = START;
let testbed: AuditTestbed;
let app: FastifyInstance;
let anchoredBatches = 0;

const QM: Actor = { subject: 'qm-1', grants: [{ role: 'quest-master' }] };
const player = (n: number): Actor => ({ subject: `0x${String(n).repeat(40)}`, grants: [] });
const [ANA, BO, CY, DI] = [player(1), player(2), player(3), player(4)] as [Actor, Actor, Actor, Actor];
const as = (actor: Actor): CommandContext => ({ metadata: {}, actor });

let captures = 0;
const submission = (extra: { accuracyM?: number } = {}) => {
  captures += 1;
  return submitEvidenceSchema.parse({
    submissionId: `s-${captures}`,
    evidence: { sha256: captures.toString(16).padStart(2, '0').repeat(32) },
    location: { lat: 43.533, lon: 4.633, accuracyM: extra.accuracyM ?? 5 },
    capturedAt: new Date(now - captures * 60_000).toISOString(),
  });
};

beforeAll(async () => {
  testbed = await createAuditTestbed();
  const impact = impactCommands(testbed.eventStore, () => now);
  const quest = (questId: string, witnessesRequired: number, difficulty = 'easy') =>
    impact.createQuest(createQuestSchema.parse({ questId, title: questId, category: 'cleanup', zoneId: 'delta', difficulty, baseXp: 400, tokenReward: 3_000_000, witnessesRequired }), as(QM));

  await testbed.appendDecision('mixed-in', 2); // other contexts' events share the log and the batches
  await impact.defineZone(defineZoneSchema.parse({ zoneId: 'delta', name: 'Delta', region: 'camargue', center: { lat: 43.533, lon: 4.633 }, radiusM: 500, priority: 1.25 }), as(QM));
  await quest('q-instant', 0, 'hard');
  await quest('q-witnessed', 2);
  await quest('q-later', 0);
  // Instant (levels crossed), by witnesses, by review after a flag; a witness-majority rejection; a review rejection.
  await impact.submitEvidence('q-instant', submission(), as(ANA));
  const witnessed = submission();
  await impact.submitEvidence('q-witnessed', witnessed, as(BO));
  await impact.witness(witnessed.submissionId, { submitterId: BO.subject, approve: true }, as(CY));
  await impact.witness(witnessed.submissionId, { submitterId: BO.subject, approve: true }, as(DI));
  const outvoted = submission();
  await impact.submitEvidence('q-witnessed', outvoted, as(CY));
  await impact.witness(outvoted.submissionId, { submitterId: CY.subject, approve: false }, as(ANA));
  await impact.witness(outvoted.submissionId, { submitterId: CY.subject, approve: false }, as(BO));
  const blurry = submission({ accuracyM: 30 });
  await impact.submitEvidence('q-instant', blurry, as(DI));
  await impact.review(blurry.submissionId, { submitterId: DI.subject, decision: 'approve' }, as(QM));
  const blurrier = submission({ accuracyM: 60 });
  await impact.submitEvidence('q-instant', blurrier, as(CY));
  await impact.review(blurrier.submissionId, { submitterId: CY.subject, decision: 'reject' }, as(QM));
  await testbed.anchor({ batchSize: 9 }); // a first round; the rest of the log is anchored after it

  now += DAY;
  await impact.transfer(ANA.subject, { to: BO.subject, amount: 1_000_000 }, as(ANA));
  await impact.redeem(BO.subject, { amount: 500_000, item: 'seed pack' }, as(BO));
  await testbed.appendDecision('mixed-in-again', 1);
  await impact.submitEvidence('q-later', submission(), as(ANA));
  await impact.closeQuest('q-witnessed', as(QM));
  anchoredBatches = (await testbed.anchor({ batchSize: 9 })).length;

  // The impact read model (for its ledger) and a gateway answering audit proofs.
  await testbed.runToHead(impactProjection, 7);
  app = await startAuditGateway(testbed);
});
afterAll(async () => {
  await app?.close();
  await testbed?.close();
});

describe('impact events on chain', () => {
  it('anchors every impact event, of every type, with a proof the contract accepts', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const impact = log.filter((recorded) => contextOf(recorded.type) === 'impact');
    const impactTypes = eventTypes().filter((type) => contextOf(type) === 'impact');
    expect(impactTypes).toHaveLength(15);
    expect(new Set(impact.map((recorded) => recorded.type))).toEqual(new Set(impactTypes));
    expect(impact.length).toBeLessThan(log.length); // governance events are anchored in the same batches
    expect(anchoredBatches).toBeGreaterThan(1);

    expect(await expectEveryEventProven(testbed, log, impact)).toBe(impact.length);
  });

  it('proves every impact-ledger entry by its event id over GET /v1/audit/events/:id/proof', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const ledgerTypes = new Set(['XpAwarded', 'TokensMinted', 'TokensSent', 'TokensReceived', 'TokensRedeemed']);
    const entries: LedgerEntry[] = [];
    for (const month of ['2030-06', '2030-07']) {
      const page = await app.inject({ url: `/v1/impact/ledger?month=${month}&limit=500` });
      expect(page.statusCode, page.body).toBe(200);
      entries.push(...(page.json().entries as LedgerEntry[]));
    }
    // One entry per ledger event of the log, named by its event id.
    expect(entries.map((entry) => [entry.entryId, entry.lsn]).sort()).toEqual(log.filter((recorded) => ledgerTypes.has(recorded.type)).map((recorded) => [recorded.eventId, recorded.lsn]).sort());
    expect(new Set(entries.map((entry) => entry.month))).toEqual(new Set(['2030-06', '2030-07']));

    for (const entry of entries) {
      const recorded = log[entry.lsn - 1]!;
      const response = await app.inject({ url: `/v1/audit/events/${entry.entryId}/proof` });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ eventId: entry.entryId, lsn: entry.lsn, leaf: toHex(leafOfEvent(recorded)), verifiedOnChain: true });
      const onChain = await testbed.chain.batch(body.batchId);
      expect(body.root).toBe(toHex(onChain!.root));
      expect(sameBytes(rootFromProof(fromHex32(body.leaf), (body.proof as string[]).map((node) => fromHex32(node))), onChain!.root)).toBe(true);
    }
  });

  it('passes `audit verify` over the whole log', async () => {
    await expectAuditVerifyPasses(testbed);
  });

  it('names an XpAwarded whose XP was changed in the event store as tampered, by its LSN', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const awards = log.filter((recorded) => recorded.type === 'XpAwarded');
    expect(awards.length).toBeGreaterThan(2);
    const award: RecordedEvent = awards[1]!;
    const event = decodeEvent(award.data);
    if (event.type !== 'XpAwarded') throw new Error('expected an XpAwarded');
    const forged = encodeEvent({ ...event, data: { ...event.data, xp: event.data.xp * 10 } });
    await expectForgeryCaught(testbed, award, forged);
  });
});
