// Chaos on the embedded default: `proofline start` (embedded PostgreSQL and anvil) under a mixed load of
// votes, bills and reviews is SIGKILLed, restarted, and again, `rounds` times. Writes cut off by a kill
// are retried with their Idempotency-Key after the restart, as a client would. At the end every
// acknowledged write must be in the log exactly once, nothing counted twice, the read models equal to a
// rebuild and the log anchored and verified on chain (`proofline audit verify --rebuild`).
// Used by `npm run chaos` (bench/chaos.ts) and, with fewer rounds, by the suite.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, runningEmbeddedPostgresUrl } from '../../local/embedded-postgres.ts';
import { runProofline, startProofline, waitFor, type RunningProcess } from '../process.ts';

export type ChaosOptions = { rounds: number; loadMs: number; workers: number; log?: (line: string) => void };

export type ChaosReport = {
  scenario: string;
  rounds: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  /** Per restart: SIGKILL → /readyz 200, ms. */
  recoveryMs: number[];
  auditVerified: boolean;
  auditOutput: string;
};

type Write = { kind: 'vote' | 'bill' | 'review'; key: string; url: string; body: object; credential: string; businessKey: string; eventId?: string };

export async function embeddedCrashScenario(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-chaos-'));
  await chmod(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres`
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PROOFLINE_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: undefined, EVENTSTORE_URL: undefined, KAFKA_BROKERS: undefined, AUTH_SECRET: undefined, NODE_ENV: undefined, LOG_LEVEL: 'info', ANCHOR_INTERVAL_MS: '500', IDEMPOTENCY_CLAIM_TIMEOUT_MS: '2000' };
  let platform: RunningProcess | undefined;

  const start = async () => {
    platform = startProofline(['start'], env);
    const started = Date.now();
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok, 90_000, () => `proofline did not become ready:\n${platform!.output().slice(-4000)}`);
    return Date.now() - started;
  };

  try {
    await start();
    const admin = `Bearer ${(await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim()}`;
    const call = async (method: string, url: string, body: object | undefined, credential: string, key?: string) => {
      const response = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: credential, ...(body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const must = async (method: string, url: string, body: object | undefined, credential = admin) => {
      const answer = await call(method, url, body, credential);
      if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };

    // The market and the ballot: one decision (a ballot box names the voters), a publisher and a platform
    // with a deep escrow, a company, and a key per reviewer.
    await must('POST', '/v1/decisions', { decisionId: 'chaos', title: 'Chaos', options: ['yes', 'no'] });
    const ballotBox = `Bearer ${(await must('POST', '/v1/admin/keys', { role: 'ballot-box' })).key}`;
    await must('POST', '/v1/participants', { participantId: 'pub', role: 'publisher', name: 'Publisher' });
    await must('POST', '/v1/participants', { participantId: 'bot', role: 'platform', name: 'Crawler' });
    await must('PUT', '/v1/publishers/pub/price', { pricePerCrawl: 10 });
    await must('POST', '/v1/platforms/bot/deposits', { amount: 1_000_000_000_000 });
    await must('POST', '/v1/companies', { companyId: 'acme', name: 'Acme' });
    const reviewers: string[] = [];
    for (let i = 0; i < 300; i++) reviewers.push(`Bearer ${(await must('POST', '/v1/admin/keys', { role: 'auditor', subject: `reviewer-${i}` })).key}`);

    let sequence = 0;
    const nextWrite = (): Write | undefined => {
      const n = sequence++;
      switch (n % 3) {
        case 0:
          return { kind: 'vote', key: `v-${n}`, url: '/v1/decisions/chaos/votes', body: { voterId: `voter-${n}`, option: n % 2 ? 'yes' : 'no' }, credential: ballotBox, businessKey: `voter-${n}` };
        case 1:
          return { kind: 'bill', key: `b-${n}`, url: '/v1/crawls', body: { crawlId: `crawl-${n}`, platformId: 'bot', publisherId: 'pub', url: `https://pub.example/${n}`, bytes: 1000 }, credential: admin, businessKey: `crawl-${n}` };
        default: {
          const reviewer = reviewers.shift();
          if (!reviewer) return nextWrite();
          return { kind: 'review', key: `r-${n}`, url: '/v1/companies/acme/submissions', body: { scores: { managementQuality: 50, cultureEnvironment: 60, fairnessEquity: 70, transparency: 40, growthDevelopment: 55 } }, credential: reviewer, businessKey: reviewer };
        }
      }
    };

    const acknowledged: Write[] = [];
    let unanswered: Write[] = [];
    const send = async (write: Write): Promise<'sent' | 'in_progress'> => {
      try {
        const answer = await call('POST', write.url, write.body, write.credential, write.key);
        if (answer.status >= 200 && answer.status < 300) {
          write.eventId = String(answer.body.eventId ?? answer.body.submissionId);
          acknowledged.push(write);
        } else if (answer.status >= 500) unanswered.push(write);
        else if (answer.body.error === 'idempotency_key_in_progress') return 'in_progress';
        else throw new Error(`${write.kind} ${write.key}: ${answer.status} ${JSON.stringify(answer.body)}`);
        return 'sent';
      } catch (error) {
        if (error instanceof TypeError) unanswered.push(write); // the connection broke: the platform was killed
        else throw error;
        return 'sent';
      }
    };

    const recoveryMs: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const killAt = Date.now() + options.loadMs;
      let killed = false;
      const workers = Array.from({ length: options.workers }, async () => {
        while (!killed) {
          const write = nextWrite();
          if (write) await send(write);
        }
      });
      // The load runs for loadMs: a duration, not a wait for something to happen.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, killAt - Date.now())));
      await platform!.stop('SIGKILL');
      killed = true;
      await Promise.all(workers);
      const recovery = await start();
      recoveryMs.push(recovery);
      // What the kill cut off, sent again with the same key: recorded once, whether or not it went through.
      const retry = unanswered;
      unanswered = [];
      // A key whose request was cut off mid-way answers 409 in_progress until its claim times out: retried.
      for (const write of retry) {
        const deadline = Date.now() + 30_000;
        while ((await send(write)) === 'in_progress') {
          if (Date.now() > deadline) throw new Error(`${write.kind} ${write.key} stays in progress`);
          // A client's pause before it asks again.
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      if (unanswered.length > 0) throw new Error(`${unanswered.length} writes still unanswered after the restart`);
      log(`round ${round}: ${acknowledged.length} acknowledged so far, ${retry.length} retried after the kill, ready again in ${recovery} ms`);
    }

    // Every acknowledged write in the log exactly once.
    const seen = new Map<string, number>();
    const business = new Map<string, number>();
    for (let fromLsn = 1; ; ) {
      const { events } = (await must('GET', `/v1/log?fromLsn=${fromLsn}&limit=1000`, undefined)) as { events: { eventId: string; type: string; lsn: number; data: Record<string, unknown> }[] };
      if (events.length === 0) break;
      for (const event of events) {
        seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
        const key = event.type === 'VoteCast' ? String(event.data.voterId) : event.type === 'CrawlBilled' ? String(event.data.crawlId) : event.type === 'SubmissionScored' ? String(event.data.reviewerPseudonym) : undefined;
        if (key) business.set(`${event.type}:${key}`, (business.get(`${event.type}:${key}`) ?? 0) + 1);
      }
      fromLsn = events.at(-1)!.lsn + 1;
    }
    const lost = acknowledged.filter((write) => seen.get(write.eventId!) !== 1).length;
    const duplicated = [...business.values()].filter((count) => count > 1).length;

    // Read models equal to a rebuild, every event anchored and proven on chain.
    const rpcUrl = /"rpcUrl":"(http:[^"]+)"/.exec(platform!.output())?.[1];
    const databaseUrl = runningEmbeddedPostgresUrl(path.join(dataDir, 'postgres'));
    if (!rpcUrl || !databaseUrl) throw new Error('cannot find the embedded chain or database to audit');
    const audit = await waitFor(
      async () => {
        const result = await runProofline(['audit', 'verify', '--rebuild'], { ...env, DATABASE_URL: databaseUrl, CHAIN_RPC_URL: rpcUrl, LOG_LEVEL: 'warn' });
        return result.code === 0 ? result : false;
      },
      120_000,
      () => 'audit verify did not pass (the tail may not be anchored yet)',
    ).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
    return {
      scenario: 'embedded default: SIGKILL of `proofline start` under votes, bills and reviews',
      rounds: options.rounds,
      acknowledged: acknowledged.length,
      lost,
      duplicated,
      recoveryMs,
      auditVerified: audit.code === 0,
      auditOutput: `${audit.stdout}${audit.stderr}`.slice(-2000),
    };
  } finally {
    await platform?.stop('SIGTERM').catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}
