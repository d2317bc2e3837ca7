// The use cases on the real PostgreSQL event store (a fresh database per test): the orchestration the
// deciders cannot see (the evidence claim, the two legs of a transfer, retries and concurrency).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeEvent, encodeEvent, MAX_IMPACT_INTEGER, type ProoflineEvent } from '../../events-schema/index.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import type { EventStore, EventToAppend } from '../../ports/event-store.ts';
import type { Actor } from '../actor.ts';
import type { CommandContext } from '../command-core.ts';
import { DomainError } from '../decider.ts';
import { impactCommands } from './impact-commands.ts';
import { createQuestSchema, defineZoneSchema, submitEvidenceSchema } from './schemas.ts';

const now = Date.UTC(2030, 0, 10, 12);
const QM: Actor = { subject: 'qm-1', grants: [{ role: 'quest-master' }] };
const ALICE: Actor = { subject: '0x1111111111111111111111111111111111111111', grants: [] };
const BOB: Actor = { subject: '0x2222222222222222222222222222222222222222', grants: [] };
const CAROL: Actor = { subject: '0x3333333333333333333333333333333333333333', grants: [] };
const as = (actor: Actor, idempotencyKey?: string): CommandContext => ({ metadata: {}, actor, ...(idempotencyKey ? { idempotencyKey } : {}) });

const zone = defineZoneSchema.parse({ zoneId: 'z1', name: 'Delta', region: 'camargue', center: { lat: 43.533, lon: 4.633 }, radiusM: 500, priority: 1 });
const quest = (questId: string, witnessesRequired: number) =>
  createQuestSchema.parse({ questId, title: 'Clean', category: 'cleanup', zoneId: 'z1', difficulty: 'easy', baseXp: 100, tokenReward: 10_000_000, witnessesRequired });
const submission = (submissionId: string, sha = 'ab', capturedAt = new Date(now - 60_000).toISOString()) =>
  submitEvidenceSchema.parse({ submissionId, evidence: { sha256: sha.repeat(32) }, location: { lat: 43.533, lon: 4.633, accuracyM: 5 }, capturedAt });

let database: TestDatabase;
let db: Database;
let store: PostgresEventStore;
/** Called before each append; throw from it to cut a use case off there (a crash between two appends). */
let beforeAppend: (streamId: string, events: readonly EventToAppend[]) => void;
let impact: ReturnType<typeof impactCommands>;
const eventsOf = async (streamId: string): Promise<ProoflineEvent[]> => (await store.readStream(streamId)).events.map((event) => decodeEvent(event.data));
const balanceOf = async (playerId: string) => {
  const withBalance = (await eventsOf(`impact-player-${playerId}`)).filter((event) => 'balanceAfter' in event.data);
  return (withBalance.at(-1)?.data as { balanceAfter: number } | undefined)?.balanceAfter ?? 0;
};
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: unknown) => (error instanceof DomainError ? error.code : (error as Error).name));

beforeEach(async () => {
  database = await createTestDatabase('proofline_impact');
  db = openDatabase(database.url);
  await migrateEventStore(db);
  store = createPostgresEventStore(db);
  beforeAppend = () => {};
  // The real store, with a hook in front of its appends.
  const hooked: EventStore = Object.assign(Object.create(store) as EventStore, {
    appendToStream: (streamId: string, events: readonly EventToAppend[], options?: Parameters<EventStore['appendToStream']>[2]) => {
      beforeAppend(streamId, events);
      return store.appendToStream(streamId, events, options);
    },
  });
  impact = impactCommands(hooked, () => now);
  await impact.defineZone(zone, as(QM));
  await impact.createQuest(quest('q-witnessed', 2), as(QM));
  await impact.createQuest(quest('q-instant', 0), as(QM));
});

afterEach(async () => {
  await store?.close();
  await db?.close();
  await database?.drop();
});

describe('impact use cases: authority', () => {
  it('zones, quests and reviews take role quest-master; tokens move only by their player', async () => {
    expect(await codeOf(impact.defineZone({ ...zone, zoneId: 'z2' }, as(ALICE)))).toBe('forbidden');
    expect(await codeOf(impact.createQuest(quest('q3', 0), as(ALICE)))).toBe('forbidden');
    expect(await codeOf(impact.closeQuest('q-instant', as(ALICE)))).toBe('forbidden');
    expect(await codeOf(impact.review('s1', { submitterId: ALICE.subject, decision: 'approve' }, as(BOB)))).toBe('forbidden');
    expect(await codeOf(impact.transfer(ALICE.subject, { to: BOB.subject, amount: 1 }, as(BOB)))).toBe('forbidden');
    expect(await codeOf(impact.redeem(ALICE.subject, { amount: 1, item: 'x' }, as(BOB)))).toBe('forbidden');
    expect(await codeOf(impact.submitEvidence('q-instant', submission('s1'), { metadata: {} }))).toBe('forbidden');
  });

  it('a quest needs a defined zone', async () => {
    expect(await codeOf(impact.createQuest({ ...quest('q3', 0), zoneId: 'nowhere' }, as(QM)))).toBe('zone_not_found');
  });
});

