// Where the EventAnchor of each chain lives, remembered in PostgreSQL (migration group 'chain'), so that every
// process of a deployment anchors to the same contract without ANCHOR_CONTRACT being set.
import type { Knex } from 'knex';
import { migrate, type Database, type Migration } from '../db/database.ts';

export const CHAIN_MIGRATION_GROUP = 'chain';
export const EVENT_ANCHOR_CONTRACT = 'EventAnchor';

export const chainMigrations: readonly Migration[] = [
  {
    name: '0001_chain_deployments',
    async up(knex: Knex) {
      await knex.schema.createTable('chain_deployments', (table) => {
        table.text('chain_id').notNullable();
        table.text('contract').notNullable();
        table.text('address').notNullable();
        table.text('tx_hash').notNullable();
        table.timestamp('deployed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.primary(['chain_id', 'contract']);
      });
    },
    async down(knex: Knex) {
      await knex.schema.dropTable('chain_deployments');
    },
  },
];

export type RememberedDeployment = { chainId: bigint; contract: string; address: string; txHash: string; deployedAt: Date };

type Row = { chain_id: string; contract: string; address: string; tx_hash: string; deployed_at: Date };

export async function migrateChain(db: Database): Promise<void> {
  await migrate(db.knex, CHAIN_MIGRATION_GROUP, chainMigrations);
}

/**
 * Runs `work` while holding a session advisory lock for the chain's deployments, so that processes starting
 * together neither race on the migrations nor each deploy a contract (one deploys, the others then find it).
 */
export async function withDeploymentLock<T>(db: Database, chainId: bigint, work: () => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  const key = `proofline.chain-deployments.${chainId}`;
  try {
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      return await work();
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  } finally {
    client.release();
  }
}

export async function rememberedDeployment(db: Database, chainId: bigint, contract = EVENT_ANCHOR_CONTRACT): Promise<RememberedDeployment | undefined> {
  const row = (await db.knex<Row>('chain_deployments').where({ chain_id: chainId.toString(), contract }).first()) as Row | undefined;
  return row && { chainId: BigInt(row.chain_id), contract: row.contract, address: row.address, txHash: row.tx_hash, deployedAt: row.deployed_at };
}

/** Records a deployment unless one is already recorded for the chain; returns the one that is recorded now. */
export async function rememberDeployment(
  db: Database,
  deployment: { chainId: bigint; address: string; txHash: string; contract?: string },
): Promise<RememberedDeployment> {
  const contract = deployment.contract ?? EVENT_ANCHOR_CONTRACT;
  await db
    .knex('chain_deployments')
    .insert({ chain_id: deployment.chainId.toString(), contract, address: deployment.address, tx_hash: deployment.txHash })
    .onConflict(['chain_id', 'contract'])
    .ignore();
  const recorded = await rememberedDeployment(db, deployment.chainId, contract);
  if (!recorded) throw new Error(`chain_deployments lost the row for chain ${deployment.chainId} ${contract}`);
  return recorded;
}
