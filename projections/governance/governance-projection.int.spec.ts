// The governance read model on its own, against a real PostgreSQL: what each event does to `decisions` and
// `decision_tallies`, what is parked, and what the analysts' queries answer.
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decisionClosed, decisionCreated, voteCast } from '../testing/governance-events.ts';
import { createProjectionTestbed, type ProjectionTestbed, type StreamEvent } from '../testing/projection-testbed.ts';
import { projectionSpec } from '../testing/projection-spec.ts';
import type { Projection } from '../projection.ts';
import { governanceProjection } from './governance-projection.ts';
import { InvalidCursorError } from '../cursor.ts';
import { decisionResults, listDecisions } from './queries.ts';

let testbed: ProjectionTestbed;
beforeAll(async () => {
  testbed = await createProjectionTestbed();
});
afterAll(async () => testbed?.close());

const spec = () => projectionSpec(governanceProjection, testbed);
const decision = (id: string, data: Parameters<typeof decisionCreated>[1] = {}): StreamEvent => ({ streamId: `decision-${id}`, event: decisionCreated(id, data) });
const close = (id: string, data: Parameters<typeof decisionClosed>[1] = {}): StreamEvent => ({ streamId: `decision-${id}`, event: decisionClosed(id, data) });
const vote = (id: string, voterId: string, data: Parameters<typeof voteCast>[2] = {}): StreamEvent => ({
  streamId: `ballot-${id}:${voterId}`,
  event: voteCast(id, voterId, data),
});

const tallies = (trx: Knex.Transaction) =>
  trx('decision_tallies')
    .select('decision_id', 'option', 'voter_class')
    .select(trx.raw('votes::int as votes'), trx.raw('weight_sum::int as weight_sum'))
    .orderBy(['decision_id', 'option', 'voter_class']);

