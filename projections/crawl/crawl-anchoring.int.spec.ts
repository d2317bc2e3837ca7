// Every crawl-billing event, written by the real use cases (participants, prices, deposits, bills, a refused
// overdraw, disputes, refunds), is anchored on a real chain (anvil): each one's Merkle proof verifies off
// chain and in the contract, `audit verify` passes over the whole log, and a changed bill amount is caught
// and named by its LSN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlCommands } from '../../commands/crawl/crawl-commands.ts';
import { DomainError } from '../../commands/decider.ts';
import { contextOf, decodeEvent, encodeEvent, eventTypes } from '../../events-schema/index.ts';
import { leafFieldsOf } from '../../events-schema/leaf.ts';
import { runAudit } from '../../gateways/cli/audit.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { proofBytes } from '../anchoring/audit/batch-proofs.ts';
import { streamProofs } from '../anchoring/audit/stream-proofs.ts';
import type { VerifyReport } from '../anchoring/audit/verify-log.ts';
import { createAuditTestbed, type AuditTestbed } from '../anchoring/testing/audit-testbed.ts';
import { projections } from '../../gateways/contexts/index.ts';

const DAY = 86_400_000;
const START = Date.parse('2030-05-01T10:00:00Z');
let now = START;
let testbed: AuditTestbed;
let anchoredBatches = 0;

beforeAll(async () => {
  testbed = await createAuditTestbed();
  // An admin acts for every participant: who may is not what this test is about.
  const context = { metadata: { actor: 'audit-test' }, actor: { subject: 'audit-test', grants: [{ role: 'admin' as const }] } };
  const commands = crawlCommands(testbed.eventStore, () => now);
  const crawl = (crawlId: string, platformId: string, publisherId: string) => ({ crawlId, platformId, publisherId, url: `https://${publisherId}.example/${crawlId}`, bytes: 4096 });

  await testbed.appendDecision('mixed-in', 2); // other contexts' events share the log and the batches
  for (const participantId of ['pub-a', 'pub-b']) await commands.registerParticipant({ participantId, role: 'publisher', name: participantId }, context);
  for (const participantId of ['ai-1', 'ai-2']) await commands.registerParticipant({ participantId, role: 'platform', name: participantId }, context);
  await commands.setPrice('pub-a', { pricePerCrawl: 2_500 }, context);
  await commands.setPrice('pub-b', { pricePerCrawl: 900 }, context);
  await commands.deposit('ai-1', { amount: 10_000 }, context);
  await commands.deposit('ai-2', { amount: 2_000 }, context);
  await Promise.all([1, 2, 3].map((i) => commands.billCrawl(crawl(`a-${i}`, 'ai-1', i === 2 ? 'pub-b' : 'pub-a'), context)));
  await commands.billCrawl(crawl('b-1', 'ai-2', 'pub-b'), context);
  await commands.billCrawl(crawl('b-2', 'ai-2', 'pub-b'), context);
  // An overdraw is refused and appends nothing: it has no place in the anchored log.
  const head = await testbed.eventStore.headLsn();
  await expect(commands.billCrawl(crawl('b-3', 'ai-2', 'pub-b'), context)).rejects.toSatisfy((error) => error instanceof DomainError && error.code === 'insufficient_escrow');
  expect(await testbed.eventStore.headLsn()).toBe(head);

  await testbed.anchor({ batchSize: 7 }); // a first round; the rest of the log is anchored after it
  now += DAY;
  await commands.setPrice('pub-a', { pricePerCrawl: 3_000 }, context);
  await commands.disputeCrawl('a-1', { platformId: 'ai-1', reason: 'disallowed by robots.txt' }, context);
  await commands.disputeCrawl('b-1', { platformId: 'ai-2', reason: 'duplicate fetch' }, context);
  await testbed.appendDecision('mixed-in-again', 1);
  await commands.refundCrawl('a-1', { platformId: 'ai-1', publisherId: 'pub-a' }, context); // disputed first
  await commands.refundCrawl('a-2', { platformId: 'ai-1', publisherId: 'pub-b' }, context); // refunded undisputed
  await commands.billCrawl(crawl('a-4', 'ai-1', 'pub-a'), context);
  await commands.deposit('ai-2', { amount: 1_000 }, context);
  await commands.billCrawl(crawl('b-3', 'ai-2', 'pub-b'), context);
  anchoredBatches = (await testbed.anchor({ batchSize: 7 })).length;
});
afterAll(async () => testbed?.close());

