import { getAddress } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../commands/actor.ts';
import { assetCommands } from '../../../commands/assets/asset-commands.ts';
import { registerAssetSchema } from '../../../commands/assets/schemas.ts';
import { impactCommands } from '../../../commands/impact/impact-commands.ts';
import { createQuestSchema, defineZoneSchema, submitEvidenceSchema } from '../../../commands/impact/schemas.ts';
import { createLocalSource } from '../../../infra/bus/local/local-source.ts';
import { projections } from '../../../gateways/contexts/index.ts';
import { projectionSchema } from '../../runtime/projection-schema.ts';
import { createProjectionWorker } from '../../runtime/worker.ts';
import { waitForWatermark } from '../../runtime/watermark.ts';
import { decisionCreated, voteCast } from '../../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from '../../testing/projection-testbed.ts';
import { checkReadModels } from './read-model-check.ts';

let testbed: ProjectionTestbed;
const workers = new AbortController();
let running: Promise<void>[] = [];
let head = 0;

/** Impact play through the use cases, so the impact tables (ledger, metrics, leaderboards…) hold rows to compare. */
async function impactSeason() {
  let clock = Date.UTC(2030, 2, 31, 23, 30); // the last half hour of March: the second day is in April
  const impact = impactCommands(testbed.eventStore, () => clock);
  const as = (actor: Actor) => ({ metadata: {}, actor });
  const qm: Actor = { subject: 'qm', grants: [{ role: 'quest-master' }] };
  const ana: Actor = { subject: `0x${'a'.repeat(40)}`, grants: [] };
  const bo: Actor = { subject: `0x${'b'.repeat(40)}`, grants: [] };
  const evidence = (n: number) =>
    submitEvidenceSchema.parse({ submissionId: `s-${n}`, evidence: { sha256: String(n).repeat(64) }, location: { lat: 51.5, lon: -0.12, accuracyM: 5 }, capturedAt: new Date(clock - n * 60_000).toISOString() });
  await impact.defineZone(defineZoneSchema.parse({ zoneId: 'z', name: 'Bank', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1.5 }), as(qm));
  for (const [questId, witnessesRequired] of [['q-0', 0], ['q-1', 1], ['q-2', 0]] as const) {
    await impact.createQuest(createQuestSchema.parse({ questId, title: questId, category: 'trees', zoneId: 'z', difficulty: 'hard', baseXp: 200, tokenReward: 2_000_000, witnessesRequired }), as(qm));
  }
  await impact.submitEvidence('q-0', evidence(1), as(ana));
  await impact.submitEvidence('q-1', evidence(2), as(bo));
  await impact.witness('s-2', { submitterId: bo.subject, approve: true }, as(ana));
  clock += 3_600_000;
  await impact.submitEvidence('q-2', evidence(3), as(ana));
  await impact.transfer(ana.subject, { to: bo.subject, amount: 1_500_000 }, as(ana));
  await impact.redeem(bo.subject, { amount: 700_000, item: 'sapling' }, as(bo));
  await impact.closeQuest('q-1', as(qm));
}

/** A small market through the assets use cases: a sale, a stake and a claim, so every assets table holds rows. */
async function assetsMarket() {
  let clock = Date.UTC(2030, 3, 1, 12);
  const assets = assetCommands(testbed.eventStore, () => clock);
  const as = (actor: Actor) => ({ metadata: {}, actor });
  const treasury: Actor = { subject: 'treasury', grants: [{ role: 'treasury' }, { role: 'verifier' }] };
  const creator: Actor = { subject: getAddress(`0x${'c'.repeat(40)}`), grants: [] };
  const buyer: Actor = { subject: getAddress(`0x${'d'.repeat(40)}`), grants: [] };
  const asset = registerAssetSchema.parse({
    assetId: 'song', name: 'A song', assetType: 'copyright', price: 1_000_000, royaltyBps: 1000, creators: [{ address: creator.subject, shareBps: 10_000 }], contentHash: `0x${'ab'.repeat(32)}`,
  });
  await assets.register(asset, as(creator));
  await assets.decideVerification('song', { outcome: 'verified', reason: 'ok' }, as(treasury));
  await assets.deposit(buyer.subject, 3_000_000, as(treasury));
  await assets.purchase('song', { price: 1_000_000, purchaseId: 'p-1' }, as(buyer));
  await assets.fundRewardPool(1_000_000, as(treasury));
  await assets.stake('song', { stakeId: 'st-1', amount: 1_000_000, durationDays: 30 }, as(buyer));
  clock += 3 * 86_400_000;
  await assets.claim('st-1', as(buyer));
}

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  await testbed.append([
    { streamId: 'decision-river', event: decisionCreated('river', { options: ['dam', 'no dam'] }) },
    ...['ana', 'bo', 'cy', 'di'].map((voter) => ({ streamId: `ballot-river:${voter}`, event: voteCast('river', voter, { option: 'dam' }) })),
  ]);
  await impactSeason();
  await assetsMarket();
  running = projections.map((projection) =>
    createProjectionWorker({ db: testbed.db, projection, source: createLocalSource(testbed.eventStore, { maxBatchEvents: 2 }) }).run(workers.signal),
  );
  head = await testbed.eventStore.headLsn();
  await Promise.all(projections.map((projection) => waitForWatermark(testbed.db, projection.name, head, { timeoutMs: 20_000 })));
});
afterAll(async () => {
  workers.abort();
  await Promise.all(running);
  await testbed.close();
});