describe('impact use cases: submissions', () => {
  it('verified by two other players, rewarded on the submitter’s stream', async () => {
    const submitted = await impact.submitEvidence('q-witnessed', submission('s1'), as(ALICE));
    expect(submitted).toMatchObject({ status: 'pending_witnesses', flags: [], playerId: ALICE.subject });
    expect(await codeOf(impact.witness('s1', { submitterId: ALICE.subject, approve: true }, as(ALICE)))).toBe('cannot_witness_own_submission');
    await impact.witness('s1', { submitterId: ALICE.subject, approve: true }, as(BOB));
    const verified = await impact.witness('s1', { submitterId: ALICE.subject, approve: true }, as(CAROL));
    expect(verified.status).toBe('verified');
    expect((await eventsOf(`impact-player-${ALICE.subject}`)).map((event) => event.type)).toEqual([
      'EvidenceSubmitted',
      'WitnessRecorded',
      'WitnessRecorded',
      'QuestCompleted',
      'XpAwarded',
      'TokensMinted',
      'LeveledUp',
    ]);
    expect(await balanceOf(ALICE.subject)).toBe(10_000_000);
    expect(await codeOf(impact.submitEvidence('q-witnessed', submission('s2', 'cd', new Date(now - 30_000).toISOString()), as(ALICE)))).toBe('quest_already_completed');
  });

  it('the same evidence from anyone else is flagged duplicate_evidence; a retry of the first is not', async () => {
    const first = await impact.submitEvidence('q-instant', submission('s1'), as(ALICE, 'key-1'));
    expect(await eventsOf('impact-evidence-' + 'ab'.repeat(32))).toEqual([
      { type: 'EvidenceClaimed', data: { sha256: 'ab'.repeat(32), submissionId: 's1', playerId: ALICE.subject, claimedAt: now } },
    ]);
    const retry = await impact.submitEvidence('q-instant', submission('s1'), as(ALICE, 'key-1'));
    expect(retry).toMatchObject({ status: 'verified', flags: [], eventIds: first.eventIds });
    const copy = await impact.submitEvidence('q-instant', submission('s2'), as(BOB));
    expect(copy).toMatchObject({ status: 'flagged', flags: ['duplicate_evidence'] });
    expect(await codeOf(impact.submitEvidence('q-witnessed', submission('s2', 'ef'), as(CAROL)))).toBe('submission_exists');
    // Refused at the claim (its event id names the submission): the other evidence stays unclaimed.
    expect(await eventsOf('impact-evidence-' + 'ef'.repeat(32))).toEqual([]);
  });

  it('a refused submission claims no hash', async () => {
    expect(await codeOf(impact.submitEvidence('no-such-quest', submission('s1'), as(ALICE)))).toBe('quest_not_found');
    await impact.closeQuest('q-instant', as(QM));
    expect(await codeOf(impact.submitEvidence('q-instant', submission('s1'), as(ALICE)))).toBe('quest_closed');
    expect(await eventsOf('impact-evidence-' + 'ab'.repeat(32))).toEqual([]);
  });

  it('a flagged submission is decided by a quest-master’s review', async () => {
    const flagged = await impact.submitEvidence('q-witnessed', submission('s1', 'ab', new Date(now + 1).toISOString()), as(ALICE));
    expect(flagged).toMatchObject({ status: 'flagged', flags: ['stale'] });
    expect(await codeOf(impact.witness('s1', { submitterId: ALICE.subject, approve: true }, as(BOB)))).toBe('submission_flagged');
    expect(await impact.review('s1', { submitterId: ALICE.subject, decision: 'approve' }, as(QM))).toMatchObject({ status: 'verified' });
  });
});

