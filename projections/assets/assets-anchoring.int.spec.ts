// Every assets event, written by the real use cases (registrations with three creators, a verification and a
// rejection, price and listing, deposits, withdrawals, sales and a resale, a purchase refused for too little
// money, the reward pool, stakes claimed and closed), is anchored on a real chain (anvil): each one's Merkle
// proof verifies off chain and in the contract; each asset's provenance over GET /v1/assets/:id/provenance
// carries, for every event, a proof the contract's verifyEvent accepts from the body alone; `audit verify`
// passes over the whole log; and an AssetSold whose royalty was changed in the event store is named by its
// LSN, and the contract refuses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { getAddress } from 'ethers';
import type { Actor } from '../../commands/actor.ts';
import type { CommandContext } from '../../commands/command-core.ts';
import { assetCommands } from '../../commands/assets/asset-commands.ts';
import { registerAssetSchema } from '../../commands/assets/schemas.ts';
import { contextOf, decodeEvent, encodeEvent, eventTypes } from '../../events-schema/index.ts';
import { eventIdBytes32, fromHex32, leafFieldsOf, leafOfEvent, toHex } from '../../events-schema/leaf.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { proofBytes } from '../anchoring/audit/batch-proofs.ts';
import { createAuditTestbed, type AuditTestbed } from '../anchoring/testing/audit-testbed.ts';
import { expectAuditVerifyPasses, expectEveryEventProven, expectForgeryCaught, startAuditGateway } from '../anchoring/testing/audit-checks.ts';
import { assetsProjection } from './assets-projection.ts';

const DAY = 86_400_000;
let now = Date.parse('2031-08-01T09:00:00Z');
let testbed: AuditTestbed;
let app: FastifyInstance;
let anchoredBatches = 0;

const wallet = (n: number): Actor => ({ subject: getAddress(`0x${n.toString(16).padStart(40, '0')}`), grants: [] });
const [ADA, BO, CY, DI, EVE, FLO] = [wallet(0xada), wallet(0xb0), wallet(0xc1), wallet(0xd1), wallet(0xe5e), wallet(0xf10)] as [Actor, Actor, Actor, Actor, Actor, Actor];
const VERIFIER: Actor = { subject: 'verifier-1', grants: [{ role: 'verifier' }] };
const TREASURY: Actor = { subject: 'treasury-1', grants: [{ role: 'treasury' }] };
const as = (actor: Actor): CommandContext => ({ metadata: {}, actor });
const ASSETS = ['trio', 'solo', 'refused'];

beforeAll(async () => {
  testbed = await createAuditTestbed();
  const assets = assetCommands(testbed.eventStore, () => now);
  const register = (assetId: string, price: number, royaltyBps: number, creators: Array<[Actor, number]>) =>
    assets.register(
      registerAssetSchema.parse({ assetId, name: assetId, assetType: 'model', price, royaltyBps, creators: creators.map(([actor, shareBps]) => ({ address: actor.subject, shareBps })), contentHash: `0x${'ab'.repeat(32)}` }),
      as(creators[0]![0]),
    );

  await testbed.appendDecision('mixed-in', 2); // other contexts' events share the log and the batches
  await register('trio', 7_000_003, 2500, [[ADA, 3333], [BO, 3333], [CY, 3334]]);
  await register('solo', 1_000_000, 0, [[DI, 10_000]]);
  await register('refused', 1_000_000, 100, [[DI, 10_000]]);
  await assets.decideVerification('trio', { outcome: 'verified', reason: 'original' }, as(VERIFIER));
  await assets.decideVerification('solo', { outcome: 'verified', reason: 'original' }, as(VERIFIER));
  await assets.decideVerification('refused', { outcome: 'rejected', reason: 'copied' }, as(VERIFIER));
  await assets.deposit(EVE.subject, 30_000_000, as(TREASURY));
  await assets.deposit(FLO.subject, 500_000, as(TREASURY));
  await assets.fundRewardPool(2_000_000, as(TREASURY));
  await assets.purchase('trio', { price: 7_000_003 }, as(EVE));
  await expect(assets.purchase('solo', { price: 1_000_000 }, as(FLO))).rejects.toMatchObject({ code: 'insufficient_funds' });
  await assets.setPrice('solo', 900_000, as(DI));
  await assets.stake('trio', { stakeId: 'st-1', amount: 10_000_000, durationDays: 30 }, as(EVE));
  await testbed.anchor({ batchSize: 11 }); // a first round; the rest of the log is anchored after it

  now += 5 * DAY;
  await assets.claim('st-1', as(EVE));
  await assets.setListing('trio', true, as(EVE));
  await assets.setPrice('trio', 8_000_000, as(EVE));
  await assets.deposit(DI.subject, 10_000_000, as(TREASURY));
  await assets.purchase('trio', { price: 8_000_000 }, as(DI)); // a resale: royalties to the three, proceeds to Eve
  await testbed.appendDecision('mixed-in-again', 1);
  now += 30 * DAY;
  await assets.unstake('st-1', as(EVE));
  await assets.withdraw(EVE.subject, 1_000_000, as(EVE));
  anchoredBatches = (await testbed.anchor({ batchSize: 11 })).length;

  // The assets read model (for provenance) and a gateway answering it with the audit's proofs.
  await testbed.runToHead(assetsProjection, 7);
  app = await startAuditGateway(testbed);
});
afterAll(async () => {
  await app?.close();
  await testbed?.close();
});