async function shadowSchemas(): Promise<string[]> {
  const { rows } = await testbed.db.pool.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like '%\\_shadow\\_%'`);
  return rows.map((row) => row.nspname);
}

describe('checkReadModels (audit verify --rebuild)', () => {
  it('finds every read model equal to its rebuild from the log, at the same LSN, and drops the shadows', async () => {
    const report = await checkReadModels({ db: testbed.db, eventStore: testbed.eventStore, projections });

    expect(report.ok).toBe(true);
    expect(report.projections.map((check) => check.projection)).toEqual(projections.map((projection) => projection.name));
    for (const check of report.projections) expect(check.comparedAtLsn).toBe(head);
    // The impact tables are compared with rows in them (token_totals is the one row it always has).
    const impact = report.projections.find((check) => check.projection === 'impact')!;
    for (const table of impact.tables) expect(table.live?.rows, table.table).toBeGreaterThan(0);
    expect(impact.tables.find((table) => table.table === 'ledger')!.live!.rows).toBe(3 * 2 + 2 + 1); // 3 × (xp, mint), send, receive, redeem
    // And the assets tables, every one of them with rows.
    const assets = report.projections.find((check) => check.projection === 'assets')!;
    for (const table of assets.tables) expect(table.live?.rows, table.table).toBeGreaterThan(0);
    expect(report.projections.flatMap((check) => check.tables.map((table) => table.table)).sort()).toEqual([
      'anchor_leaves', 'asset_creators', 'asset_owners', 'assets', 'certifications', 'companies', 'company_scores', 'crawls', 'daily_metrics',
      'decision_tallies', 'decision_votes', 'decisions', 'engagements', 'escrows', 'evidence_claims', 'grants', 'leaderboard_all', 'leaderboard_day',
      'ledger', 'metric_players', 'participants', 'platform_days', 'player_days', 'players', 'provenance', 'publisher_days', 'purchases',
      'quest_completions', 'quests', 'stake_fundings', 'stake_payouts', 'stakes', 'staking', 'submissions', 'supply_totals', 'token_totals', 'transfers',
      'wallet_transactions', 'wallets', 'watch_list', 'watch_list_history', 'zones',
    ]);
    expect(await shadowSchemas()).toEqual([]);
  });

  it('reports the table whose live rows were changed by hand, and leaves the live tables as they were', async () => {
    const tallies = () => testbed.db.knex.withSchema(projectionSchema('governance')).table('decision_tallies');
    await tallies().where({ decision_id: 'river', option: 'dam' }).update({ votes: 40 });
    const ledger = () => testbed.db.knex.withSchema(projectionSchema('impact')).table('ledger');
    const [first] = (await ledger().orderBy('lsn').limit(1).select('entry_id', 'amount')) as Array<{ entry_id: string; amount: string }>;
    await ledger().where({ entry_id: first!.entry_id }).update({ amount: Number(first!.amount) + 1 });

    const report = await checkReadModels({ db: testbed.db, eventStore: testbed.eventStore, projections });

    expect(report.ok).toBe(false);
    const differing = report.projections.flatMap((check) => check.tables.filter((table) => !table.same).map((table) => `${check.projection}.${table.table}`));
    expect(differing).toEqual(['governance.decision_tallies', 'impact.ledger']);
    expect(await tallies().where({ decision_id: 'river', option: 'dam' }).first()).toMatchObject({ votes: 40 });
    expect(await shadowSchemas()).toEqual([]);
  });
});
