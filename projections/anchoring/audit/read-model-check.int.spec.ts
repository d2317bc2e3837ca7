import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  testbed = await createProjectionTestbed();
  await testbed.append([
    { streamId: 'decision-river', event: decisionCreated('river', { options: ['dam', 'no dam'] }) },
    ...['ana', 'bo', 'cy', 'di'].map((voter) => ({ streamId: `ballot-river:${voter}`, event: voteCast('river', voter, { option: 'dam' }) })),
  ]);
  running = projections.map((projection) =>
    createProjectionWorker({ db: testbed.db, projection, source: createLocalSource(testbed.eventStore, { maxBatchEvents: 2 }) }).run(workers.signal),
  );
  const head = await testbed.eventStore.headLsn();
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
    for (const check of report.projections) expect(check.comparedAtLsn).toBe(5);
    expect(report.projections.flatMap((check) => check.tables.map((table) => table.table)).sort()).toEqual([
      'anchor_leaves', 'certifications', 'companies', 'company_scores', 'crawls', 'daily_metrics', 'decision_tallies', 'decision_votes',
      'decisions', 'engagements', 'escrows', 'evidence_claims', 'grants', 'leaderboard_all', 'leaderboard_day', 'ledger', 'metric_players',
      'participants', 'platform_days', 'player_days', 'players', 'publisher_days', 'quest_completions', 'quests', 'submissions',
      'token_totals', 'watch_list', 'zones',
    ]);
    expect(await shadowSchemas()).toEqual([]);
  });

  it('reports the table whose live rows were changed by hand, and leaves the live tables as they were', async () => {
    const tallies = () => testbed.db.knex.withSchema(projectionSchema('governance')).table('decision_tallies');
    await tallies().where({ decision_id: 'river', option: 'dam' }).update({ votes: 40 });

    const report = await checkReadModels({ db: testbed.db, eventStore: testbed.eventStore, projections });

    expect(report.ok).toBe(false);
    const differing = report.projections.flatMap((check) => check.tables.filter((table) => !table.same).map((table) => `${check.projection}.${table.table}`));
    expect(differing).toEqual(['governance.decision_tallies']);
    expect(await tallies().where({ decision_id: 'river', option: 'dam' }).first()).toMatchObject({ votes: 40 });
    expect(await shadowSchemas()).toEqual([]);
  });
});