describe('impact use cases: transfers', () => {
  beforeEach(async () => {
    await impact.submitEvidence('q-instant', submission('s1'), as(ALICE)); // 10 000 000 minted to Alice
  });

  it('debits the sender and credits the receiver under one transfer id', async () => {
    const result = await impact.transfer(ALICE.subject, { to: BOB.subject, amount: 4_000_000 }, as(ALICE, 'tr-key'));
    expect(result).toMatchObject({ from: ALICE.subject, to: BOB.subject, amount: 4_000_000, balance: 6_000_000 });
    expect(await balanceOf(ALICE.subject)).toBe(6_000_000);
    expect(await balanceOf(BOB.subject)).toBe(4_000_000);
    expect(await codeOf(impact.transfer(ALICE.subject, { to: BOB.subject, amount: 6_000_001 }, as(ALICE)))).toBe('insufficient_tokens');
    expect(await codeOf(impact.transfer(ALICE.subject, { to: ALICE.subject, amount: 1 }, as(ALICE)))).toBe('transfer_to_self');
  });

  it('a crash between debit and credit: the retry completes it, once', async () => {
    beforeAppend = (streamId) => {
      if (streamId === `impact-player-${BOB.subject}`) throw new Error('crashed');
    };
    expect(await codeOf(impact.transfer(ALICE.subject, { to: BOB.subject, amount: 3_000_000, transferId: 't1' }, as(ALICE, 'k')))).toBe('Error');
    expect([await balanceOf(ALICE.subject), await balanceOf(BOB.subject)]).toEqual([7_000_000, 0]);
    beforeAppend = () => {};
    await impact.transfer(ALICE.subject, { to: BOB.subject, amount: 3_000_000, transferId: 't1' }, as(ALICE, 'k'));
    await impact.transfer(ALICE.subject, { to: BOB.subject, amount: 3_000_000, transferId: 't1' }, as(ALICE, 'k'));
    expect([await balanceOf(ALICE.subject), await balanceOf(BOB.subject)]).toEqual([7_000_000, 3_000_000]);
    expect((await eventsOf(`impact-player-${ALICE.subject}`)).filter((event) => event.type === 'TokensSent')).toHaveLength(1);
    expect((await eventsOf(`impact-player-${BOB.subject}`)).filter((event) => event.type === 'TokensReceived')).toHaveLength(1);
  });

  it('a crash between debit and credit: completePendingTransfers credits what is missing, once', async () => {
    beforeAppend = (streamId) => {
      if (streamId === `impact-player-${CAROL.subject}`) throw new Error('crashed');
    };
    await codeOf(impact.transfer(ALICE.subject, { to: CAROL.subject, amount: 2_000_000, transferId: 't2' }, as(ALICE)));
    beforeAppend = () => {};
    await impact.transfer(ALICE.subject, { to: BOB.subject, amount: 1_000_000, transferId: 't3' }, as(ALICE));
    expect(await impact.completePendingTransfers(ALICE.subject)).toEqual(['t2']);
    expect(await impact.completePendingTransfers(ALICE.subject)).toEqual([]);
    expect([await balanceOf(ALICE.subject), await balanceOf(BOB.subject), await balanceOf(CAROL.subject)]).toEqual([7_000_000, 1_000_000, 2_000_000]);
  });

  it('a credit the receiver cannot take refuses the transfer before anything leaves the sender', async () => {
    // CAROL's balance at the largest exact amount (minted directly: no quest pays that much).
    const minted: ProoflineEvent = { type: 'TokensMinted', data: { playerId: CAROL.subject, submissionId: 'huge', amount: MAX_IMPACT_INTEGER, balanceAfter: MAX_IMPACT_INTEGER, mintedAt: now } };
    await store.appendToStream(`impact-player-${CAROL.subject}`, [{ eventId: randomUUID(), type: minted.type, data: encodeEvent(minted), metadata: {} }], { expectedRevision: 'any' });
    const before = await eventsOf(`impact-player-${ALICE.subject}`);
    expect(await codeOf(impact.transfer(ALICE.subject, { to: CAROL.subject, amount: 1_000_000, transferId: 't-max' }, as(ALICE)))).toBe('token_amount_out_of_range');
    expect(await eventsOf(`impact-player-${ALICE.subject}`)).toEqual(before);
  });

  it('simultaneous transfers out of one balance never overdraw it, and no token is created or lost', async () => {
    const attempts = Array.from({ length: 30 }, (_, index) =>
      impact.transfer(ALICE.subject, { to: index % 2 ? BOB.subject : CAROL.subject, amount: 1_000_000, transferId: `c${index}` }, as(ALICE)).then(
        () => 'ok',
        (error: unknown) => (error instanceof DomainError ? error.code : (error as Error).name),
      ),
    );
    const outcomes = await Promise.all(attempts);
    const succeeded = outcomes.filter((outcome) => outcome === 'ok').length;
    // One writer per player stream decides them one after another: exactly the 10 the balance holds go
    // through, the rest are refused for want of tokens (none bounced as a conflict).
    expect(succeeded).toBe(10);
    expect(outcomes.every((outcome) => ['ok', 'insufficient_tokens'].includes(outcome))).toBe(true);
    await impact.completePendingTransfers(ALICE.subject);
    const sent = (await eventsOf(`impact-player-${ALICE.subject}`)).filter((event) => event.type === 'TokensSent').length;
    expect(await balanceOf(ALICE.subject)).toBe(10_000_000 - sent * 1_000_000);
    expect(await balanceOf(ALICE.subject)).toBeGreaterThanOrEqual(0);
    expect((await balanceOf(ALICE.subject)) + (await balanceOf(BOB.subject)) + (await balanceOf(CAROL.subject))).toBe(10_000_000);
    for (const event of (await store.readAll({ fromLsn: 1, limit: 10_000 })).map((recorded) => decodeEvent(recorded.data))) {
      if ('balanceAfter' in event.data) expect(event.data.balanceAfter as number).toBeGreaterThanOrEqual(0);
    }
  });

  it('redeems (burns) from the balance, never below zero', async () => {
    expect(await impact.redeem(ALICE.subject, { amount: 10_000_000, item: 'sapling' }, as(ALICE))).toMatchObject({ balance: 0 });
    expect(await codeOf(impact.redeem(ALICE.subject, { amount: 1, item: 'sapling' }, as(ALICE)))).toBe('insufficient_tokens');
  });
});
