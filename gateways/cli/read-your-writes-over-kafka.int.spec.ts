// Read-your-writes through the HTTP route on a real `proofline start` over Kafka, as deployed by default: the
// event topics carry no watermark record, so the governance partitions that receive none of these votes (and
// every other topic) reach the head only through the relay's progress topic. Each vote's `?consistentWith=`
// must answer well within the consistency timeout (5 s).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allKafkaTopics } from '../../infra/bus/kafka/topics.ts';
import { readTopics } from '../../infra/bus/kafka/test-support.ts';
import { freePort } from '../../infra/local/embedded-postgres.ts';
import { testKafkaBrokers, testTopicName } from '../../infra/testing/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';

let database: TestDatabase | undefined;
let dataDir: string | undefined;
let proc: RunningProcess | undefined;

afterAll(async () => {
  await proc?.stop('SIGKILL');
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const post = async (url: string, body: unknown, authorization: string) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { lsn: number; key?: string };
};

describe('read-your-writes over Kafka, through the HTTP route', () => {
  it('answers ?consistentWith= for each new vote at once, with no control record in the event topics', { timeout: 180_000 }, async () => {
    database = await createTestDatabase('proofline_read_your_writes');
    dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-read-your-writes-'));
    const port = await freePort();
    const prefix = testTopicName('read_your_writes');
    const base = `http://127.0.0.1:${port}`;
    proc = startProofline(['start'], {
      PORT: String(port),
      PROOFLINE_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      EVENTSTORE_URL: undefined,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    });
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 90_000, () => `not ready:\n${proc!.output()}`);

    const admin = `Bearer ${(await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim()}`;
    const { key } = await post(`${base}/v1/admin/keys`, { role: 'ballot-box', subject: 'polling-station' }, admin);
    const decisionId = 'read-your-writes';
    await post(`${base}/v1/decisions`, { decisionId, title: decisionId, options: ['yes', 'no'] }, admin);
    for (const [index, voterId] of ['a', 'b', 'c', 'd', 'e', 'f'].entries()) {
      const { lsn } = await post(`${base}/v1/decisions/${decisionId}/votes`, { voterId, option: 'yes' }, `Bearer ${key}`);
      const started = Date.now();
      const response = await fetch(`${base}/v1/decisions/${decisionId}/results?consistentWith=${lsn}`);
      const elapsed = Date.now() - started;
      expect(response.status, `vote ${index}: ${await response.clone().text()}`).toBe(200);
      const results = (await response.json()) as { votes: number; asOfLsn: number };
      expect(results.asOfLsn).toBeGreaterThanOrEqual(lsn);
      expect(results.votes).toBe(index + 1);
      expect(elapsed).toBeLessThan(2_000); // far inside the gateway's consistency timeout (5 s)
    }
    const records = await readTopics(testKafkaBrokers(), allKafkaTopics(prefix));
    expect(records.filter((record) => record.headers['proofline-control'] !== undefined)).toEqual([]);
  });
});
