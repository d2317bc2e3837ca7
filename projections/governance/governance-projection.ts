// Decision results from governance events: a row per decision and tallies per (decision, option, voter
// class). Votes of one batch are summed in memory and written in one statement.
//
// A vote recorded after its decision's close (a higher LSN) is not counted. A ballot stream and its
// decision's stream may sit on different Kafka partitions, so such a vote may be applied before or after
// the close; either way it ends up uncounted:
//   - a vote of a decision the read model has closed counts if its LSN is below the close's; otherwise it
//     only adds to the decision's `late_votes`;
//   - a vote of a decision not closed (or not created) yet counts, and is kept in `decision_votes` with its
//     LSN;
//   - a close takes the kept votes above its LSN back out of the tallies (into `late_votes`) and drops the
//     decision's kept votes: the ones below it are final.
// The tables end the same in every order of arrival, so a rebuild (in LSN order) equals the live model.
// Re-delivery needs nothing here: the runtime applies each LSN once.
import { governanceEventTypes, type DecisionClosed, type DecisionCreated, type GovernanceEvent } from '../../events-schema/governance/events.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection } from '../projection.ts';
import { governanceAnalyticsViews } from './analytics.ts';
import { governanceMigrations } from './migrations.ts';

export const GOVERNANCE_PROJECTION = 'governance';

type TallyKey = `${string}\u0000${string}\u0000${string}`;
type Tally = { votes: number; weight: number };
type Vote = { decisionId: string; lsn: number; option: string; voterClass: string; weight: number };

export const governanceProjection: Projection<GovernanceEvent> = {
  name: GOVERNANCE_PROJECTION,
  canHandle: governanceEventTypes,
  migrations: governanceMigrations,
  analyticsViews: governanceAnalyticsViews,
  async applyBatch(events, trx) {
    const votes: Vote[] = [];
    const decisionEvents: Array<{ lsn: number; event: DecisionCreated | DecisionClosed }> = [];
    const decisionIds = new Set<string>();
    for (const { event, lsn } of events) {
      decisionIds.add(event.data.decisionId);
      switch (event.type) {
        case 'VoteCast': {
          const { decisionId, option, voterClass, weight } = event.data;
          votes.push({ decisionId, lsn, option, voterClass, weight });
          break;
        }
        case 'DecisionCreated':
        case 'DecisionClosed':
          decisionEvents.push({ lsn, event });
          break;
        default:
          unhandledEvent(event);
      }
    }
    await lockDecisions(trx, decisionIds);
    // The decisions' own events first (in stream order): the votes of this batch then see its closes too.
    for (const { lsn, event } of decisionEvents) {
      if (event.type === 'DecisionCreated') await createDecision(trx, lsn, event.data);
      else await closeDecision(trx, lsn, event.data);
    }
    await countVotes(trx, votes);
  },
};

/**
 * A transaction lock per decision the batch touches: a vote's "is its decision closed?" and a close's "which
 * votes came after me?" must not run side by side in two workers' transactions, or each would miss the
 * other's uncommitted write. So only one batch at a time changes a decision's rows. Taken in one order
 * everywhere, so two batches never wait for each other in a cycle; keyed by schema too, so a rebuild's
 * replay does not wait for the live worker.
 */
async function lockDecisions(trx: SqlTransaction, decisionIds: ReadonlySet<string>) {
  const ids = [...decisionIds].sort();
  await trx.raw(
    `select pg_advisory_xact_lock(hashtextextended('proofline.governance.decision:' || current_schema() || ':' || id, 0))
       from unnest(?::text[]) as ids(id)`,
    [ids],
  );
}

async function createDecision(trx: SqlTransaction, lsn: number, data: DecisionCreated['data']) {
  await trx('decisions').insert({
    decision_id: data.decisionId,
    title: data.title,
    options: JSON.stringify(data.options),
    weights: JSON.stringify(data.weights),
    status: 'open',
    closes_at: data.closesAt === null ? null : new Date(data.closesAt),
    created_at: new Date(data.createdAt),
    created_lsn: lsn,
  });
}

