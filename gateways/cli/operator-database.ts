// The database of a command an operator runs beside the platform (`proofline keys …`): DATABASE_URL, else
// the embedded PostgreSQL of the data directory — the running platform's server when the platform runs,
// else one started for the command and stopped when it is done.
import type { Config } from '../../infra/config.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from '../../infra/local/embedded-postgres.ts';
import { embeddedPostgresDir } from './platform.ts';

export async function withOperatorDatabase<T>(config: Pick<Config, 'databaseUrl' | 'dataDir'>, use: (db: Database) => Promise<T>): Promise<T> {
  const dataDir = embeddedPostgresDir(config);
  const running = config.databaseUrl ?? runningEmbeddedPostgresUrl(dataDir);
  const embedded = running ? undefined : await startEmbeddedPostgres({ dataDir });
  const db = openDatabase(running ?? embedded!.url, { poolSize: 2 });
  try {
    return await use(db);
  } finally {
    await db.close();
    await embedded?.stop();
  }
}
