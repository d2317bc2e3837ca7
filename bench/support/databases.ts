// Throw-away databases on the benchmark server: `bench_<random>`, created per run and dropped at the end,
// also when a run fails or the process is interrupted.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The benchmark server when BENCH_DATABASE_URL is not set: the local PostgreSQL with trust auth. */
export const DEFAULT_BENCH_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchDatabase = { name: string; url: string };

export class BenchDatabases {
  private readonly live = new Set<string>();

  constructor(private readonly adminUrl: string) {}

  async create(): Promise<BenchDatabase> {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    await this.admin(`create database ${name}`);
    this.live.add(name);
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return { name, url: url.toString() };
  }

  async drop(name: string): Promise<void> {
    // FORCE: a child killed mid-run may leave connections behind.
    await this.admin(`drop database if exists ${name} with (force)`);
    this.live.delete(name);
  }

  /** Drops every database this instance created and has not dropped yet; reports failures, never throws. */
  async dropAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const name of [...this.live]) {
      await this.drop(name).catch((error: unknown) => problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`));
    }
    return problems;
  }

  private async admin(statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