describe('governance projection: tables', () => {
  it('creates an open decision row with its options, weights and creation LSN', async () => {
    await spec()
      .given()
      .when(decision('d1', { title: 'Dam', options: ['yes', 'no', 'later'], closesAt: Date.UTC(2031, 0, 1) }))
      .then(async (trx, { recorded, parked }) => {
        const rows = await trx('decisions').select();
        expect(rows).toEqual([
          expect.objectContaining({
            decision_id: 'd1',
            title: 'Dam',
            options: ['yes', 'no', 'later'],
            weights: { citizen: 1, expert: 3, community: 2 },
            status: 'open',
            closes_at: new Date(Date.UTC(2031, 0, 1)),
            closed_at: null,
            created_lsn: recorded[0]!.lsn,
          }),
        ]);
        expect(await trx('decision_tallies').select()).toEqual([]);
        expect(parked).toEqual([]);
      });
  });

  it('adds votes per option and class, with their weights, across batches', async () => {
    await spec()
      .given(
        decision('d1'),
        vote('d1', 'a', { option: 'yes', voterClass: 'citizen', weight: 1 }),
        vote('d1', 'b', { option: 'yes', voterClass: 'expert', weight: 3 }),
      )
      .when(
        vote('d1', 'c', { option: 'yes', voterClass: 'expert', weight: 3 }),
        vote('d1', 'd', { option: 'no', voterClass: 'community', weight: 2 }),
        vote('d1', 'e', { option: 'yes', voterClass: 'citizen', weight: 1 }),
      )
      .then(async (trx, { parked }) => {
        expect(await tallies(trx)).toEqual([
          { decision_id: 'd1', option: 'no', voter_class: 'community', votes: 1, weight_sum: 2 },
          { decision_id: 'd1', option: 'yes', voter_class: 'citizen', votes: 2, weight_sum: 2 },
          { decision_id: 'd1', option: 'yes', voter_class: 'expert', votes: 2, weight_sum: 6 },
        ]);
        expect(parked).toEqual([]);
      });
  });

  it('closes a decision, keeping its tallies', async () => {
    await spec()
      .given(decision('d1'), vote('d1', 'a'))
      .when(close('d1', { reason: 'deadline', closedAt: Date.UTC(2025, 5, 1) }))
      .then(async (trx) => {
        expect(await trx('decisions').select('decision_id', 'status', 'closed_at', 'closed_reason')).toEqual([
          { decision_id: 'd1', status: 'closed', closed_at: new Date(Date.UTC(2025, 5, 1)), closed_reason: 'deadline' },
        ]);
        expect(await tallies(trx)).toEqual([{ decision_id: 'd1', option: 'yes', voter_class: 'citizen', votes: 1, weight_sum: 1 }]);
      });
  });

  it('counts votes applied before their decision was created (ballot and decision streams on different partitions)', async () => {
    await spec()
      .given(vote('d1', 'a', { option: 'no', voterClass: 'expert', weight: 3 }), vote('d1', 'b', { option: 'no', voterClass: 'expert', weight: 3 }))
      .when(decision('d1'), vote('d1', 'c'))
      .then(async (trx, { parked }) => {
        expect(parked).toEqual([]);
        expect(await trx('decisions').select('decision_id', 'status')).toEqual([{ decision_id: 'd1', status: 'open' }]);
        expect(await tallies(trx)).toEqual([
          { decision_id: 'd1', option: 'no', voter_class: 'expert', votes: 2, weight_sum: 6 },
          { decision_id: 'd1', option: 'yes', voter_class: 'citizen', votes: 1, weight_sum: 1 },
        ]);
      });
  });

  it('parks the stream of a DecisionClosed for an unknown decision, and nothing else', async () => {
    await spec()
      .given(decision('d1'))
      .when(close('ghost'), vote('d1', 'a'), close('ghost', { reason: 'deadline' }), close('d1'))
      .thenParked([
        { streamId: 'decision-ghost', type: 'DecisionClosed', error: 'unknown decision ghost' },
        { streamId: 'decision-ghost', type: 'DecisionClosed', error: /waiting behind parked event/ },
      ]);
    await spec()
      .given(decision('d1'))
      .when(close('ghost'), vote('d1', 'a'), close('d1'))
      .then(async (trx, { parked }) => {
        expect(parked.map((p) => p.streamId)).toEqual(['decision-ghost']);
        expect(await trx('decisions').select('decision_id', 'status')).toEqual([{ decision_id: 'd1', status: 'closed' }]);
        expect(await tallies(trx)).toEqual([{ decision_id: 'd1', option: 'yes', voter_class: 'citizen', votes: 1, weight_sum: 1 }]);
      });
  });

  it('refuses a second creation of the same decision (parks it) without touching the first', async () => {
    await spec()
      .given(decision('d1', { title: 'first' }))
      .when({ streamId: 'decision-d1-copy', event: decisionCreated('d1', { title: 'second' }) })
      .then(async (trx, { parked }) => {
        expect(parked.map((p) => ({ streamId: p.streamId, type: p.type }))).toEqual([{ streamId: 'decision-d1-copy', type: 'DecisionCreated' }]);
        expect(await trx('decisions').select('decision_id', 'title')).toEqual([{ decision_id: 'd1', title: 'first' }]);
      });
  });
});

