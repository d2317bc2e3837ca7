// The read side survives being killed: `proofline relay` and `proofline project governance` run as real
// processes on real Kafka and PostgreSQL, are SIGKILLed mid-stream several times while votes keep
// coming, and the read model still equals a fold of the log — nothing lost, nothing counted twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governanceCommands } from '../../commands/governance/governance-commands.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import { loadConfig } from '../../infra/config.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';
import { decisionResults } from '../../projections/governance/queries.ts';
import { foldDecisionResults } from '../../projections/governance/results-fold.ts';
import { watermark } from '../../projections/runtime/index.ts';
import type { EventStore } from '../../ports/event-store.ts';

let database: TestDatabase;
let db: Database;
let eventStore: EventStore;
let env: Record<string, string>;
const processes = new Set<RunningProcess>();

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  env = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: testTopicName('crash'),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await Promise.all([...processes].map((p) => p.stop('SIGKILL')));
  await eventStore?.close();
  await db?.close();
  await database?.drop();
});

function start(role: 'relay' | 'project'): RunningProcess {
  const proc = startProofline(role === 'relay' ? ['relay'] : ['project', 'governance'], env);
  processes.add(proc);
  return proc;
}

async function kill(proc: RunningProcess) {
  await proc.stop('SIGKILL');
  processes.delete(proc);
}

describe('relay and projection worker killed with SIGKILL mid-stream', () => {
  it('still give exactly the fold of the log after every restart', { timeout: 240_000 }, async () => {
    const options = ['red', 'green', 'blue'];
    const classes = ['citizen', 'expert', 'community'] as const;
    // A ballot box names the voters; voter v<n>'s class, classes[(n >> 1) % 3], is what its grants say.
    const grantsOf = async (voterId: string) => {
      const voterClass = classes[(Number(voterId.slice(1)) >> 1) % 3]!;
      return voterClass === 'citizen' ? [] : [{ role: voterClass }];
    };
    const commands = governanceCommands(eventStore, { grantsOf });
    const as = (role: 'convener' | 'ballot-box') => ({ metadata: { actor: 'crash-test' }, actor: { subject: 'crash-test', grants: [{ role }] } });
    for (const decisionId of ['crash-a', 'crash-b']) await commands.createDecision({ decisionId, title: decisionId, options }, as('convener'));

    let voters = 0;
    const castVotes = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const n = voters++;
        await commands.castVote(n % 2 ? 'crash-a' : 'crash-b', { voterId: `v${n}`, option: options[n % 3]! }, as('ballot-box'));
      }
    };
    const progressed = (beyond: number) => waitFor(async () => (await watermark(db, 'governance')) > beyond, 60_000, () => `no progress beyond LSN ${beyond}`);

    let relay = start('relay');
    let worker = start('project');
    await castVotes(200);
    await progressed(10);

    // Each round: more votes while one or both roles are killed mid-stream, then restarted.
    for (const victims of [['relay'], ['worker'], ['relay', 'worker']] as const) {
      const writing = castVotes(300);
      await progressed(await watermark(db, 'governance'));
      if (victims.includes('relay' as never)) await kill(relay);
      if (victims.includes('worker' as never)) await kill(worker);
      await writing;
      if (victims.includes('relay' as never)) relay = start('relay');
      if (victims.includes('worker' as never)) worker = start('project');
    }

    const head = await eventStore.headLsn();
    await waitFor(async () => (await watermark(db, 'governance')) >= head, 120_000, () => `read model stuck below LSN ${head}\nrelay:\n${relay.output()}\nworker:\n${worker.output()}`);

    const log = await eventStore.readAll({ fromLsn: 1, limit: head });
    expect(log).toHaveLength(head);
    const folded = foldDecisionResults(log.map((event) => ({ lsn: event.lsn, event: decodeEvent(event.data) })));
    for (const decisionId of ['crash-a', 'crash-b']) {
      const projected = await decisionResults(db.knex, decisionId);
      const { status, totals, weighted, byClass, votes, lateVotes } = folded.get(decisionId)!;
      expect(projected).toMatchObject({ status, totals, weighted, byClass, votes, lateVotes });
    }
    expect(voters).toBe(1100);
    expect((await decisionResults(db.knex, 'crash-a'))!.votes + (await decisionResults(db.knex, 'crash-b'))!.votes).toBe(1100);
  });
});
