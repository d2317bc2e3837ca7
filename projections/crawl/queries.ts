// What analysts and participants ask of the crawl read model. Amounts are bigint in PostgreSQL and exact
// JS numbers here (safe integers: the command side never records more).
import type { CrawlEntry, DayRange, DayTotals, Escrow } from '../../ports/read-models/crawl.ts';
import type { Sql } from '../../ports/sql.ts';
import { keysetCursor } from '../cursor.ts';
import { exact } from '../read-model-values.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { CRAWL_PROJECTION } from './crawl-projection.ts';

const schema = projectionSchema(CRAWL_PROJECTION);


export async function participantRole(knex: Sql, participantId: string): Promise<string | null> {
  const row = await knex.withSchema(schema).table('participants').where({ participant_id: participantId }).first('role');
  return (row?.role as string | undefined) ?? null;
}

export async function escrowOf(knex: Sql, platformId: string): Promise<Escrow | null> {
  const row = await knex.withSchema(schema).table('escrows').where({ platform_id: platformId }).first();
  if (!row) return null;
  const [deposited, billed, refunded] = [exact(row.deposited), exact(row.billed), exact(row.refunded)];
  return { platformId, deposited, billed, refunded, balance: deposited - billed + refunded, crawls: exact(row.crawls) };
}

/** Per day of billing, oldest first, within [from, to]; with the totals over those days. */
export async function dailyTotals(knex: Sql, who: { publisherId: string } | { platformId: string }, range: DayRange = {}) {
  const [table, key, id] = 'publisherId' in who ? ['publisher_days', 'publisher_id', who.publisherId] : ['platform_days', 'platform_id', who.platformId];
  const query = knex.withSchema(schema).table(table).where(key, id).orderBy('day');
  if (range.from) query.where('day', '>=', range.from);
  if (range.to) query.where('day', '<=', range.to);
  const rows = (await query.select(knex.raw(`to_char(day, 'YYYY-MM-DD') as day`), 'crawls', 'billed', 'refunded')) as Array<Record<string, string>>;
  const days: DayTotals[] = rows.map((row) => {
    const [billed, refunded] = [exact(row.billed!), exact(row.refunded!)];
    return { day: row.day!, crawls: exact(row.crawls!), billed, refunded, net: billed - refunded };
  });
  const total = days.reduce((sum, day) => ({ crawls: sum.crawls + day.crawls, billed: sum.billed + day.billed, refunded: sum.refunded + day.refunded, net: sum.net + day.net }), {
    crawls: 0,
    billed: 0,
    refunded: 0,
    net: 0,
  });
  return { days, total };
}

/** The crawl ledger, newest first, keyset-paged by the LSN of each bill (the cursor is opaque to clients). */
export async function listCrawls(
  knex: Sql,
  options: { platformId?: string; publisherId?: string; limit: number; cursor?: string },
): Promise<{ crawls: CrawlEntry[]; nextCursor: string | null }> {
  const query = knex.withSchema(schema).table('crawls').orderBy('billed_lsn', 'desc').limit(options.limit + 1);
  if (options.platformId) query.where('platform_id', options.platformId);
  if (options.publisherId) query.where('publisher_id', options.publisherId);
  if (options.cursor) query.where('billed_lsn', '<', crawlCursor.decode(options.cursor));
  const rows = (await query.select()) as Array<Record<string, unknown>>;
  const page = rows.slice(0, options.limit);
  return {
    crawls: page.map((row) => ({
      crawlId: row.crawl_id as string,
      platformId: row.platform_id as string,
      publisherId: row.publisher_id as string,
      url: row.url as string,
      bytes: exact(row.bytes as string),
      amount: exact(row.amount as string),
      status: row.status as CrawlEntry['status'],
      billedAt: (row.billed_at as Date).toISOString(),
      disputedAt: (row.disputed_at as Date | null)?.toISOString() ?? null,
      disputeReason: (row.dispute_reason as string | null) ?? null,
      refundedAt: (row.refunded_at as Date | null)?.toISOString() ?? null,
      lsn: exact(row.billed_lsn as string),
    })),
    nextCursor: rows.length > options.limit ? crawlCursor.encode(exact(page[page.length - 1]!.billed_lsn as string)) : null,
  };
}

/** What each publisher is owed for the crawls billed on `day` (billed − refunded), those owed anything. */
export async function payoutsOfDay(knex: Sql, day: string): Promise<Array<{ publisherId: string; amount: number }>> {
  const rows = (await knex
    .withSchema(schema)
    .table('publisher_days')
    .where({ day })
    .whereRaw('billed > refunded')
    .select('publisher_id', knex.raw('billed - refunded as amount'))) as Array<{ publisher_id: string; amount: string }>;
  return rows.map((row) => ({ publisherId: row.publisher_id, amount: exact(row.amount) }));
}

const crawlCursor = keysetCursor('lsn');
