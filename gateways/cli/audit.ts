// `proofline audit …`: an auditor's tools over the event log and the chain. The work is done by
// projections/anchoring/audit (verifyLog, checkReadModels, streamProofs), which return reports; this module
// parses arguments, opens the stores and the chain, prints the reports and picks the exit code.
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../../infra/config.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { openAnchorChain, rememberedDeployment, rpcChainId } from '../../infra/chain/index.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { checkReadModels, type ReadModelsReport } from '../../projections/anchoring/audit/read-model-check.ts';
import { streamProofs, type StreamProofs } from '../../projections/anchoring/audit/stream-proofs.ts';
import { verifyLog, type VerifyReport } from '../../projections/anchoring/audit/verify-log.ts';
import { leavesBetween } from '../../projections/anchoring/batch-store.ts';
import type { Projection } from '../../projections/projection.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { createProgress, silentProgress } from './progress.ts';

export const AUDIT_USAGE = `usage: proofline audit verify [--json] [--quiet] [--allow-unanchored-tail] [--rebuild]
       proofline audit stream <streamId> [--json]

  verify    replay the whole log, recompute every leaf and the root of every batch the contract holds;
            exit 1 on any mismatch (tampered, missing, extra, unanchored). Progress on stderr.
              --allow-unanchored-tail  events after the last anchored batch do not fail the audit
              --rebuild                also rebuild every read model into a shadow schema and compare
                                       it with the live one at the same LSN (nothing is swapped)
              --quiet                  no progress line
  stream    one stream's events with their leaves, batches and Merkle proofs, checked off-chain

  needs DATABASE_URL, CHAIN_RPC_URL, and ANCHOR_CONTRACT unless the database remembers the contract`;

export type AuditDeps = {
  db: Database;
  eventStore: EventStore;
  chain: AnchorChain;
  projections: readonly Projection[];
  write: (text: string) => void;
  /** Where the progress line goes; none when omitted. */
  progressTo?: NodeJS.WriteStream;
};

/** Runs `audit <subcommand> …` against open stores; answers the exit code. */
export async function runAudit(argv: string[], deps: AuditDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, quiet: { type: 'boolean' }, 'allow-unanchored-tail': { type: 'boolean' }, rebuild: { type: 'boolean' } },
  });
  const [subcommand, streamId] = positionals;
  if (subcommand === 'stream' && streamId) {
    const proofs = await streamProofs({ db: deps.db, eventStore: deps.eventStore, chain: deps.chain, streamId });
    deps.write(values.json ? `${JSON.stringify(proofs, null, 2)}\n` : formatStream(proofs));
    return proofs.events.every((event) => event.verifiesOffChain !== false) ? 0 : 1;
  }
  if (subcommand !== 'verify') throw new ConfigError(`proofline audit: expected verify or stream <streamId>\n${AUDIT_USAGE}`);

  const progress = values.quiet || !deps.progressTo ? silentProgress : createProgress({ label: 'verify', unit: 'events', stream: deps.progressTo });
  const report = await verifyLog({
    eventStore: deps.eventStore,
    chain: deps.chain,
    storedLeaves: (from, to) => leavesBetween(deps.db, from, to).catch(() => []),
    allowUnanchoredTail: values['allow-unanchored-tail'] ?? false,
    onProgress: ({ eventsDone, totalEvents }) => progress.update(eventsDone, totalEvents),
  });
  progress.finish();
  const readModels = values.rebuild ? await checkReadModels({ db: deps.db, eventStore: deps.eventStore, projections: deps.projections }) : undefined;
  const ok = report.ok && (readModels?.ok ?? true);
  deps.write(values.json ? `${JSON.stringify({ ok, contract: deps.chain.contractAddress, log: report, readModels }, null, 2)}\n` : formatVerify(report, readModels));
  return ok ? 0 : 1;
}

