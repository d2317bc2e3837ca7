// Decision results from governance events: a row per decision and incremented tallies per
// (decision, option, voter class). Votes of one batch are summed in memory and written in one statement.
import type { GovernanceEvent } from '../../events-schema/governance/events.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { eventTypesOf, type Projection, type ProjectedEvent } from '../projection.ts';
import { governanceMigrations } from './migrations.ts';

export const GOVERNANCE_PROJECTION = 'governance';

type TallyKey = `${string}\u0000${string}\u0000${string}`;

export const governanceProjection: Projection<GovernanceEvent> = {
  name: GOVERNANCE_PROJECTION,
  canHandle: eventTypesOf<GovernanceEvent>({ DecisionCreated: true, VoteCast: true, DecisionClosed: true }),
  migrations: governanceMigrations,
  async applyBatch(events, trx) {
    const tallies = new Map<TallyKey, { votes: number; weight: number }>();
    for (const projected of events) {
      const { event } = projected;
      switch (event.type) {
        case 'VoteCast': {
          const { decisionId, option, voterClass, weight } = event.data;
          const key: TallyKey = `${decisionId}\u0000${option}\u0000${voterClass}`;
          const tally = tallies.get(key) ?? { votes: 0, weight: 0 };
          tally.votes += 1;
          tally.weight += weight;
          tallies.set(key, tally);
          break;
        }
        case 'DecisionCreated':
          await createDecision(trx, projected, event.data);
          break;
        case 'DecisionClosed': {
          const { decisionId, closedAt, reason } = event.data;
          const updated = await trx('decisions')
            .where({ decision_id: decisionId })
            .update({ status: 'closed', closed_at: new Date(closedAt), closed_reason: reason });
          // Same stream as its creation, so the creation was applied first: a miss is an inconsistency.
          if (updated === 0) throw new Error(`DecisionClosed at LSN ${projected.lsn} for unknown decision ${decisionId}`);
          break;
        }
      }
    }
    await addTallies(trx, tallies);
  },
};

async function createDecision(trx: SqlTransaction, projected: ProjectedEvent, data: Extract<ProjectedEvent['event'], { type: 'DecisionCreated' }>['data']) {
  await trx('decisions').insert({
    decision_id: data.decisionId,
    title: data.title,
    options: JSON.stringify(data.options),
    weights: JSON.stringify(data.weights),
    status: 'open',
    closes_at: data.closesAt === null ? null : new Date(data.closesAt),
    created_at: new Date(data.createdAt),
    created_lsn: projected.lsn,
  });
}

async function addTallies(trx: SqlTransaction, tallies: Map<TallyKey, { votes: number; weight: number }>) {
  if (tallies.size === 0) return;
  // Sorted keys: two workers adding to the same rows lock them in the same order, so never deadlock.
  const keys = [...tallies.keys()].sort();
  const columns = { decisionIds: [] as string[], options: [] as string[], classes: [] as string[], votes: [] as number[], weights: [] as number[] };
  for (const key of keys) {
    const [decisionId, option, voterClass] = key.split('\u0000') as [string, string, string];
    const tally = tallies.get(key)!;
    columns.decisionIds.push(decisionId);
    columns.options.push(option);
    columns.classes.push(voterClass);
    columns.votes.push(tally.votes);
    columns.weights.push(tally.weight);
  }
  await trx.raw(
    `insert into decision_tallies (decision_id, option, voter_class, votes, weight_sum)
     select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
     on conflict (decision_id, option, voter_class) do update
       set votes = decision_tallies.votes + excluded.votes, weight_sum = decision_tallies.weight_sum + excluded.weight_sum`,
    [columns.decisionIds, columns.options, columns.classes, columns.votes, columns.weights],
  );
}
