// `npm start` end to end: a real process on embedded PostgreSQL, stopped by SIGTERM and started again. Its
// first start leaves an admin key and the installation's secrets in the data directory; the operator's
// commands (`proofline keys`, `proofline login --dev-wallet`) work beside it and while it is stopped.
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/embedded-postgres.ts';
import { testTopicName } from '../../infra/testing/kafka.ts';
import { runProofline, startProofline, waitFor, type RunningProcess } from '../../infra/testing/process.ts';

let dataDir: string;
// With KAFKA_BROKERS set, `start` also relays to Kafka: topics of its own, since a broker that outlives the
// run keeps the topics of earlier runs, whose event stores the relay rightly refuses to mix with this one.
const topicPrefix = testTopicName('start');
const running: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The embedded default: no DATABASE_URL, everything under the data directory. */
const embeddedEnv = () => ({ PROOFLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, EVENTSTORE_URL: undefined, AUTH_SECRET: undefined, NODE_ENV: undefined });

async function startOn(port: number) {
  // At info level, so that what the first start says about its admin key can be read.
  const proc = startProofline(['start'], { ...embeddedEnv(), PORT: String(port), KAFKA_TOPIC_PREFIX: topicPrefix, LOG_LEVEL: 'info' });
  running.push(proc);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 45_000, () => `proofline did not become ready:\n${proc.output()}`);
  return proc;
}

type Credential = { authorization: string };
const send = (url: string, body: unknown, credential?: Credential) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...credential }, body: JSON.stringify(body) });
const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe('proofline start (embedded PostgreSQL)', () => {
  it('first start writes admin.key and the secrets (0600); the operator commands work beside it; SIGTERM stops it cleanly and a restart finds every event and keeps the key', { timeout: 180_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-start-'));
    // As root, PostgreSQL runs as the postgres user, which must be able to reach the data directory.
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;

    const first = await startOn(port);
    const adminKeyFile = path.join(dataDir, 'admin.key');
    const adminKey = await readFile(adminKeyFile, 'utf8');
    expect(adminKey).toMatch(/^pl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(await mode(adminKeyFile)).toBe(0o600);
    expect(first.output()).toContain(`TOKEN=$(cat ${adminKeyFile})`);
    for (const secret of ['auth-secret', 'workplace-pseudonym-key']) {
      const file = path.join(dataDir, 'secrets', secret);
      expect(await readFile(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(await mode(file)).toBe(0o600);
    }
    const admin = { authorization: `Bearer ${adminKey.trim()}` };
    expect((await fetch(`${base}/v1/admin/keys`)).status).toBe(401);
    const listed = await fetch(`${base}/v1/admin/keys`, { headers: admin });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { keys: unknown[] }).keys).toEqual([expect.objectContaining({ role: 'admin', subject: 'admin' })]);

    const decision = { decisionId: 'restart', title: 'Restart?', options: ['yes', 'no'] };
    expect((await send(`${base}/v1/decisions`, decision)).status).toBe(401);
    // Voter e is an expert: a grant, the first event of the log.
    expect((await send(`${base}/v1/admin/grants`, { subject: 'e', role: 'expert' }, admin)).status).toBe(201);
    const created = (await (await send(`${base}/v1/decisions`, decision, admin)).json()) as { lsn: number };
    expect(created.lsn).toBe(2);

    // A key made by `proofline keys` while the platform runs: the command uses the platform's own PostgreSQL.
    const made = await runProofline(['keys', 'create', '--role', 'ballot-box', '--subject', 'polling-station'], embeddedEnv());
    expect(made.code, made.stderr).toBe(0);
    const ballotBox = { authorization: `Bearer ${made.stdout.trim()}` };
    for (const voterId of ['a', 'b', 'c']) {
      expect((await send(`${base}/v1/decisions/restart/votes`, { voterId, option: 'yes' }, ballotBox)).status).toBe(202);
    }
    const lastVote = (await (await send(`${base}/v1/decisions/restart/votes`, { voterId: 'e', option: 'no' }, ballotBox)).json()) as { lsn: number };
    const results = (await (await fetch(`${base}/v1/decisions/restart/results?consistentWith=${lastVote.lsn}`)).json()) as Record<string, unknown>;
    expect(results).toMatchObject({ decisionId: 'restart', status: 'open', totals: { yes: 3, no: 1 }, weighted: { yes: 3, no: 3 }, votes: 4 });
    expect(results.asOfLsn).toBeGreaterThanOrEqual(lastVote.lsn);

    // A development wallet signs in to the running gateway; its token is a session of that wallet's subject.
    const login = await runProofline(['login', '--dev-wallet', '--url', base], embeddedEnv());
    expect(login.code, login.stderr).toBe(0);
    const subject = /signed in as (0x[0-9a-fA-F]{40})/.exec(login.stderr)?.[1];
    expect(login.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    const me = await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${login.stdout.trim()}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ subject, roles: [] });

    const firstExit = await first.stop('SIGTERM');
    expect(firstExit, first.output()).toBe(0);
    const adminKeyWritten = (await stat(adminKeyFile)).mtimeMs;

    // With the platform stopped, `proofline keys` starts the data directory's PostgreSQL itself, and stops it again.
    const stopped = await runProofline(['keys', 'list', '--json'], embeddedEnv());
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((JSON.parse(stopped.stdout) as Array<{ role: string; subject: string }>).map(({ role, subject }) => [role, subject]).sort()).toEqual([
      ['admin', 'admin'],
      ['ballot-box', 'polling-station'],
    ]);

    const second = await startOn(port);
    // An active admin key exists: the second start writes none and says nothing about one.
    expect(await readFile(adminKeyFile, 'utf8')).toBe(adminKey);
    expect((await stat(adminKeyFile)).mtimeMs).toBe(adminKeyWritten);
    expect(second.output()).not.toContain('an admin API key was created');
    expect((await fetch(`${base}/v1/log`)).status).toBe(401);
    const { events } = (await (await fetch(`${base}/v1/log`, { headers: admin })).json()) as { events: Array<{ lsn: number; type: string }> };
    expect(events.map((e) => [e.lsn, e.type])).toEqual([
      [1, 'RoleGranted'],
      [2, 'DecisionCreated'],
      [3, 'VoteCast'],
      [4, 'VoteCast'],
      [5, 'VoteCast'],
      [6, 'VoteCast'],
    ]);
    const again = await send(`${base}/v1/decisions/restart/votes`, { voterId: 'a', option: 'no' }, ballotBox);
    expect(again.status).toBe(409);
    const next = (await (await send(`${base}/v1/decisions/restart/votes`, { voterId: 'd', option: 'no' }, ballotBox)).json()) as { lsn: number };
    expect(next.lsn).toBe(7);
    const after = (await (await fetch(`${base}/v1/decisions/restart/results?consistentWith=7`)).json()) as { votes: number };
    expect(after.votes).toBe(5);
    // The development wallet is kept in the data directory: the same subject signs in after the restart.
    const relogin = await runProofline(['login', '--dev-wallet', '--url', base], embeddedEnv());
    expect(relogin.code, relogin.stderr).toBe(0);
    expect(relogin.stderr).toContain(`signed in as ${subject}`);
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
