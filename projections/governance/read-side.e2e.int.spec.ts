// The governance read side end to end on real servers: HTTP commands → PostgreSQL event store → relay →
// Kafka → projection worker(s) → `projection_governance`, held to the in-memory fold of the log
// (foldDecisionResults) after every step. Invariants 3 and 4 of docs/architecture.md.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import { createKafkaSource, createRelay, kafkaTopicsForEventTypes } from '../../infra/bus/kafka/index.ts';
import { runInBackground } from '../../infra/bus/kafka/test-support.ts';
import { governanceTraffic, type TrafficDecision } from '../../infra/testing/governance-traffic.ts';
import { createHttpFixture, type HttpFixture } from '../../gateways/testing/http-fixture.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import type { ProjectionSource } from '../../ports/projection-source.ts';
import { createProjectionWorker, listParked, rebuildProjection, retryParkedStream, waitForWatermark, watermark } from '../runtime/index.ts';
import { governanceProjection, GOVERNANCE_PROJECTION } from './governance-projection.ts';
import { decisionResults, listDecisions } from './queries.ts';
import { foldDecisionResults, type LoggedEvent } from './results-fold.ts';

const CATCH_UP_MS = 30_000;

type Background = { stop(): Promise<void>; done: Promise<void> };

/** A read side over one HTTP fixture: a relay to its own topics, and any number of projection workers. */
class ReadSide {
  readonly prefix = testTopicName('gov-e2e');
  readonly topics = kafkaTopicsForEventTypes(governanceProjection.canHandle, this.prefix);
  readonly brokers = testKafkaBrokers();
  private readonly running: Background[] = [];
  relay?: Background;

  readonly fixture: HttpFixture;
  private readonly partitions: number;

  constructor(fixture: HttpFixture, partitions: number) {
    this.fixture = fixture;
    this.partitions = partitions;
  }

  startRelay(): void {
    const relay = createRelay({
      eventStore: this.fixture.eventStore,
      db: this.fixture.db,
      kafka: { brokers: this.brokers },
      topicPrefix: this.prefix,
      partitions: this.partitions,
      batchSize: 100,
    });
    this.relay = runInBackground((signal) => relay.run(signal));
    this.running.push(this.relay);
  }

  /** A worker whose source records, per partition, how many batches (and events) it handed over. */
  startWorker(groupId: string): Background & { handled: Map<number, number>; events: Map<number, number> } {
    const handled = new Map<number, number>();
    const events = new Map<number, number>();
    const kafka = createKafkaSource({
      brokers: this.brokers,
      groupId,
      storeId: () => this.fixture.eventStore.storeId(),
      topics: this.topics,
      maxWaitTimeInMs: 200,
      heartbeatInterval: 500,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      chunkSize: 100,
    });
    const counted: ProjectionSource = {
      run: (hooks) =>
        kafka.run({
          ...hooks,
          handle: async (batch) => {
            await hooks.handle(batch);
            handled.set(batch.partition, (handled.get(batch.partition) ?? 0) + 1);
            events.set(batch.partition, (events.get(batch.partition) ?? 0) + batch.events.length);
          },
        }),
    };
    const worker = createProjectionWorker({ db: this.fixture.db, projection: governanceProjection, source: counted });
    const background = runInBackground((signal) => worker.run(signal));
    this.running.push(background);
    return Object.assign(background, { handled, events });
  }

  /** Waits until the read model holds every event appended so far; returns the head it waited for. */
  async caughtUp(): Promise<number> {
    const head = await this.fixture.eventStore.headLsn();
    await waitForWatermark(this.fixture.db, GOVERNANCE_PROJECTION, head, { timeoutMs: CATCH_UP_MS });
    return head;
  }