// A ballot stream and its decision's stream may be on different partitions: a vote recorded after the close
// (higher LSN) may be applied before it or after it, a vote recorded before it may be applied after it.
describe('governance projection: votes recorded after the close are never counted', () => {
  const decisionRow = (trx: Knex.Transaction) =>
    trx('decisions').first<{ status: string; closed_lsn: number | null; late_votes: number }>('status', 'closed_lsn', 'late_votes');
  const keptVotes = (trx: Knex.Transaction) => trx('decision_votes').select('decision_id', 'option', 'voter_class', 'weight').orderBy('lsn');

  it('a late vote applied after the close: not counted, shown as late', async () => {
    await spec()
      .given(decision('d1'), vote('d1', 'a', { option: 'yes', voterClass: 'expert', weight: 3 }))
      .when(close('d1'), vote('d1', 'late', { option: 'no', voterClass: 'citizen', weight: 1 }))
      .then(async (trx, { recorded, parked }) => {
        expect(parked).toEqual([]);
        expect(await decisionRow(trx)).toEqual({ status: 'closed', closed_lsn: recorded[2]!.lsn, late_votes: 1 });
        expect(await tallies(trx)).toEqual([{ decision_id: 'd1', option: 'yes', voter_class: 'expert', votes: 1, weight_sum: 3 }]);
        expect(await keptVotes(trx)).toEqual([]);
      });
  });

  it('a late vote applied before the close (another partition): counted until the close arrives, then taken back', async () => {
    await spec()
      .given(decision('d1'), vote('d1', 'a', { option: 'yes', voterClass: 'expert', weight: 3 }))
      .when(close('d1'), vote('d1', 'late', { option: 'no', voterClass: 'citizen', weight: 1 }), vote('d1', 'later', { option: 'yes', voterClass: 'expert', weight: 3 }))
      .deliveredAs([1, 2], [0])
      .then(async (trx, { recorded, parked }) => {
        expect(parked).toEqual([]);
        expect(await decisionRow(trx)).toEqual({ status: 'closed', closed_lsn: recorded[2]!.lsn, late_votes: 2 });
        // The tally the late votes alone had created is gone; the one they shared is back to the vote before the close.
        expect(await tallies(trx)).toEqual([{ decision_id: 'd1', option: 'yes', voter_class: 'expert', votes: 1, weight_sum: 3 }]);
        expect(await keptVotes(trx)).toEqual([]);
      });
  });

  it('a vote recorded before the close but applied after it (a lagging partition): counted', async () => {
    await spec()
      .given(decision('d1'))
      .when(vote('d1', 'early', { option: 'no', voterClass: 'community', weight: 2 }), close('d1'))
      .deliveredAs([1], [0])
      .then(async (trx, { recorded }) => {
        expect(await decisionRow(trx)).toEqual({ status: 'closed', closed_lsn: recorded[2]!.lsn, late_votes: 0 });
        expect(await tallies(trx)).toEqual([{ decision_id: 'd1', option: 'no', voter_class: 'community', votes: 1, weight_sum: 2 }]);
      });
  });

  it('keeps the votes of an open decision with their LSNs, and drops them at the close', async () => {
    await spec()
      .given(decision('d1'), vote('d1', 'a', { option: 'yes', voterClass: 'expert', weight: 3 }))
      .when(vote('d1', 'b', { option: 'no', voterClass: 'citizen', weight: 1 }))
      .then(async (trx, { recorded }) => {
        expect(await trx('decision_votes').select('lsn').orderBy('lsn')).toEqual([{ lsn: recorded[1]!.lsn }, { lsn: recorded[2]!.lsn }]);
        expect(await decisionRow(trx)).toEqual({ status: 'open', closed_lsn: null, late_votes: 0 });
      });
  });

  it('ends with the same tables in every order of arrival, the same as in LSN order', async () => {
    // Creation, two votes before the close, the close, two votes after it (one in a class no earlier vote used).
    const events = [
      decision('d1', { options: ['yes', 'no'] }),
      vote('d1', 'a', { option: 'yes', voterClass: 'citizen', weight: 1 }),
      vote('d1', 'b', { option: 'no', voterClass: 'expert', weight: 3 }),
      close('d1'),
      vote('d1', 'c', { option: 'yes', voterClass: 'citizen', weight: 1 }),
      vote('d1', 'd', { option: 'yes', voterClass: 'community', weight: 2 }),
    ];
    const expected = {
      decision: { status: 'closed', closed: true, late_votes: 2 },
      tallies: [
        { decision_id: 'd1', option: 'no', voter_class: 'expert', votes: 1, weight_sum: 3 },
        { decision_id: 'd1', option: 'yes', voter_class: 'citizen', votes: 1, weight_sum: 1 },
      ],
      kept: [],
    };
    const orders = [
      [[0, 1, 2, 3, 4, 5]], // LSN order, one batch, as a rebuild applies it
      [[0], [1], [2], [3], [4], [5]],
      [[4, 5], [0, 3], [1, 2]], // the late votes first, even before the creation
      [[1, 5], [0], [4], [3], [2]],
      [[0, 3], [1, 2, 4, 5]], // created and closed before any vote arrives
      [[0], [5], [1], [3], [4], [2]],
    ];
    for (const order of orders) {
      await spec()
        .given()
        .when(...events)
        .deliveredAs(...order)
        .then(async (trx, { recorded, parked }) => {
          expect(parked).toEqual([]);
          const row = (await decisionRow(trx))!;
          const actual = {
            decision: { status: row.status, closed: row.closed_lsn === recorded[3]!.lsn, late_votes: row.late_votes },
            tallies: await tallies(trx),
            kept: await keptVotes(trx),
          };
          expect(actual, `delivered as ${JSON.stringify(order)}`).toEqual(expected);
        });
    }
  });
});

