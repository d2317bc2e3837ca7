// A gateway in a process of its own, for the --gateways comparison: the gateway the bench measures
// (buildHttpApp on the PostgreSQL store, its appends counted) plus its membership (stream-owner-routing.ts),
// so that several such processes route each escrow's bills to the one that owns it.
//
// Parent side: startGatewayProcess starts the bench's entry file again with --gateway-process (the settings,
// digest key included, in its environment, not on its command line) and resolves once the child prints its
// address. stop() closes the child's stdin; the child then leaves the membership, closes, and prints the
// counters of the escrow streams it wrote as its last stdout line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildHttpApp, DEFAULT_RATE_LIMITS, type RateLimits } from '../../gateways/http/app.ts';
import { StreamOwners } from '../../gateways/http/stream-owner-routing.ts';
import { openDatabase } from '../../infra/db/database.ts';
import { PostgresGatewayMembers } from '../../infra/db/postgres-gateway-members.ts';
import { PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore } from '../../infra/db/postgres-session-store.ts';
import { createPostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { CountingEventStore, type StreamCounters } from './counting-store.ts';

/**
 * One platform's key bills every crawl of a phase: the per-key limit (DEFAULT_RATE_LIMITS, a deployment's
 * choice) is lifted so that a longer run measures billing, not the limit. The limiter still counts each request.
 */
export const BENCH_RATE_LIMITS: RateLimits = { ...DEFAULT_RATE_LIMITS, keyPerMinute: Number.MAX_SAFE_INTEGER };

const ENTRY_SCRIPT = fileURLToPath(new URL('../crawl.ts', import.meta.url));
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEC_ENV = 'PROOFLINE_BENCH_CRAWL_GATEWAY';

export type GatewayProcessSpec = { databaseUrl: string; poolSize: number; digestKeyHex: string; authDomain: string };

export type GatewayProcess = {
  url: string;
  memberId: string;
  pid: number;
  /** Stops the process; resolves with the counters of every stream it appended to, by stream id. */
  stop(): Promise<Record<string, StreamCounters>>;
};

/** Parent side: a gateway process, once it listens and has joined the membership. */
export function startGatewayProcess(spec: GatewayProcessSpec): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY_SCRIPT, '--gateway-process'], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, [SPEC_ENV]: JSON.stringify(spec) },
  });
  const lines = createInterface({ input: child.stdout! });
  const received: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<GatewayProcess>((resolve, reject) => {
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the gateway process exited (code ${code}) before it listened`)));
    lines.on('line', (line) => {
      received.push(line);
      if (received.length !== 1) return;
      const { url, memberId } = JSON.parse(line) as { url: string; memberId: string };
      resolve({
        url,
        memberId,
        pid: child.pid!,
        async stop() {
          child.stdin!.end();
          const code = await exited;
          const last = received[received.length - 1];
          if (code !== 0 || received.length < 2 || !last) throw new Error(`the gateway process ${memberId} ended with code ${code} without its counters`);
          return JSON.parse(last) as Record<string, StreamCounters>;
        },
      });
    });
  });
}

/** Child side (started with --gateway-process): serves until its stdin closes, then prints its counters. */
export async function runGatewayProcess(): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV] ?? '') as GatewayProcessSpec;
  const db = openDatabase(spec.databaseUrl, { poolSize: spec.poolSize });
  const postgresStore = createPostgresEventStore(db);
  const store = new CountingEventStore(postgresStore);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const owners = new StreamOwners({ members: new PostgresGatewayMembers(db.pool), memberSecret: Buffer.from(spec.digestKeyHex, 'hex'), logger });
  const app = await buildHttpApp({
    eventStore: store,
    idempotency: new PostgresIdempotencyStore(db.pool),
    sessions: new PostgresSessionStore(db.pool),
    apiKeys: new PostgresApiKeyStore(db.pool),
    auth: { domain: spec.authDomain, chainId: 31337, sessionTtlMs: 3_600_000, digestKey: Buffer.from(spec.digestKeyHex, 'hex') },
    rateLimits: BENCH_RATE_LIMITS,
    streamOwners: owners,
  });
  // One address: a process of its own is reached directly, with no shared port in front of it.
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await owners.start(url);
  process.stdout.write(`${JSON.stringify({ url, memberId: owners.memberId })}\n`);

  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await owners.stop();
  await app.close();
  await postgresStore.close();
  await db.close();
  process.stdout.write(`${JSON.stringify(store.allCounters())}\n`);
}
