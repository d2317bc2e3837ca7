// Chaos on the distributed deployment: PostgreSQL, an Apache Kafka broker and anvil started here, and every
// role as its own `proofline` process (gateway, relay, one worker per projection, anchor). Under a mixed
// load of votes, bills and reviews, one fault at a time:
//   - the Kafka broker SIGKILLed mid-stream, restarted on its own data;
//   - PostgreSQL restarted under load: the gateway answers 503 `not_ready` at once while it is down;
//   - the chain stopped (anvil SIGSTOPped) for `chainStopMs`, then resumed;
//   - the anchorer SIGKILLed after it sent a batch and before it recorded it (automine off, so the kill
//     lands in that window every time), once with the transaction then mined, once with it dropped;
//   - every projection worker SIGKILLed mid-batch.
// Each scenario stops the load when its fault is over, sends the writes it cut off again with their keys,
// and measures recovery: fault over → the gateway acknowledges writes, every read model is at the log's
// head and the head is anchored. Then every acknowledged write must be in the log once, nothing counted
// twice, and `proofline audit verify --rebuild` must pass (roots on chain, read models equal to a rebuild).
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import path from 'node:path';
import { projections } from '../../../gateways/contexts/index.ts';
import { openDatabase, type Database } from '../../db/database.ts';
import { ANVIL_DEV_PRIVATE_KEYS, startAnvil, type Anvil } from '../../local/anvil.ts';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../local/embedded-postgres.ts';
import { signalGroup, startKafka, type KafkaHandle } from '../../local/kafka.ts';
import { processAlive } from '../../local/processes.ts';
import { watermark } from '../../../projections/runtime/index.ts';
import { startProofline, waitFor, type RunningProcess } from '../process.ts';
import { anvilRpc } from '../anvil-rpc.ts';
import { auditVerifies } from './audit.ts';
import { MixedLoad } from './mixed-load.ts';

export type DistributedOptions = {
  /** How long the load runs before each fault. */
  loadMs: number;
  workers: number;
  /** How long the chain stays stopped. */
  chainStopMs: number;
  /** How long Kafka and PostgreSQL stay down. */
  outageMs: number;
  /** The scenarios to run, in this order; all when omitted. */
  scenarios?: readonly DistributedScenario[];
  log?: (line: string) => void;
};

export const DISTRIBUTED_SCENARIOS = ['kafka', 'postgres', 'chain', 'anchorer', 'workers'] as const;
export type DistributedScenario = (typeof DISTRIBUTED_SCENARIOS)[number];

export type ScenarioReport = {
  scenario: string;
  /** Writes acknowledged during this scenario. */
  acknowledged: number;
  /** Over the whole log so far: acknowledged writes missing from it, business keys recorded twice. */
  lost: number;
  duplicated: number;
  /** Fault over → writes acknowledged, read models at the head, the head anchored. */
  recoveryMs: number;
  /** What else was measured (e.g. how fast the gateway refused while PostgreSQL was down). */
  observed: string;
  auditVerified: boolean;
  auditOutput: string;
};

const ROLES = [['gateway'], ['relay'], ...projections.filter((p) => p.name !== 'anchoring').map((p) => ['project', p.name]), ['anchor']] as const;