async function audit(args: string[]): Promise<{ code: number; report: VerifyReport }> {
  let output = '';
  const code = await runAudit([...args, '--json'], { db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, projections, write: (text) => (output += text) });
  return { code, report: (JSON.parse(output) as { log: VerifyReport }).log };
}

describe('crawl-billing events on chain', () => {
  it('anchors every crawl event, of every type, with a proof the contract accepts', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const crawl = log.filter((recorded) => contextOf(recorded.type) === 'crawl');
    const crawlTypes = eventTypes().filter((type) => contextOf(type) === 'crawl');
    expect(new Set(crawlTypes)).toEqual(new Set(['ParticipantRegistered', 'PublisherPriceSet', 'EscrowDeposited', 'CrawlBilled', 'CrawlDisputed', 'CrawlRefunded']));
    expect(new Set(crawl.map((recorded) => recorded.type))).toEqual(new Set(crawlTypes));
    expect(crawl.length).toBeLessThan(log.length); // governance events are anchored in the same batches
    expect(anchoredBatches).toBeGreaterThan(1);

    const streams = [...new Set(crawl.map((recorded) => recorded.streamId))];
    expect(streams.sort()).toEqual(['escrow-ai-1', 'escrow-ai-2', 'participant-ai-1', 'participant-ai-2', 'participant-pub-a', 'participant-pub-b']);
    let proven = 0;
    for (const streamId of streams) {
      const { events } = await streamProofs({ db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, streamId });
      for (const proof of events) {
        expect(proof, `${streamId}@${proof.revision}`).toMatchObject({ status: 'anchored', verifiesOffChain: true });
        const recorded = log[proof.lsn - 1]!;
        expect(recorded.lsn).toBe(proof.lsn);
        const fields = leafFieldsOf(recorded);
        expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...fields, proof: proofBytes(proof.proof!) })).toBe(true);
        // The same proof does not vouch for another event of the batch.
        const neighbour = log[proof.lsn === 1 ? 1 : proof.lsn - 2]!;
        expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(neighbour), proof: proofBytes(proof.proof!) })).toBe(false);
        proven += 1;
      }
    }
    expect(proven).toBe(crawl.length);
  });

  it('passes `audit verify` over the whole log', async () => {
    const head = await testbed.eventStore.headLsn();
    const { code, report } = await audit(['verify']);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, eventsChecked: head, headLsn: head, anchoredToLsn: head, mismatches: [] });
  });

  it('names a bill whose amount was changed in the event store as tampered, by its LSN', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const bills = log.filter((recorded) => recorded.type === 'CrawlBilled');
    const bill: RecordedEvent = bills[Math.floor(bills.length / 2)]!;
    const event = decodeEvent(bill.data);
    if (event.type !== 'CrawlBilled') throw new Error('expected a CrawlBilled');
    const forged = encodeEvent({ ...event, data: { ...event.data, amount: event.data.amount - 1 } });
    await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [forged, bill.lsn]);
    try {
      const { code, report } = await audit(['verify']);
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'tampered', lsns: [bill.lsn] })]);
      // The contract refuses the forged bill with the proof of the one it anchored.
      const [tampered] = await testbed.eventStore.readAll({ fromLsn: bill.lsn, limit: 1 });
      const { events } = await streamProofs({ db: testbed.db, eventStore: testbed.eventStore, chain: testbed.chain, streamId: bill.streamId });
      const proof = events.find((e) => e.lsn === bill.lsn)!;
      expect(proof.verifiesOffChain).toBe(false);
      expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(tampered!), proof: proofBytes(proof.proof!) })).toBe(false);
    } finally {
      await testbed.db.pool.query('update event_log set data = $1 where lsn = $2', [Buffer.from(bill.data), bill.lsn]);
    }
    expect((await audit(['verify'])).code).toBe(0);
  });
});