describe('assets events on chain', () => {
  it('anchors every assets event, of every type, with a proof the contract accepts', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const assets = log.filter((recorded) => contextOf(recorded.type) === 'assets');
    const assetsTypes = eventTypes().filter((type) => contextOf(type) === 'assets');
    expect(assetsTypes).toHaveLength(19);
    expect(new Set(assets.map((recorded) => recorded.type))).toEqual(new Set(assetsTypes));
    expect(assets.length).toBeLessThan(log.length); // governance events are anchored in the same batches
    expect(anchoredBatches).toBeGreaterThan(1);

    expect(await expectEveryEventProven(testbed, log, assets)).toBe(assets.length);
  });

  it('answers each asset’s provenance with, for every event, a proof the contract’s verifyEvent accepts from the body alone', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    let proven = 0;
    for (const assetId of ASSETS) {
      const response = await app.inject({ url: `/v1/assets/${assetId}/provenance?limit=500&consistentWith=${log.length}` });
      expect(response.statusCode, response.body).toBe(200);
      const entries = response.json().events as Array<{ eventId: string; lsn: number; type: string; proof: Record<string, unknown> & { batchId: number; lsn: number; streamHash: string; payloadHash: string; leaf: string; proof: string[]; root: string } }>;
      const stream = log.filter((recorded) => recorded.streamId === `assets-asset-${assetId}`);
      expect(entries.map((entry) => [entry.eventId, entry.lsn, entry.type])).toEqual(stream.map((recorded) => [recorded.eventId, recorded.lsn, recorded.type]));
      for (const entry of entries) {
        const recorded = log[entry.lsn - 1]!;
        const fields = leafFieldsOf(recorded);
        // What the body claims is what the stored event hashes to, and the contract it names is the one asked.
        expect(entry.proof, `${assetId} LSN ${entry.lsn}`).toMatchObject({ eventId: entry.eventId, lsn: entry.lsn, leaf: toHex(leafOfEvent(recorded)), streamHash: toHex(fields.streamHash), payloadHash: toHex(fields.payloadHash), contract: testbed.chain.contractAddress, verifiedOnChain: true });
        expect(entry.proof.root).toBe(toHex((await testbed.chain.batch(entry.proof.batchId))!.root));
        const args = { batchId: entry.proof.batchId, lsn: entry.proof.lsn, streamHash: fromHex32(entry.proof.streamHash), eventId: eventIdBytes32(entry.eventId), payloadHash: fromHex32(entry.proof.payloadHash), proof: proofBytes(entry.proof.proof) };
        expect(await testbed.chain.verifyEvent(args), `${assetId} LSN ${entry.lsn}`).toBe(true);
        // One bit of the payload otherwise, and the contract says no.
        const flipped = fromHex32(entry.proof.payloadHash);
        flipped[31]! ^= 1;
        expect(await testbed.chain.verifyEvent({ ...args, payloadHash: flipped })).toBe(false);
        proven += 1;
      }
    }
    expect(proven).toBe(log.filter((recorded) => recorded.streamId.startsWith('assets-asset-')).length);
    expect(proven).toBe(15); // trio 8, solo 5, refused 2
  });

  it('passes `audit verify` over the whole log', async () => {
    await expectAuditVerifyPasses(testbed);
  });

  it('names an AssetSold whose royalty was changed in the event store as tampered, by its LSN, and the contract refuses it', async () => {
    const log = await testbed.eventStore.readAll({ fromLsn: 1 });
    const sales = log.filter((recorded) => recorded.type === 'AssetSold');
    expect(sales).toHaveLength(2);
    const sale: RecordedEvent = sales[1]!;
    const event = decodeEvent(sale.data);
    if (event.type !== 'AssetSold') throw new Error('expected an AssetSold');
    // One micro-unit moved from the first creator's royalty to the second's: the sums still agree.
    const [first, second, ...rest] = event.data.royalties;
    const royalties = [{ ...first!, amount: first!.amount - 1 }, { ...second!, amount: second!.amount + 1 }, ...rest];
    const forged = encodeEvent({ ...event, data: { ...event.data, royalties } });
    await expectForgeryCaught(testbed, sale, forged, async ({ tampered, proof }) => {
      expect(decodeEvent(tampered.data)).toMatchObject({ type: 'AssetSold', data: { royalties } });
      expect(await testbed.chain.verifyEvent({ batchId: proof.batchId!, ...leafFieldsOf(sale), proof: proofBytes(proof.proof!) })).toBe(true);
    });
  });
});