async function closeDecision(trx: SqlTransaction, lsn: number, data: DecisionClosed['data']) {
  const { decisionId, closedAt, reason } = data;
  const decision = await trx('decisions').where({ decision_id: decisionId }).first<{ closed_lsn: number | null } | undefined>('closed_lsn');
  // Same stream as its creation, so the creation was applied first: a miss is an inconsistency.
  if (!decision) throw new Error(`DecisionClosed at LSN ${lsn} for unknown decision ${decisionId}`);
  // The decider closes a decision once; were a stream to hold a second close, the first one stands.
  if (decision.closed_lsn !== null) return;

  // The kept votes go (those below the close are final); those above it are taken back out of the tallies.
  const { rows: late } = await trx.raw<{ rows: Array<{ option: string; voter_class: string; votes: number; weight: number }> }>(
    `with kept as (delete from decision_votes where decision_id = ? returning lsn, option, voter_class, weight)
     select option, voter_class, count(*)::bigint as votes, sum(weight)::bigint as weight
       from kept where lsn > ? group by option, voter_class order by option, voter_class`,
    [decisionId, lsn],
  );
  if (late.length > 0) {
    await trx.raw(
      `update decision_tallies t set votes = t.votes - late.votes, weight_sum = t.weight_sum - late.weight
         from unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[]) as late(option, voter_class, votes, weight)
        where t.decision_id = ? and t.option = late.option and t.voter_class = late.voter_class`,
      [late.map((l) => l.option), late.map((l) => l.voter_class), late.map((l) => l.votes), late.map((l) => l.weight), decisionId],
    );
    // A tally exists only while it counts a vote, as if the late votes had never been counted.
    await trx('decision_tallies').where({ decision_id: decisionId, votes: 0 }).delete();
  }
  const lateVotes = late.reduce((sum, l) => sum + l.votes, 0);
  await trx('decisions')
    .where({ decision_id: decisionId })
    .update({
      status: 'closed',
      closed_at: new Date(closedAt),
      closed_reason: reason,
      closed_lsn: lsn,
      late_votes: trx.raw('late_votes + ?', [lateVotes]),
    });
}

async function countVotes(trx: SqlTransaction, votes: readonly Vote[]) {
  if (votes.length === 0) return;
  const closedAt = new Map<string, number>();
  const closed = await trx('decisions')
    .whereIn('decision_id', [...new Set(votes.map((vote) => vote.decisionId))])
    .whereNotNull('closed_lsn')
    .select<Array<{ decision_id: string; closed_lsn: number }>>('decision_id', 'closed_lsn');
  for (const row of closed) closedAt.set(row.decision_id, row.closed_lsn);

  const tallies = new Map<TallyKey, Tally>();
  const kept: Vote[] = [];
  const late = new Map<string, number>();
  for (const vote of votes) {
    const closedLsn = closedAt.get(vote.decisionId);
    if (closedLsn !== undefined && vote.lsn > closedLsn) {
      late.set(vote.decisionId, (late.get(vote.decisionId) ?? 0) + 1);
      continue;
    }
    // Until its decision is closed, a vote is kept: the close may turn out to come before it.
    if (closedLsn === undefined) kept.push(vote);
    const key: TallyKey = `${vote.decisionId}\u0000${vote.option}\u0000${vote.voterClass}`;
    const tally = tallies.get(key) ?? { votes: 0, weight: 0 };
    tally.votes += 1;
    tally.weight += vote.weight;
    tallies.set(key, tally);
  }
  await keepVotes(trx, kept);
  await addLateVotes(trx, late);
  await addTallies(trx, tallies);
}

async function keepVotes(trx: SqlTransaction, votes: readonly Vote[]) {
  if (votes.length === 0) return;
  await trx.raw(
    `insert into decision_votes (decision_id, lsn, option, voter_class, weight)
     select * from unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])`,
    [votes.map((v) => v.decisionId), votes.map((v) => v.lsn), votes.map((v) => v.option), votes.map((v) => v.voterClass), votes.map((v) => v.weight)],
  );
}

async function addLateVotes(trx: SqlTransaction, late: Map<string, number>) {
  if (late.size === 0) return;
  const ids = [...late.keys()];
  await trx.raw(
    `update decisions d set late_votes = d.late_votes + l.votes
       from unnest(?::text[], ?::bigint[]) as l(decision_id, votes)
      where d.decision_id = l.decision_id`,
    [ids, ids.map((id) => late.get(id)!)],
  );
}

async function addTallies(trx: SqlTransaction, tallies: Map<TallyKey, Tally>) {
  if (tallies.size === 0) return;
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
