// The read models as the query routes see them (ports/read-models.ts): each projection's queries over the
// read-model database, and how far each projection got.
import { listGrants } from '../../projections/access/queries.ts';
import * as assets from '../../projections/assets/queries.ts';
import { decisionResults, listDecisions } from '../../projections/governance/queries.ts';
import { dailyTotals, escrowOf, listCrawls, participantRole } from '../../projections/crawl/queries.ts';
import { payoutProof, settlementBatch } from '../../projections/crawl/settlement.ts';
import { leaderboard, ledger, ledgerProof, listQuests, metrics, monthRoot, player, playerRank, quest, submitterOf, tokenTotals } from '../../projections/impact/queries.ts';
import { createWatermarkWatch, DEFAULT_CONSISTENCY_MAX_WAITERS, watermark } from '../../projections/runtime/index.ts';
import { certifications, companyExists, companyScore, engagements, scoreForCommands, watchList } from '../../projections/workplace/queries.ts';
import type { ReadModels } from '../../ports/read-models.ts';
import type { SqlDatabase } from '../../ports/sql.ts';

export type ReadModelsOptions = {
  /** Requests that may wait for a read model at once (CONSISTENCY_MAX_WAITERS); more are answered 503 `busy`. */
  maxWaiters?: number;
  /** Time between two reads of a watched projection's watermark. Default 20 ms. */
  pollIntervalMs?: number;
};

export function readModelsOf(db: SqlDatabase, options: ReadModelsOptions = {}): ReadModels {
  const sql = db.knex;
  // One watermark read per projection and poll interval, however many requests wait.
  const watch = createWatermarkWatch({
    read: (projection) => watermark(db, projection),
    maxWaiters: options.maxWaiters ?? DEFAULT_CONSISTENCY_MAX_WAITERS,
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
  return {
    governance: {
      decisionResults: (decisionId) => decisionResults(sql, decisionId),
      listDecisions: (options) => listDecisions(sql, options),
    },
    workplace: {
      companyExists: (companyId) => companyExists(sql, companyId),
      companyScore: (companyId) => companyScore(sql, companyId),
      scoreForCommands: (companyId) => scoreForCommands(sql, companyId),
      watchList: (options) => watchList(sql, options),
      certifications: (companyId) => certifications(sql, companyId),
      engagements: (companyId) => engagements(sql, companyId),
    },
    crawl: {
      participantRole: (participantId) => participantRole(sql, participantId),
      escrowOf: (platformId) => escrowOf(sql, platformId),
      dailyTotals: (who, range) => dailyTotals(sql, who, range),
      listCrawls: (options) => listCrawls(sql, options),
      settlementBatch: (day) => settlementBatch(sql, day),
      payoutProof: (publisherId, day) => payoutProof(sql, publisherId, day),
    },
    access: {
      listGrants: (options) => listGrants(sql, options),
    },
    impact: {
      player: (playerId) => player(sql, playerId),
      leaderboard: (region, options) => leaderboard(sql, region, options),
      playerRank: (region, playerId, options) => playerRank(sql, region, playerId, options),
      listQuests: (options) => listQuests(sql, options),
      quest: (questId) => quest(sql, questId),
      submitterOf: (submissionId) => submitterOf(sql, submissionId),
      ledger: (options) => ledger(sql, options),
      monthRoot: (month) => monthRoot(sql, month),
      ledgerProof: (entryId) => ledgerProof(sql, entryId),
      metrics: (options) => metrics(sql, options),
      tokenTotals: () => tokenTotals(sql),
    },
    assets: {
      asset: (assetId) => assets.asset(sql, assetId),
      listAssets: (options) => assets.listAssets(sql, options),
      provenance: (assetId, options) => assets.provenance(sql, assetId, options),
      wallet: (address) => assets.wallet(sql, address),
      walletTransactions: (address, options) => assets.walletTransactions(sql, address, options),
      marketDaily: (options) => assets.marketDaily(sql, options),
      moneySupply: () => assets.moneySupply(sql),
      pendingPurchases: (startedBefore, limit, after) => assets.pendingPurchases(sql, startedBefore, limit, after),
      pendingStakes: (before, limit) => assets.pendingStakes(sql, before, limit),
    },
    watermark: (projection) => watermark(db, projection),
    waitFor: (projection, lsn, timeoutMs) => watch.waitFor(projection, lsn, timeoutMs),
  };
}
