import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projection } from '../projection.ts';
import { decisionClosed, decisionCreated, voteCast } from './governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed } from './projection-testbed.ts';
import { projectionSpec } from './projection-spec.ts';

// A small read model to show the helper: open/closed decisions and their vote counts.
const decisionBoard: Projection = {
  name: 'board',
  canHandle: ['DecisionCreated', 'VoteCast', 'DecisionClosed'],
  migrations: [
    {
      name: '001_board',
      async up(knex) {
        await knex.raw(`create table board (decision_id text primary key, status text not null, votes integer not null default 0)`);
      },
    },
  ],
  async applyBatch(events, trx) {
    for (const { event } of events) {
      if (event.type === 'DecisionCreated') await trx('board').insert({ decision_id: event.data.decisionId, status: 'open' });
      if (event.type === 'VoteCast') await bump(trx, event.data.decisionId, (row) => ({ votes: row.votes + 1 }));
      if (event.type === 'DecisionClosed') await bump(trx, event.data.decisionId, () => ({ status: 'closed' }));
    }
  },
};

async function bump(trx: Knex.Transaction, decisionId: string, change: (row: { votes: number }) => Record<string, unknown>) {
  const row = await trx('board').where({ decision_id: decisionId }).first<{ votes: number } | undefined>('votes');
  if (!row) throw new Error(`unknown decision ${decisionId}`);
  await trx('board').where({ decision_id: decisionId }).update(change(row));
}

let testbed: ProjectionTestbed;
beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed.close());

describe('projectionSpec', () => {
  const spec = () => projectionSpec(decisionBoard, testbed);

  it('given earlier events, when new ones, then the tables hold their effect', async () => {
    await spec()
      .given({ streamId: 'decision-d1', event: decisionCreated('d1') }, { streamId: 'decision-d2', event: decisionCreated('d2') })
      .when({ streamId: 'ballot-d1:v1', event: voteCast('d1', 'v1') }, { streamId: 'decision-d2', event: decisionClosed('d2') })
      .then(async (trx, { parked }) => {
        expect(await trx('board').select().orderBy('decision_id')).toEqual([
          { decision_id: 'd1', status: 'open', votes: 1 },
          { decision_id: 'd2', status: 'closed', votes: 0 },
        ]);
        expect(parked).toEqual([]);
      });
  });

  it('each scenario starts from empty tables', async () => {
    await spec()
      .given({ streamId: 'decision-d1', event: decisionCreated('d1') })
      .then(async (trx) => expect(await trx('board').select('decision_id')).toEqual([{ decision_id: 'd1' }]));
  });

  it('thenParked names the events the projection refused and those waiting behind them', async () => {
    await spec()
      .given({ streamId: 'decision-d1', event: decisionCreated('d1') })
      .when({ streamId: 'ballot-d9:v1', event: voteCast('d9', 'v1') }, { streamId: 'ballot-d9:v1', event: voteCast('d9', 'v1') }, { streamId: 'ballot-d1:v1', event: voteCast('d1', 'v1') })
      .thenParked([
        { streamId: 'ballot-d9:v1', type: 'VoteCast', error: 'unknown decision d9' },
        { streamId: 'ballot-d9:v1', error: /waiting behind parked event/ },
      ]);
  });

  it('deliveredAs applies the when events out of LSN order, each batch from a partition of its own', async () => {
    // The vote is recorded after its decision, but reaches the projection first: the board refuses it.
    await spec()
      .given()
      .when({ streamId: 'decision-d1', event: decisionCreated('d1') }, { streamId: 'ballot-d1:v1', event: voteCast('d1', 'v1') })
      .deliveredAs([1], [0])
      .thenParked([{ streamId: 'ballot-d1:v1', type: 'VoteCast', error: 'unknown decision d1' }]);
    expect(() => spec().given().when({ streamId: 'decision-d1', event: decisionCreated('d1') }).deliveredAs([0], [0])).toThrow(/exactly once/);
  });

  it('fails the test when the tables do not match', async () => {
    await expect(
      spec()
        .given({ streamId: 'decision-d1', event: decisionCreated('d1') })
        .then(async (trx) => expect(await trx('board').select('decision_id')).toEqual([])),
    ).rejects.toThrow(/expected/);
  });
});