  /** Stops everything still running (stop() of an already stopped one just awaits it again). */
  async stopAll(): Promise<void> {
    const results = await Promise.allSettled(this.running.reverse().map((r) => r.stop()));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((r) => r.reason), 'a relay or worker failed');
  }

  async loggedEvents(): Promise<LoggedEvent[]> {
    return (await this.fixture.eventStore.readAll({ fromLsn: 1 })).map((recorded) => ({ lsn: recorded.lsn, event: decodeEvent(recorded.data) }));
  }

  /**
   * For every decision of the log, the read model's results equal the fold of the log; the read model lists
   * no other decision. Returns the fold.
   */
  async expectReadModelEqualsFold(): Promise<ReturnType<typeof foldDecisionResults>> {
    const folded = foldDecisionResults(await this.loggedEvents());
    for (const [decisionId, expected] of folded) {
      const actual = await decisionResults(this.fixture.db.knex, decisionId);
      expect(actual, `decision ${decisionId}`).not.toBeNull();
      const { status, totals, weighted, byClass, votes, lateVotes } = actual!;
      expect({ status, totals, weighted, byClass, votes, lateVotes }, `decision ${decisionId}`).toEqual(expected);
    }
    const listed = await listDecisions(this.fixture.db.knex, { limit: 10_000 });
    expect(listed.decisions.map((d) => d.decisionId).sort()).toEqual([...folded.keys()].sort());
    return folded;
  }

  async tables(): Promise<{ decisions: unknown[]; tallies: unknown[] }> {
    const knex = this.fixture.db.knex;
    const schema = 'projection_governance';
    return {
      decisions: await knex.withSchema(schema).table('decisions').select().orderBy('decision_id'),
      tallies: await knex.withSchema(schema).table('decision_tallies').select().orderBy(['decision_id', 'option', 'voter_class']),
    };
  }
}

const totalVotes = (folded: ReturnType<typeof foldDecisionResults>) => [...folded.values()].reduce((sum, r) => sum + r.votes, 0);

async function appendRaw(fixture: HttpFixture, streamId: string, event: ProoflineEvent): Promise<number> {
  const result = await fixture.eventStore.appendToStream(streamId, [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: { actor: 'test' } }]);
  return result.lastLsn;
}