// Two workers (partitions) applying a late vote and its decision's close at the same moment: without a lock,
// each transaction would miss the other's uncommitted write and the late vote would stay counted.
describe('governance projection: a late vote and the close applied at the same time', () => {
  const instance: Projection = { ...governanceProjection, name: 'governance_race' };
  afterAll(async () => testbed.dropProjection(instance));

  /** The projection, but its transaction stays open after applying, until `release()`. */
  function holdingOpen() {
    let release!: () => void;
    let applied!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const hasApplied = new Promise<void>((resolve) => (applied = resolve));
    const projection: Projection = {
      ...instance,
      async applyBatch(events, trx) {
        await instance.applyBatch(events, trx);
        applied();
        await released;
      },
    };
    return { projection, hasApplied, release };
  }

  /** Polls (with a deadline) until a transaction waits for an advisory lock of this database. */
  async function someoneWaitsForALock(timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await testbed.db.pool.query<{ waiting: number }>(
        `select count(*)::int as waiting from pg_locks l join pg_database d on d.oid = l.database
          where l.locktype = 'advisory' and not l.granted and d.datname = current_database()`,
      );
      if (rows[0]!.waiting > 0) return;
      if (Date.now() > deadline) throw new Error('neither transaction waited for the other');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  for (const first of ['the late vote', 'the close'] as const) {
    it(`${first} first: the other waits for it to commit, and the late vote is not counted`, async () => {
      const id = first === 'the close' ? 'race-close-first' : 'race-vote-first';
      const [created, closed, late] = await testbed.append([decision(id), close(id), vote(id, 'late', { option: 'no' })]);
      await testbed.applyBatch(instance, [created!], 0);

      const held = holdingOpen();
      const [heldEvent, otherEvent] = first === 'the close' ? [closed!, late!] : [late!, closed!];
      const holding = testbed.applyBatch(held.projection, [heldEvent], 1);
      await held.hasApplied;
      const other = testbed.applyBatch(instance, [otherEvent], 2);
      try {
        await someoneWaitsForALock();
      } finally {
        held.release();
        await Promise.all([holding, other]);
      }

      await testbed.query(instance, async (trx) => {
        expect(await trx('decisions').where({ decision_id: id }).first('status', 'closed_lsn', 'late_votes')).toEqual({
          status: 'closed',
          closed_lsn: closed!.lsn,
          late_votes: 1,
        });
        expect(await trx('decision_tallies').where({ decision_id: id })).toEqual([]);
      });
    });
  }
});

// The queries read the live schema `projection_governance`, so these tests apply batches under the real name.
describe('governance queries', () => {
  beforeEach(async () => {
    await testbed.dropProjection(governanceProjection);
  });
  afterAll(async () => {
    await testbed.dropProjection(governanceProjection);
  });

  const apply = async (...events: StreamEvent[]) => {
    const recorded = await testbed.append(events);
    const outcome = await testbed.applyBatch(governanceProjection, recorded);
    expect(outcome.parked).toEqual([]);
    return recorded;
  };

  it('decisionResults: totals, weighted sums, counts by class, status; null for an unknown decision', async () => {
    await apply(
      vote('q1', 'early', { option: 'later', voterClass: 'community', weight: 2 }),
      decision('q1', { title: 'Wind farm', options: ['yes', 'no', 'later'] }),
      vote('q1', 'a', { option: 'yes', voterClass: 'citizen', weight: 1 }),
      vote('q1', 'b', { option: 'yes', voterClass: 'expert', weight: 3 }),
      vote('q1', 'c', { option: 'no', voterClass: 'expert', weight: 3 }),
      vote('q1', 'd', { option: 'yes', voterClass: 'community', weight: 2 }),
    );
    expect(await decisionResults(testbed.db.knex, 'q1')).toEqual({
      decisionId: 'q1',
      title: 'Wind farm',
      status: 'open',
      closesAt: null,
      totals: { yes: 3, no: 1, later: 1 },
      weighted: { yes: 6, no: 3, later: 2 },
      byClass: {
        citizen: { yes: 1, no: 0, later: 0 },
        expert: { yes: 1, no: 1, later: 0 },
        community: { yes: 1, no: 0, later: 1 },
      },
      votes: 5,
      lateVotes: 0,
    });
    await apply(close('q1'));
    expect(await decisionResults(testbed.db.knex, 'q1')).toMatchObject({ status: 'closed', votes: 5, lateVotes: 0 });
    expect(await decisionResults(testbed.db.knex, 'nope')).toBeNull();
  });

  it('decisionResults: a vote recorded after the close is not in the results, only in lateVotes', async () => {
    await apply(decision('q3'), vote('q3', 'a', { option: 'yes', voterClass: 'expert', weight: 3 }), close('q3'), vote('q3', 'late', { option: 'no' }));
    expect(await decisionResults(testbed.db.knex, 'q3')).toMatchObject({
      status: 'closed',
      totals: { yes: 1, no: 0 },
      weighted: { yes: 3, no: 0 },
      byClass: { citizen: { yes: 0, no: 0 }, expert: { yes: 1, no: 0 }, community: { yes: 0, no: 0 } },
      votes: 1,
      lateVotes: 1,
    });
    expect((await listDecisions(testbed.db.knex, { limit: 10 })).decisions).toEqual([expect.objectContaining({ decisionId: 'q3', votes: 1 })]);
  });

  it('decisionResults: a decision past its deadline reads as closed before its close is recorded', async () => {
    const closesAt = Date.UTC(2030, 0, 1);
    await apply(decision('q2', { closesAt }));
    expect((await decisionResults(testbed.db.knex, 'q2', closesAt - 1))?.status).toBe('open');
    expect((await decisionResults(testbed.db.knex, 'q2', closesAt))?.status).toBe('closed');
  });

  it('listDecisions: newest first, filtered by status, paged by cursor until nextCursor is null', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `l${i}`);
    await apply(...ids.map((id) => decision(id)), vote('l1', 'a'), vote('l1', 'b'), vote('l4', 'a'));
    await apply(close('l1'), close('l4'), close('l6'));
    const now = Date.now();

    const all = await listDecisions(testbed.db.knex, { limit: 100 }, now);
    expect(all.decisions.map((d) => d.decisionId)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeNull();
    expect(all.decisions.find((d) => d.decisionId === 'l1')).toMatchObject({ status: 'closed', votes: 2, title: 'Decision l1', closesAt: null });
    expect(all.decisions.find((d) => d.decisionId === 'l0')).toMatchObject({ status: 'open', votes: 0 });

    const closed = await listDecisions(testbed.db.knex, { status: 'closed', limit: 100 }, now);
    expect(closed.decisions.map((d) => d.decisionId)).toEqual(['l6', 'l4', 'l1']);
    const open = await listDecisions(testbed.db.knex, { status: 'open', limit: 100 }, now);
    expect(open.decisions.map((d) => d.decisionId)).toEqual(['l5', 'l3', 'l2', 'l0']);

    // Pages of 3 over all, then pages of 2 over the open ones: no repeats, no gaps, null cursor at the end.
    const pages = async (status: 'open' | undefined, limit: number) => {
      const seen: string[][] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await listDecisions(testbed.db.knex, { ...(status ? { status } : {}), limit, ...(cursor ? { cursor } : {}) }, now);
        seen.push(result.decisions.map((d) => d.decisionId));
        if (result.nextCursor === null) return seen;
        cursor = result.nextCursor;
      }
      throw new Error('paging did not end');
    };
    expect(await pages(undefined, 3)).toEqual([['l6', 'l5', 'l4'], ['l3', 'l2', 'l1'], ['l0']]);
    expect(await pages('open', 2)).toEqual([['l5', 'l3'], ['l2', 'l0']]);
    // An exact multiple of the page size ends with a null cursor on the last full page.
    const exact = await listDecisions(testbed.db.knex, { limit: 7 }, now);
    expect(exact.decisions).toHaveLength(7);
    expect(exact.nextCursor).toBeNull();
  });

  it('listDecisions: an invalid cursor throws InvalidCursorError', async () => {
    await apply(decision('c1'));
    for (const cursor of ['garbage', Buffer.from('lsn:abc').toString('base64url'), Buffer.from('offset:3').toString('base64url')]) {
      await expect(listDecisions(testbed.db.knex, { limit: 10, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    }
  });
});
