// The read models as the query routes see them (ports/read-models.ts): each projection's queries over the
// read-model database, and how far each projection got.
import { listGrants } from '../../projections/access/queries.ts';
import { decisionResults, listDecisions } from '../../projections/governance/queries.ts';
import { dailyTotals, escrowOf, listCrawls, participantRole } from '../../projections/crawl/queries.ts';
import { payoutProof, settlementBatch } from '../../projections/crawl/settlement.ts';
import { ReadModelTimeoutError, waitForWatermark, watermark } from '../../projections/runtime/index.ts';
import { certifications, companyExists, companyScore, engagements, scoreForCommands, watchList } from '../../projections/workplace/queries.ts';
import type { ReadModels } from '../../ports/read-models.ts';
import type { SqlDatabase } from '../../ports/sql.ts';

export function readModelsOf(db: SqlDatabase): ReadModels {
  const sql = db.knex;
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
    watermark: (projection) => watermark(db, projection),
    async waitFor(projection, lsn, timeoutMs) {
      try {
        return { reached: true, watermark: await waitForWatermark(db, projection, lsn, { timeoutMs }) };
      } catch (error) {
        if (error instanceof ReadModelTimeoutError) return { reached: false, watermark: error.reachedLsn };
        throw error;
      }
    },
  };
}