export async function distributedScenarios(options: DistributedOptions): Promise<ScenarioReport[]> {
  const log = options.log ?? (() => {});
  const root = await mkdtemp(path.join(tmpdir(), 'proofline-chaos-distributed-'));
  await chmod(root, 0o755); // as root, the embedded PostgreSQL runs as `postgres`
  const [pgPort, kafkaPort, controllerPort, gatewayPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const base = `http://127.0.0.1:${gatewayPort}`;
  let postgres: EmbeddedPostgresHandle | undefined;
  let kafka: KafkaHandle | undefined;
  let anvil: Anvil | undefined;
  let db: Database | undefined;
  const roles = new Map<string, RunningProcess>();

  const startPostgres = async () => (postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres'), port: pgPort }));
  const startBroker = async () => (kafka = await startKafka({ dataDir: path.join(root, 'kafka'), port: kafkaPort, controllerPort, heap: '384m' }));

  try {
    await Promise.all([startPostgres(), startBroker(), (async () => (anvil = await startAnvil()))()]);
    db = openDatabase(postgres!.url, { poolSize: 2 });
    const env: Record<string, string | undefined> = {
      DATABASE_URL: postgres!.url,
      KAFKA_BROKERS: kafka!.brokers.join(','),
      KAFKA_TOPIC_PREFIX: 'chaos',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      CHAIN_RPC_URL: anvil!.rpcUrl,
      CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEYS[0],
      PROOFLINE_DATA_DIR: path.join(root, 'platform'),
      PORT: String(gatewayPort),
      ANCHOR_INTERVAL_MS: '500',
      IDEMPOTENCY_CLAIM_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'info',
      EVENTSTORE_URL: undefined,
      AUTH_SECRET: undefined,
      NODE_ENV: undefined,
    };

    const startRole = async (role: readonly string[]) => {
      const name = role.join(' ');
      const proc = startProofline([...role], env);
      roles.set(name, proc);
      await waitFor(
        async () => {
          if (proc.child.exitCode !== null) throw new Error(`proofline ${name} exited with ${proc.child.exitCode}:\n${proc.output().slice(-3000)}`);
          return role[0] === 'gateway' ? (await fetch(`${base}/readyz`)).ok : /proofline is running/.test(proc.output());
        },
        120_000,
        () => `proofline ${name} did not start:\n${proc.output().slice(-3000)}`,
      );
    };
    const killRole = async (name: string) => {
      await roles.get(name)!.stop('SIGKILL');
      roles.delete(name);
    };
    // The anchor deploys the contract: it starts first so no two roles race to deploy.
    await startRole(['anchor']);
    await Promise.all(ROLES.filter((role) => role[0] !== 'anchor').map(startRole));

    const admin = `Bearer ${(await readFile(path.join(env.PROOFLINE_DATA_DIR!, 'admin.key'), 'utf8')).trim()}`;
    const load = await MixedLoad.prepare(base, admin);

    const rpc = (method: string, params: unknown[] = []) => anvilRpc(anvil!.rpcUrl, method, params);
    const headLsn = async () => Number((await db!.query<{ last_lsn: number }>('select last_lsn from event_log_head')).rows[0]?.last_lsn ?? 0);
    const caughtUp = async () => {
      const head = await headLsn();
      for (const projection of projections) if ((await watermark(db!, projection.name)) < head) return false;
      const { rows } = await db!.query<{ to_lsn: number | null }>(`select max(to_lsn) as to_lsn from anchor_batches where status = 'anchored'`);
      return Number(rows[0]?.to_lsn ?? 0) >= head;
    };
    const gatewayReady = async () => (await fetch(`${base}/readyz`)).ok;

    const reports: ScenarioReport[] = [];
    /** Load for loadMs, then `fault` (which returns when the fault is over, and what it observed), then recovery and checks. */
    const selected = new Set(options.scenarios ?? DISTRIBUTED_SCENARIOS);
    const scenario = async (key: DistributedScenario, name: string, fault: () => Promise<string>) => {
      if (!selected.has(key)) return;
      log(`${name}: load for ${options.loadMs} ms, then the fault`);
      const before = load.acknowledged.length;
      load.refusals.clear();
      const running = load.start(options.workers);
      await pause(options.loadMs);
      const observed = await fault();
      const over = Date.now();
      await running.stop();
      await waitFor(gatewayReady, 120_000, () => `the gateway does not answer after ${name}\n${roles.get('gateway')?.output().slice(-3000)}`);
      const retried = await load.settle(60_000);
      await waitFor(caughtUp, 180_000, () => `the read side did not catch up after ${name}:\n${[...roles].map(([role, proc]) => `--- ${role}\n${proc.output().slice(-1500)}`).join('\n')}`);
      const recoveryMs = Date.now() - over;
      const { lost, duplicated } = await load.ledger();
      const audit = await auditVerifies(env);
      const report = { scenario: name, acknowledged: load.acknowledged.length - before, lost, duplicated, recoveryMs, observed: observed + (retried ? `; ${retried} writes sent again` : ''), auditVerified: audit.verified, auditOutput: audit.output };
      log(`${name}: ${JSON.stringify({ ...report, auditOutput: undefined })}`);
      reports.push(report);
    };

    await scenario('kafka', 'Kafka broker SIGKILLed mid-stream, restarted', async () => {
      signalGroup(kafka!.pid, 'SIGKILL');
      await waitFor(async () => !processAlive(kafka!.pid), 30_000, () => 'the broker did not die');
      await pause(options.outageMs);
      const restarted = Date.now();
      await startBroker();
      return `broker down ${options.outageMs} ms, back in ${Date.now() - restarted} ms`;
    });

    await scenario('postgres', 'PostgreSQL restarted under load', async () => {
      await postgres!.stop();
      // While it is down, the gateway refuses at once: a write and a read, each answered 503 not_ready.
      const write = await load.call('POST', '/v1/decisions/chaos/votes', { voterId: 'probe', option: 'yes' }, admin, 'probe-while-down');
      const read = await load.call('GET', '/v1/decisions/chaos/results', undefined);
      await pause(options.outageMs);
      await startPostgres();
      const refusals = [...load.refusals].map(([code, count]) => `${count}× ${code}`).join(', ');
      return `while down: write ${write.status} ${String(write.body.error)} in ${write.ms} ms, read ${read.status} ${String(read.body.error)} in ${read.ms} ms (${refusals})`;
    });

    await scenario('chain', `chain stopped for ${options.chainStopMs / 1000} s`, async () => {
      process.kill(anvil!.pid, 'SIGSTOP');
      try {
        await pause(options.chainStopMs);
      } finally {
        process.kill(anvil!.pid, 'SIGCONT');
      }
      return 'anvil SIGSTOPped, then SIGCONTinued';
    });

    await scenario('anchorer', 'anchorer SIGKILLed between sending a batch and recording it', async () => {
      const outcomes: string[] = [];
      for (const then of ['mined', 'dropped'] as const) {
        await rpc('evm_setAutomine', [false]);
        await waitFor(
          async () => Object.keys(((await rpc('txpool_content')) as { pending: Record<string, unknown> }).pending).length > 0,
          60_000,
          () => `the anchorer sent no batch\n${roles.get('anchor')?.output().slice(-3000)}`,
        );
        await killRole('anchor');
        await rpc(then === 'mined' ? 'evm_mine' : 'anvil_dropAllTransactions');
        await rpc('evm_setAutomine', [true]);
        await startRole(['anchor']);
        outcomes.push(`killed with its transaction pending, which was then ${then}`);
      }
      return outcomes.join('; ');
    });

    await scenario('workers', 'every projection worker SIGKILLed mid-batch', async () => {
      const workers = [...roles.keys()].filter((name) => name.startsWith('project '));
      await waitFor(async () => (await caughtUp()) === false, 30_000, () => 'the workers never fell behind the head');
      await Promise.all(workers.map(killRole));
      const restarted = Date.now();
      await Promise.all(workers.map((name) => startRole(name.split(' '))));
      return `${workers.length} workers killed while behind the head, restarted in ${Date.now() - restarted} ms`;
    });

    return reports;
  } catch (error) {
    // A role that died on its own is usually the reason: say which, with what it printed last.
    const dead = [...roles].filter(([, proc]) => proc.child.exitCode !== null || proc.child.signalCode !== null);
    if (dead.length === 0) throw error;
    const report = dead.map(([role, proc]) => `--- proofline ${role} exited (${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.output().slice(-3000)}`).join('\n');
    throw new Error(`${(error as Error).message}\n${report}`, { cause: error });
  } finally {
    await Promise.allSettled([...roles.values()].map((proc) => proc.stop('SIGKILL')));
    await db?.close();
    if (anvil) {
      process.kill(anvil.pid, 'SIGCONT');
      await anvil.stop().catch(() => undefined);
    }
    await Promise.allSettled([kafka?.stop(), postgres?.stop()]);
    await rm(root, { recursive: true, force: true });
  }
}
