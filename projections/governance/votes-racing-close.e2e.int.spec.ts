// Votes racing a close, end to end: many voters post through the HTTP gateway while the decision is closed
// mid-stream. A vote decided against the decision as read just before the close may be recorded just after
// it; the results must count exactly the accepted votes whose LSN is below the close's. Checked with the
// read model fed by the local bus (LSN order) and over Kafka (3 partitions: the ballot and decision streams
// arrive in any order), and against a rebuild of the read model from the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, voterClasses, type VoterClass } from '../../events-schema/index.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import { checkReadModels } from '../anchoring/audit/read-model-check.ts';
import { startKafkaReadSide, type KafkaReadSide } from '../testing/kafka-read-side.ts';
import { governanceProjection } from './governance-projection.ts';
import { foldDecisionResults } from './results-fold.ts';

const VOTERS = 150;
const CONCURRENCY = 24;
const OPTIONS = ['yes', 'no', 'later'];

type AcceptedVote = { lsn: number; option: string; voterClass: VoterClass };

/** Voter v<n>'s class; the voters get it from grants made before the races. */
const classOf = (n: number): VoterClass => voterClasses[Math.floor(n / OPTIONS.length) % voterClasses.length]!;

/** A convener opens and closes the decisions; a ballot box names the voters. */
type Keys = { convener: Credential; ballotBox: Credential };

/** Votes from VOTERS voters, CONCURRENCY at a time; the decision is closed once `closeAfter` votes were accepted. */
async function raceVotesAgainstClose(fixture: HttpFixture, keys: Keys, decisionId: string, closeAfter: number) {
  const post = (url: string, as: Credential, payload?: object) => fixture.app.inject({ method: 'POST', url, headers: as, ...(payload ? { payload } : {}) });
  const accepted: AcceptedVote[] = [];
  let closing: Promise<number> | undefined;
  const close = async () => {
    const response = await post(`/v1/decisions/${decisionId}/close`, keys.convener);
    if (response.statusCode !== 200) throw new Error(`close: ${response.statusCode} ${response.body}`);
    return response.json().lsn as number;
  };
  let next = 0;
  const voter = async () => {
    for (let n = next++; n < VOTERS; n = next++) {
      const option = OPTIONS[n % OPTIONS.length]!;
      const voterClass = classOf(n);
      const response = await post(`/v1/decisions/${decisionId}/votes`, keys.ballotBox, { voterId: `v${n}`, option });
      if (response.statusCode === 202) {
        accepted.push({ lsn: response.json().lsn, option, voterClass });
        if (accepted.length === closeAfter) closing = close();
      } else if (response.statusCode !== 409 || response.json().error !== 'decision_closed') {
        throw new Error(`vote v${n}: ${response.statusCode} ${response.body}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, voter));
  if (!closing) throw new Error(`only ${accepted.length} votes were accepted, the close was never sent`);
  return { accepted, closeLsn: await closing };
}

/** What the rule says the results are: the accepted votes below the close's LSN, with the decision's weights. */
function expectedResults(accepted: readonly AcceptedVote[], closeLsn: number, weights: Readonly<Record<VoterClass, number>>) {
  const zeroes = () => Object.fromEntries(OPTIONS.map((option) => [option, 0])) as Record<string, number>;
  const expected = {
    status: 'closed',
    totals: zeroes(),
    weighted: zeroes(),
    byClass: Object.fromEntries(voterClasses.map((voterClass) => [voterClass, zeroes()])) as Record<VoterClass, Record<string, number>>,
    votes: 0,
    lateVotes: 0,
  };
  for (const { lsn, option, voterClass } of accepted) {
    if (lsn > closeLsn) {
      expected.lateVotes += 1;
      continue;
    }
    expected.totals[option]! += 1;
    expected.weighted[option]! += weights[voterClass];
    expected.byClass[voterClass][option]! += 1;
    expected.votes += 1;
  }
  return expected;
}

const readSides = [
  { name: 'the local bus', readSide: true as const, kafka: false },
  { name: 'Kafka, 3 partitions', readSide: 'fed-elsewhere' as const, kafka: true },
];

describe.each(readSides)('votes racing a close, read model fed by $name', ({ readSide, kafka }) => {
  let fixture: HttpFixture;
  let kafkaReadSide: KafkaReadSide | undefined;

  beforeAll(async () => {
    fixture = await createHttpFixture({ readSide });
    if (kafka) kafkaReadSide = startKafkaReadSide({ eventStore: fixture.eventStore, db: fixture.db, projection: governanceProjection, name: 'late-votes' });
  });
  afterAll(async () => {
    try {
      await kafkaReadSide?.stop();
    } finally {
      await fixture?.close();
    }
  });

  it('counts exactly the accepted votes recorded before the close: read model, fold of the log and rebuild agree', async () => {
    const keys: Keys = { convener: await fixture.keyFor({ role: 'convener' }), ballotBox: await fixture.keyFor({ role: 'ballot-box' }) };
    for (let n = 0; n < VOTERS; n++) {
      const voterClass = classOf(n);
      if (voterClass !== 'citizen') await fixture.grant(`v${n}`, voterClass);
    }
    const decisions = ['early', 'middle', 'late'].map((at, i) => ({ decisionId: `race-${at}`, closeAfter: 10 + i * 40 }));
    for (const { decisionId } of decisions) {
      const created = await fixture.app.inject({ method: 'POST', url: '/v1/decisions', headers: keys.convener, payload: { decisionId, title: decisionId, options: OPTIONS } });
      expect(created.statusCode).toBe(201);
    }
    // The three races run at once: more votes in flight around each close.
    const races = await Promise.all(decisions.map(({ decisionId, closeAfter }) => raceVotesAgainstClose(fixture, keys, decisionId, closeAfter)));

    const head = await fixture.eventStore.headLsn();
    const log = (await fixture.eventStore.readAll({ fromLsn: 1 })).map((recorded) => ({ lsn: recorded.lsn, event: decodeEvent(recorded.data) }));
    const folded = foldDecisionResults(log);
    for (const [i, { decisionId }] of decisions.entries()) {
      const { accepted, closeLsn } = races[i]!;
      const creation = log.find(({ event }) => event.type === 'DecisionCreated' && event.data.decisionId === decisionId)!.event;
      if (creation.type !== 'DecisionCreated') throw new Error('unreachable');
      const expected = expectedResults(accepted, closeLsn, creation.data.weights);

      const response = await fixture.app.inject({ url: `/v1/decisions/${decisionId}/results?consistentWith=${head}` });
      expect(response.statusCode).toBe(200);
      const { status, totals, weighted, byClass, votes, lateVotes } = response.json();
      expect({ status, totals, weighted, byClass, votes, lateVotes }, `read model, ${decisionId}`).toEqual(expected);
      expect(folded.get(decisionId), `fold of the log, ${decisionId}`).toEqual(expected);
      // Every accepted vote is in the log, counted or late: none lost, none refused after being accepted.
      expect(expected.votes + expected.lateVotes).toBe(accepted.length);
    }
    // Applied in arrival order live, in LSN order by a rebuild: the same tables, row for row.
    const check = await checkReadModels({ db: fixture.db, eventStore: fixture.eventStore, projections: [governanceProjection] });
    expect(check.projections[0]!.tables.filter((table) => !table.same)).toEqual([]);
    expect(check.ok).toBe(true);
  });
});