describe('governance read side over Kafka, one worker', () => {
  let side: ReadSide;
  let decisions: TrafficDecision[];
  let acceptedVotes = 0;
  const runId = `r${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    side = new ReadSide(await createHttpFixture(), 3);
    side.startRelay();
    side.startWorker(testTopicName('gov-group'));
  });
  afterAll(async () => {
    try {
      await side?.stopAll();
    } finally {
      await side?.fixture.close();
    }
  });

  it('projects a few hundred commands exactly as the fold of the log', async () => {
    const traffic = governanceTraffic(side.fixture, runId);
    decisions = await traffic.createDecisions(6);
    const counts = await traffic.castVotes(decisions, 300);
    await traffic.close(decisions[0]!);
    await traffic.close(decisions[3]!);
    acceptedVotes += counts.accepted;
    expect(counts.refused).toBeGreaterThan(30);

    await side.caughtUp();
    const folded = await side.expectReadModelEqualsFold();
    expect(folded.size).toBe(6);
    expect(totalVotes(folded)).toBe(acceptedVotes);
    expect([...folded.values()].filter((r) => r.status === 'closed')).toHaveLength(2);
    // All three classes and more than one option got votes, with the class weights applied.
    const first = await decisionResults(side.fixture.db.knex, decisions[1]!.decisionId);
    expect(Object.values(first!.byClass).every((perOption) => Object.values(perOption).some((n) => n > 0))).toBe(true);
    expect(await listParked(side.fixture.db, [governanceProjection])).toEqual([]);
  });

  it('parks a poison stream only: other decisions go on being projected; retry fails while the cause remains', async () => {
    const poisonLsn = await appendRaw(side.fixture, 'decision-ghost', {
      type: 'DecisionClosed',
      data: { decisionId: 'ghost', closedAt: Date.now(), reason: 'manual' },
    });
    const counts = await governanceTraffic(side.fixture, `${runId}b`).castVotes(decisions.filter((_, i) => i !== 0 && i !== 3), 60);
    acceptedVotes += counts.accepted;

    // Parked streams do not hold the watermark back.
    const head = await side.caughtUp();
    expect(head).toBeGreaterThan(poisonLsn);
    const folded = await side.expectReadModelEqualsFold();
    expect(totalVotes(folded)).toBe(acceptedVotes);

    const parked = await listParked(side.fixture.db, [governanceProjection]);
    expect(parked.map((p) => ({ streamId: p.streamId, lsn: p.lsn, type: p.type }))).toEqual([{ streamId: 'decision-ghost', lsn: poisonLsn, type: 'DecisionClosed' }]);
    expect(parked[0]!.error).toContain('unknown decision ghost');

    const retry = await retryParkedStream(side.fixture.db, governanceProjection, 'decision-ghost');
    expect(retry).toMatchObject({ status: 'failed', streamId: 'decision-ghost', failedLsn: poisonLsn, stillParked: 1 });
    expect(retry.status === 'failed' && retry.error).toContain('unknown decision ghost');
    expect(await listParked(side.fixture.db, [governanceProjection])).toHaveLength(1);
    expect(await retryParkedStream(side.fixture.db, governanceProjection, 'decision-nothing')).toEqual({ status: 'nothing_parked', streamId: 'decision-nothing' });
  });

  it('rebuilds from LSN 1 into the same rows as the live projection, which then goes on', async () => {
    const head = await side.caughtUp();
    const live = await side.tables();
    expect(live.tallies.length).toBeGreaterThan(20);

    const rebuilt = await rebuildProjection({ db: side.fixture.db, projection: governanceProjection, eventStore: side.fixture.eventStore });
    expect(rebuilt.rebuiltToLsn).toBeGreaterThanOrEqual(head);
    expect(rebuilt.parked).toBe(1); // the poison event, met again by the replay
    expect(await side.tables()).toEqual(live);
    expect((await listParked(side.fixture.db, [governanceProjection])).map((p) => p.streamId)).toEqual(['decision-ghost']);
    expect(await watermark(side.fixture.db, GOVERNANCE_PROJECTION)).toBeGreaterThanOrEqual(head);

    // The live worker resumes in the swapped-in schema without losing or doubling anything.
    const counts = await governanceTraffic(side.fixture, `${runId}c`).castVotes(decisions.filter((_, i) => i !== 0 && i !== 3), 40);
    acceptedVotes += counts.accepted;
    await side.caughtUp();
    expect(totalVotes(await side.expectReadModelEqualsFold())).toBe(acceptedVotes);
  });

  it('applies the parked stream once its cause is fixed (the missing creation recorded on another stream)', async () => {
    await appendRaw(side.fixture, 'decision-ghost-restored', {
      type: 'DecisionCreated',
      data: { decisionId: 'ghost', title: 'Ghost', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: Date.now(), createdBy: 'operator' },
    });
    await side.caughtUp();
    expect(await retryParkedStream(side.fixture.db, governanceProjection, 'decision-ghost')).toEqual({ status: 'applied', streamId: 'decision-ghost', applied: 1 });
    expect(await listParked(side.fixture.db, [governanceProjection])).toEqual([]);
    expect(await decisionResults(side.fixture.db.knex, 'ghost')).toMatchObject({ status: 'closed', votes: 0 });

    // A rebuild replays in LSN order and meets the close before its fix; since the live model no longer has
    // that stream parked, the rebuild retries it with the whole log applied, and keeps the operator's fix.
    const live = await side.tables();
    const rebuilt = await rebuildProjection({ db: side.fixture.db, projection: governanceProjection, eventStore: side.fixture.eventStore });
    expect(rebuilt.parked).toBe(0);
    expect(await listParked(side.fixture.db, [governanceProjection])).toEqual([]);
    expect((await decisionResults(side.fixture.db.knex, 'ghost'))?.status).toBe('closed');
    expect(await side.tables()).toEqual(live);
  });
});

describe('governance read side over Kafka, two workers in one consumer group', () => {
  let side: ReadSide;
  let decisions: TrafficDecision[];
  let acceptedVotes = 0;
  const groupId = testTopicName('gov-group');
  const runId = `g${randomUUID().slice(0, 8)}`;
  let a: ReturnType<ReadSide['startWorker']>;
  let b: ReturnType<ReadSide['startWorker']>;

  beforeAll(async () => {
    side = new ReadSide(await createHttpFixture(), 4);
    side.startRelay();
    a = side.startWorker(groupId);
    b = side.startWorker(groupId);
  });
  afterAll(async () => {
    try {
      await side?.stopAll();
    } finally {
      await side?.fixture.close();
    }
  });

  /** Polls (with a deadline) until the group has settled: each worker handles batches of its own partitions. */
  async function settledSplit(timeoutMs = 30_000): Promise<void> {
    const traffic = governanceTraffic(side.fixture, `${runId}warm`);
    const deadline = Date.now() + timeoutMs;
    const warm = await traffic.createDecisions(1, 'warm');
    for (;;) {
      a.handled.clear();
      b.handled.clear();
      await traffic.castVotes(warm, 8, { concurrency: 1 }); // each batch puts a watermark on every partition
      await side.caughtUp();
      const mine = [...a.handled.keys()];
      const theirs = [...b.handled.keys()];
      if (mine.length > 0 && theirs.length > 0 && mine.every((p) => !theirs.includes(p))) return;
      if (Date.now() > deadline) throw new Error(`the group did not split the partitions: a ${mine}, b ${theirs}`);
    }
  }

  it('splits the partitions between the workers, and the result is exactly the fold', async () => {
    await settledSplit();
    a.events.clear();
    b.events.clear();
    const traffic = governanceTraffic(side.fixture, runId);
    decisions = await traffic.createDecisions(5);
    const counts = await traffic.castVotes(decisions, 250);
    await traffic.close(decisions[2]!);
    await side.caughtUp();

    const eventsA = [...a.events.values()].reduce((x, y) => x + y, 0);
    const eventsB = [...b.events.values()].reduce((x, y) => x + y, 0);
    expect(eventsA, 'events projected by worker a').toBeGreaterThan(0);
    expect(eventsB, 'events projected by worker b').toBeGreaterThan(0);
    expect([...a.events.keys()].filter((p) => b.events.has(p))).toEqual([]); // no partition went to both
    expect(new Set([...a.events.keys(), ...b.events.keys()]).size).toBe(4);

    const folded = await side.expectReadModelEqualsFold();
    acceptedVotes = totalVotes(folded);
    expect(acceptedVotes - (await warmVotes())).toBe(counts.accepted);
  });

  /** Votes cast while waiting for the split, all on the warm-up decision. */
  async function warmVotes(): Promise<number> {
    const warm = (await listDecisions(side.fixture.db.knex, { limit: 10_000 })).decisions.filter((d) => d.decisionId.includes('-warm'));
    return warm.reduce((sum, d) => sum + d.votes, 0);
  }

  it('when one worker stops mid-stream, the other takes over its partitions and the result stays exact', async () => {
    const partitionsOfA = [...a.handled.keys()];
    expect(partitionsOfA.length).toBeGreaterThan(0);
    let stopping: Promise<void> | undefined;
    let handledByBAfterStop: Map<number, number> | undefined;
    const traffic = governanceTraffic(side.fixture, `${runId}m`);
    const counts = await traffic.castVotes(decisions.filter((_, i) => i !== 2), 240, {
      concurrency: 4,
      onAccepted: (accepted) => {
        if (accepted === 60) {
          stopping = a.stop().then(() => {
            b.handled.clear();
            b.events.clear();
            handledByBAfterStop = b.handled;
          });
        }
      },
    });
    await stopping;
    expect(handledByBAfterStop).toBeDefined();
    // More votes after the stop: A's partitions only move on if B took them over.
    const after = await traffic.castVotes(decisions.filter((_, i) => i !== 2), 40);
    await side.caughtUp();

    const bAfter = [...b.events.entries()].filter(([, n]) => n > 0).map(([p]) => p);
    for (const partition of partitionsOfA) expect(b.handled.has(partition), `partition ${partition} taken over by b`).toBe(true);
    expect(bAfter.length).toBeGreaterThan(0);

    const folded = await side.expectReadModelEqualsFold();
    expect(totalVotes(folded)).toBe(acceptedVotes + counts.accepted + after.accepted);
  });
});
