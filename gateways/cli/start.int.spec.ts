// `npm start` end to end: a real process on embedded PostgreSQL, stopped by SIGTERM and started again.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/embedded-postgres.ts';
import { testTopicName } from '../../infra/testing/kafka.ts';
import { startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';

let dataDir: string;
// With KAFKA_BROKERS set, `start` also relays to Kafka: topics of its own, since a broker that outlives the
// run keeps the topics of earlier runs, whose event stores the relay rightly refuses to mix with this one.
const topicPrefix = testTopicName('start');
const running: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startOn(port: number) {
  const proc = startProofline(['start'], { PORT: String(port), PROOFLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, EVENTSTORE_URL: undefined, KAFKA_TOPIC_PREFIX: topicPrefix, LOG_LEVEL: 'warn' });
  running.push(proc);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 45_000, () => `proofline did not become ready:\n${proc.output()}`);
  return proc;
}

/** A POST with a JSON body, as `authorization` (a Bearer header). */
const json = (body: unknown, authorization: string) => ({ method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });

describe('proofline start (embedded PostgreSQL)', () => {
  it('shuts down cleanly on SIGTERM and finds every event after a restart on the same data directory', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-start-'));
    // As root, PostgreSQL runs as the postgres user, which must be able to reach the data directory.
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;

    const first = await startOn(port);
    // The first start wrote an admin key to the data directory; as admin: a ballot-box key, and voter e an expert.
    const admin = `Bearer ${(await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim()}`;
    const ballotBox = `Bearer ${((await (await fetch(`${base}/v1/admin/keys`, json({ role: 'ballot-box' }, admin))).json()) as { key: string }).key}`;
    expect((await fetch(`${base}/v1/admin/grants`, json({ subject: 'e', role: 'expert' }, admin))).status).toBe(201);
    const created = (await (await fetch(`${base}/v1/decisions`, json({ decisionId: 'restart', title: 'Restart?', options: ['yes', 'no'] }, admin))).json()) as { lsn: number };
    expect(created.lsn).toBe(2);
    for (const voterId of ['a', 'b', 'c']) {
      expect((await fetch(`${base}/v1/decisions/restart/votes`, json({ voterId, option: 'yes' }, ballotBox))).status).toBe(202);
    }
    const lastVote = (await (await fetch(`${base}/v1/decisions/restart/votes`, json({ voterId: 'e', option: 'no' }, ballotBox))).json()) as { lsn: number };
    const results = (await (await fetch(`${base}/v1/decisions/restart/results?consistentWith=${lastVote.lsn}`)).json()) as Record<string, unknown>;
    expect(results).toMatchObject({ decisionId: 'restart', status: 'open', totals: { yes: 3, no: 1 }, weighted: { yes: 3, no: 3 }, votes: 4 });
    expect(results.asOfLsn).toBeGreaterThanOrEqual(lastVote.lsn);
    const firstExit = await first.stop('SIGTERM');
    expect(firstExit, first.output()).toBe(0);

    const second = await startOn(port);
    // The credentials outlive the restart too.
    const { events } = (await (await fetch(`${base}/v1/log`, { headers: { authorization: admin } })).json()) as { events: Array<{ lsn: number; type: string }> };
    expect(events.map((e) => [e.lsn, e.type])).toEqual([
      [1, 'RoleGranted'],
      [2, 'DecisionCreated'],
      [3, 'VoteCast'],
      [4, 'VoteCast'],
      [5, 'VoteCast'],
      [6, 'VoteCast'],
    ]);
    const again = await fetch(`${base}/v1/decisions/restart/votes`, json({ voterId: 'a', option: 'no' }, ballotBox));
    expect(again.status).toBe(409);
    const next = (await (await fetch(`${base}/v1/decisions/restart/votes`, json({ voterId: 'd', option: 'no' }, ballotBox))).json()) as { lsn: number };
    expect(next.lsn).toBe(7);
    const after = (await (await fetch(`${base}/v1/decisions/restart/results?consistentWith=7`)).json()) as { votes: number };
    expect(after.votes).toBe(5);
    // The process serves its metrics: the gauges read the platform's own stores.
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    expect(text).toMatch(/^proofline_eventstore_head_lsn 7$/m);
    expect(text).toMatch(/^proofline_projection_watermark_lsn\{projection="governance"\} 7$/m);
    const secondExit = await second.stop('SIGINT');
    expect(secondExit, second.output()).toBe(0);
  });
});
