// Deployments sharing one Kafka broker, as real `proofline start` processes: each on its own database (its
// own event store, LSNs from 1), each with its embedded anvil. With a topic prefix each, both serve exactly
// their own log. A fresh store started on topics that hold another store's log refuses to run, saying why.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/embedded-postgres.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';

const databases: TestDatabase[] = [];
const dataDirs: string[] = [];
const running: RunningProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((proc) => proc.stop('SIGKILL')));
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

type Deployment = { base: string; database: TestDatabase; dataDir: string; proc: RunningProcess };

async function deploy(topicPrefix: string): Promise<Deployment> {
  const database = await createTestDatabase('proofline_shared');
  databases.push(database);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-shared-'));
  dataDirs.push(dataDir);
  const port = await freePort();
  const proc = startProofline(['start'], {
    PORT: String(port),
    PROOFLINE_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    EVENTSTORE_URL: undefined,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  });
  running.push(proc);
  return { base: `http://127.0.0.1:${port}`, database, dataDir, proc };
}

const ready = (deployment: Deployment) =>
  waitFor(async () => (await fetch(`${deployment.base}/readyz`)).ok, 60_000, () => `not ready:\n${deployment.proc.output()}`);

type Credential = { authorization: string };

const post = async (url: string, body: unknown, credential: Credential) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...credential }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { lsn: number; key?: string };
};

/**
 * A decision opened with the deployment's admin key (its data directory's admin.key) and five votes of a
 * ballot box whose key the admin made; then the results and the decision list, consistent with the last vote.
 */
async function voteAndRead(deployment: Deployment, decisionId: string) {
  const admin = { authorization: `Bearer ${(await readFile(path.join(deployment.dataDir, 'admin.key'), 'utf8')).trim()}` };
  const { key } = await post(`${deployment.base}/v1/admin/keys`, { role: 'ballot-box', subject: 'polling-station' }, admin);
  const ballotBox = { authorization: `Bearer ${key}` };
  await post(`${deployment.base}/v1/decisions`, { decisionId, title: decisionId, options: ['yes', 'no'] }, admin);
  let lsn = 0;
  for (const voterId of ['a', 'b', 'c', 'd', 'e']) ({ lsn } = await post(`${deployment.base}/v1/decisions/${decisionId}/votes`, { voterId, option: 'yes' }, ballotBox));
  const results = (await (await fetch(`${deployment.base}/v1/decisions/${decisionId}/results?consistentWith=${lsn}`)).json()) as Record<string, unknown>;
  const list = (await (await fetch(`${deployment.base}/v1/decisions?limit=5&consistentWith=${lsn}`)).json()) as { decisions: Array<{ decisionId: string }> };
  return { lsn, results, listed: list.decisions.map((decision) => decision.decisionId) };
}

async function storeIdOf(database: TestDatabase): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<{ store_id: string }>('select store_id from event_store_identity')).rows[0]!.store_id;
  } finally {
    await client.end();
  }
}

describe('deployments on one Kafka broker', () => {
  it('each exact with its own topic prefix; a fresh store on topics of another refuses to start, naming both stores', { timeout: 240_000 }, async () => {
    const firstPrefix = testTopicName('deploy-a');
    const [first, second] = await Promise.all([deploy(firstPrefix), deploy(testTopicName('deploy-b'))]);
    await Promise.all([ready(first), ready(second)]);

    const [a, b] = await Promise.all([voteAndRead(first, 'dbg'), voteAndRead(second, 'dbg2')]);
    for (const [outcome, decisionId] of [[a, 'dbg'], [b, 'dbg2']] as const) {
      expect(outcome.lsn).toBe(6); // both logs number from 1
      expect(outcome.results).toMatchObject({ decisionId, totals: { yes: 5, no: 0 }, votes: 5 });
      expect(outcome.listed).toEqual([decisionId]);
    }
    await first.proc.stop('SIGTERM');

    // A fresh store on the first deployment's topics: the relay refuses, and the process ends with the reason.
    const fresh = await deploy(firstPrefix);
    const [code] = (await once(fresh.proc.child, 'exit')) as [number | null];
    expect(code, fresh.proc.output()).toBe(1);
    const [firstId, freshId] = await Promise.all([storeIdOf(first.database), storeIdOf(fresh.database)]);
    expect(firstId).not.toBe(freshId);
    expect(fresh.proc.output()).toContain(`hold records of event store ${firstId}, not of this event store (${freshId})`);
    expect(fresh.proc.output()).toContain(`${firstPrefix}.governance.v1`);
    expect(fresh.proc.output()).toContain('KAFKA_TOPIC_PREFIX');
  });
});
