// Chaos on the embedded default: `proofline start` (embedded PostgreSQL and anvil) under a mixed load of
// votes, bills and reviews is SIGKILLed, restarted, and again, `rounds` times. Writes cut off by a kill
// are retried with their Idempotency-Key after the restart, as a client would. At the end every
// acknowledged write must be in the log exactly once, nothing counted twice, the read models equal to a
// rebuild and the log anchored and verified on chain (`proofline audit verify --rebuild`).
// Used by `npm run chaos` (bench/chaos.ts) and, with fewer rounds, by the suite.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import path from 'node:path';
import { freePort, runningEmbeddedPostgresUrl } from '../../local/embedded-postgres.ts';
import { startProofline, waitFor, type RunningProcess } from '../process.ts';
import { auditVerifies } from './audit.ts';
import { MixedLoad } from './mixed-load.ts';

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
    const load = await MixedLoad.prepare(base, admin);

    const recoveryMs: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const running = load.start(options.workers);
      // The load runs for loadMs: a duration, not a wait for something to happen.
      await pause(options.loadMs);
      await platform!.stop('SIGKILL');
      await running.stop();
      recoveryMs.push(await start());
      // What the kill cut off, sent again with the same key: recorded once, whether or not it went through.
      const retried = await load.settle(30_000);
      log(`round ${round}: ${load.acknowledged.length} acknowledged so far, ${retried} retried after the kill`);
    }
    const { acknowledged, lost, duplicated } = await load.ledger();

    // Read models equal to a rebuild, every event anchored and proven on chain.
    const rpcUrl = /"rpcUrl":"(http:[^"]+)"/.exec(platform!.output())?.[1];
    const databaseUrl = runningEmbeddedPostgresUrl(path.join(dataDir, 'postgres'));
    if (!rpcUrl || !databaseUrl) throw new Error('cannot find the embedded chain or database to audit');
    const audit = await auditVerifies({ ...env, DATABASE_URL: databaseUrl, CHAIN_RPC_URL: rpcUrl });
    return {
      scenario: 'embedded default: SIGKILL of `proofline start` under votes, bills and reviews',
      rounds: options.rounds,
      acknowledged,
      lost,
      duplicated,
      recoveryMs,
      auditVerified: audit.verified,
      auditOutput: audit.output,
    };
  } finally {
    await platform?.stop('SIGTERM').catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}