/** `proofline audit …` from the configuration: opens the database, the event store and the chain (read-only). */
export async function auditCommand(argv: string[], config: Config, logger: Logger, projections: readonly Projection[]): Promise<number> {
  if (!config.databaseUrl) throw new ConfigError('proofline audit needs DATABASE_URL');
  const db = openDatabase(config.databaseUrl, { poolSize: 4 });
  try {
    const eventStore = await openEventStore(config, db);
    const chain = await openAuditChain(config, db, logger);
    try {
      return await runAudit(argv, { db, eventStore, chain, projections, write: (text) => process.stdout.write(text), progressTo: process.stderr });
    } finally {
      await chain.close();
      await eventStore.close();
    }
  } finally {
    await db.close();
  }
}

/**
 * The contract the log was anchored to: ANCHOR_CONTRACT, else the one remembered in the database for this
 * chain — never a new deployment. The audit only makes eth_calls: without CHAIN_PRIVATE_KEY a throw-away key
 * stands in for the signer, which never signs anything.
 */
export async function openAuditChain(config: Config, db: Database, logger: Logger): Promise<AnchorChain> {
  if (!config.chainRpcUrl) throw new ConfigError('proofline audit needs CHAIN_RPC_URL: the chain the log is anchored on');
  let contractAddress = config.anchorContract;
  if (!contractAddress) {
    const chainId = await rpcChainId(config.chainRpcUrl, 10_000);
    const remembered = await rememberedDeployment(db, chainId).catch(() => undefined);
    if (!remembered) throw new ConfigError(`no EventAnchor is remembered for chain ${chainId} in this database: set ANCHOR_CONTRACT`);
    contractAddress = remembered.address;
  }
  const privateKey = config.chainPrivateKey ?? Wallet.createRandom().privateKey;
  return openAnchorChain({ rpcUrl: config.chainRpcUrl, privateKey, contractAddress, logger });
}

export function formatVerify(report: VerifyReport, readModels?: ReadModelsReport): string {
  const lines = report.mismatches.map((m) => `  ${m.kind.padEnd(10)} LSN ${m.fromLsn === m.toLsn ? m.fromLsn : `${m.fromLsn}..${m.toLsn}`}${m.batchId === null ? '' : ` (batch ${m.batchId})`}: ${m.message}`);
  for (const check of readModels?.projections ?? []) {
    for (const table of check.tables.filter((t) => !t.same)) {
      const side = (digest: typeof table.live) => (digest ? `${digest.rows} rows, md5 ${digest.hash}` : 'absent');
      lines.push(`  read-model ${check.projection}.${table.table} at LSN ${check.comparedAtLsn}: live ${side(table.live)}, rebuilt ${side(table.shadow)}`);
    }
  }
  const failures = report.ok ? 0 : report.mismatches.length;
  const summary =
    `${report.ok && (readModels?.ok ?? true) ? 'OK' : 'FAILED'}: ${report.eventsChecked} events checked, ${report.batchesChecked} batches ` +
    `(anchored to LSN ${report.anchoredToLsn}), ${failures} mismatches, ${Math.round(report.eventsPerSecond)} events/s` +
    (readModels ? `; read models: ${readModels.projections.length} rebuilt and compared, ${readModels.ok ? 'all equal' : 'DIFFERENT'}` : '');
  return [...lines, summary].join('\n') + '\n';
}

export function formatStream(proofs: StreamProofs): string {
  const lines = [`stream ${proofs.streamId} (${proofs.events.length} events), contract ${proofs.contract}`];
  for (const event of proofs.events) {
    lines.push(`LSN ${event.lsn}  revision ${event.revision}  ${event.type}  ${event.eventId}`);
    lines.push(`  data   ${event.data ? JSON.stringify(event.data) : `undecodable: ${event.decodeError}`}`);
    lines.push(`  leaf   ${event.leaf}`);
    if (event.status === 'pending') {
      lines.push(`  pending${event.batchId === null ? '' : ` (batch ${event.batchId} not on chain yet)`}`);
      continue;
    }
    lines.push(`  batch  ${event.batchId}  root ${event.root ?? 'absent on chain'}`);
    lines.push(`  proof  ${event.proof!.length === 0 ? '(none: the batch has one event)' : event.proof!.join('\n         ')}`);
    lines.push(`  ${event.verifiesOffChain ? 'verifies: the proof leads to the chain\'s root' : 'DOES NOT VERIFY against the chain\'s root'}`);
  }
  return lines.join('\n') + '\n';
}
