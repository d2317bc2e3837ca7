// Finds the real servers the integration tests run against, in parallel. Tests never skip for want of one:
// if a server cannot be had, this setup throws with the reason and the run fails.
// - PostgreSQL: PROOFLINE_TEST_DATABASE_URL, else the machine's own server on 127.0.0.1:5432, else an embedded
//   one started here.
// - Kafka: KAFKA_BROKERS (checked reachable), else an Apache Kafka broker started here (infra/local/kafka.ts)
//   in a temporary directory, stopped in teardown.
// - Schema registry: SCHEMA_REGISTRY_URL (checked reachable), else an Apicurio Registry started here
//   (infra/local/registry.ts). Outside CI a registry that cannot start fails only the specs that need it
//   (testSchemaRegistryUrl() throws the reason); under CI=true it fails the run.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startKafka, waitForKafka } from '../local/kafka.ts';
import { startRegistry, waitForRegistry } from '../local/registry.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    /** Comma-separated `host:port` list; read it with testKafkaBrokers() from infra/testing/kafka.ts. */
    kafkaBrokers: string;
    /** Read it with testSchemaRegistryUrl() from infra/testing/schema-registry.ts. */
    schemaRegistry: { url: string } | { unavailable: string };
  }
}

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

type Provided<T> = { value: T; stop(): Promise<void> };

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function providePostgres(): Promise<Provided<string>> {
  const url = process.env.PROOFLINE_TEST_DATABASE_URL;
  if (url) {
    if (!(await reachable(url))) throw new Error(`PROOFLINE_TEST_DATABASE_URL is set but not reachable: ${url}`);
    return { value: url, stop: async () => {} };
  }
  if (await reachable(MACHINE_POSTGRES)) return { value: MACHINE_POSTGRES, stop: async () => {} };
  // Imported only when needed (infra/local/embedded-postgres.ts keeps its exit hooks out of this process).
  const { startEmbeddedPostgres } = await import('../local/embedded-postgres.ts');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-test-pg-'));
  await chmod(dataDir, 0o755); // as root, the server runs as the postgres user
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data') });
  return {
    value: embedded.url,
    async stop() {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function provideKafka(): Promise<Provided<string>> {
  const configured = process.env.KAFKA_BROKERS?.trim();
  if (configured) {
    const brokers = configured.split(',').map((broker) => broker.trim()).filter(Boolean);
    try {
      await waitForKafka(brokers, { timeoutMs: 15_000 });
    } catch (error) {
      throw new Error(`KAFKA_BROKERS is set but not reachable: ${(error as Error).message}`);
    }
    return { value: brokers.join(','), stop: async () => {} };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-test-kafka-'));
  // On failure the directory stays, with the broker's logs; the error names it and quotes their tail.
  const broker = await startKafka({ dataDir });
  return {
    value: broker.brokers.join(','),
    async stop() {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function provideRegistry(): Promise<Provided<{ url: string } | { unavailable: string }>> {
  const configured = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (configured) {
    try {
      await waitForRegistry(configured, { timeoutMs: 15_000 });
    } catch (error) {
      throw new Error(`SCHEMA_REGISTRY_URL is set but not reachable: ${(error as Error).message}`);
    }
    return { value: { url: configured }, stop: async () => {} };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-test-registry-'));
  try {
    const registry = await startRegistry({ dataDir });
    return {
      value: { url: registry.url },
      async stop() {
        await registry.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    const reason = `no schema registry: ${(error as Error).message}`;
    process.stderr.write(`proofline: ${reason.split('\n')[0]} (specs that need one will fail)\n`);
    return { value: { unavailable: reason }, stop: async () => {} };
  }
}

export default async function setup(project: TestProject) {
  const settled = await Promise.allSettled([providePostgres(), provideKafka(), provideRegistry()]);
  const [postgres, kafka, registry] = settled;
  if (postgres.status === 'rejected' || kafka.status === 'rejected' || registry.status === 'rejected') {
    const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.allSettled(started.map((server) => server.stop()));
    const reasons = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    const message = reasons.map((reason) => (reason instanceof Error ? reason.message : String(reason))).join('\n\n');
    throw new Error(`integration tests' servers could not be provided:\n${message}`, { cause: reasons[0] });
  }
  project.provide('postgresAdminUrl', postgres.value.value);
  project.provide('kafkaBrokers', kafka.value.value);
  project.provide('schemaRegistry', registry.value.value);
  return async () => {
    const results = await Promise.allSettled([postgres.value.stop(), kafka.value.stop(), registry.value.stop()]);
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the integration tests\' servers failed');
  };
}
