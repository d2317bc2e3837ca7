// The crawl read model from crawl events: participants, escrow totals, the crawl ledger, and per-day
// amounts per publisher (revenue, settlement) and per platform (spend). A batch's bills are inserted in one
// statement and its totals summed in memory and added in one statement per table.
import { crawlEventTypes, type CrawlEvent } from '../../events-schema/crawl/events.ts';
import type { SqlBinding, SqlTransaction } from '../../ports/sql.ts';
import { unhandledEvent, type Projection, type ProjectedEvent } from '../projection.ts';
import { crawlAnalyticsViews } from './analytics.ts';
import { crawlMigrations } from './migrations.ts';
import { dayOf } from '../read-model-values.ts';

export const CRAWL_PROJECTION = 'crawl';

type Totals = { crawls: number; billed: number; refunded: number };
type EscrowTotals = Totals & { deposited: number };
type CrawlRow = {
  crawl_id: string;
  platform_id: string;
  publisher_id: string;
  url: string;
  bytes: number;
  amount: number;
  day: string;
  billed_at: Date;
  status: string;
  dispute_reason: string | null;
  disputed_at: Date | null;
  refunded_at: Date | null;
  billed_lsn: number;
};

/** What one batch changes, gathered before it is written. */
class BatchChanges {
  readonly newCrawls = new Map<string, CrawlRow>();
  readonly escrows = new Map<string, EscrowTotals>();
  readonly publisherDays = new Map<string, Totals>();
  readonly platformDays = new Map<string, Totals>();

  add(platformId: string, publisherId: string, billedAt: number, change: Partial<EscrowTotals>) {
    const day = dayOf(billedAt);
    addTo(this.escrows, platformId, { crawls: 0, billed: 0, refunded: 0, deposited: 0 }, change);
    if (change.deposited) return;
    addTo(this.publisherDays, `${publisherId}\u0000${day}`, { crawls: 0, billed: 0, refunded: 0 }, change);
    addTo(this.platformDays, `${platformId}\u0000${day}`, { crawls: 0, billed: 0, refunded: 0 }, change);
  }
}

export const crawlProjection: Projection<CrawlEvent> = {
  name: CRAWL_PROJECTION,
  canHandle: crawlEventTypes,
  migrations: crawlMigrations,
  analyticsViews: crawlAnalyticsViews,
  async applyBatch(events, trx) {
    const changes = new BatchChanges();
    for (const projected of events) await applyOne(trx, projected, changes);
    await insertCrawls(trx, [...changes.newCrawls.values()]);
    await addEscrowTotals(trx, changes.escrows);
    await addDayTotals(trx, 'publisher_days', 'publisher_id', changes.publisherDays);
    await addDayTotals(trx, 'platform_days', 'platform_id', changes.platformDays);
  },
};

async function applyOne(trx: SqlTransaction, projected: ProjectedEvent<CrawlEvent>, changes: BatchChanges): Promise<void> {
  const { event } = projected;
  switch (event.type) {
    case 'ParticipantRegistered': {
      const { participantId, role, name, registeredAt } = event.data;
      // A price set before the registration arrived (different partitions) is kept.
      await trx('participants')
        .insert({ participant_id: participantId, role, name, registered_at: new Date(registeredAt) })
        .onConflict('participant_id')
        .merge(['role', 'name', 'registered_at']);
      return;
    }
    case 'PublisherPriceSet': {
      const { publisherId, pricePerCrawl, setAt } = event.data;
      // Same stream as its registration: the row exists unless the registration is still to come; a
      // placeholder holds the price until then.
      await trx('participants')
        .insert({ participant_id: publisherId, role: 'publisher', name: '', registered_at: new Date(setAt), price_per_crawl: pricePerCrawl })
        .onConflict('participant_id')
        .merge(['price_per_crawl']);
      return;
    }
    case 'EscrowDeposited':
      changes.add(event.data.platformId, '', event.data.depositedAt, { deposited: event.data.amount });
      return;
    case 'CrawlBilled': {
      const { crawlId, platformId, publisherId, url, bytes, amount, billedAt } = event.data;
      // A second bill of a crawl id is refused (parked) as the primary key refuses it across batches; inside one
      // batch it would otherwise replace the first bill's row while both were added to the totals.
      const earlier = changes.newCrawls.get(crawlId);
      if (earlier) throw new Error(`CrawlBilled at LSN ${projected.lsn}: crawl ${crawlId} is already billed at LSN ${earlier.billed_lsn}`);
      changes.newCrawls.set(crawlId, {
        crawl_id: crawlId,
        platform_id: platformId,
        publisher_id: publisherId,
        url,
        bytes,
        amount,
        day: dayOf(billedAt),
        billed_at: new Date(billedAt),
        status: 'billed',
        dispute_reason: null,
        disputed_at: null,
        refunded_at: null,
        billed_lsn: projected.lsn,
      });
      changes.add(platformId, publisherId, billedAt, { crawls: 1, billed: amount });
      return;
    }
    case 'CrawlDisputed': {
      const { crawlId, reason, disputedAt } = event.data;
      await updateCrawl(trx, changes, projected, crawlId, { status: 'disputed', dispute_reason: reason, disputed_at: new Date(disputedAt) });
      return;
    }
    case 'CrawlRefunded': {
      const { crawlId, platformId, publisherId, amount, billedAt, refundedAt } = event.data;
      await updateCrawl(trx, changes, projected, crawlId, { status: 'refunded', refunded_at: new Date(refundedAt) });
      changes.add(platformId, publisherId, billedAt, { refunded: amount });
      return;
    }
    default:
      return unhandledEvent(event);
  }
}

/** A bill of this batch is changed in memory; an earlier one in its row. A miss parks the stream. */
async function updateCrawl(trx: SqlTransaction, changes: BatchChanges, projected: ProjectedEvent<CrawlEvent>, crawlId: string, update: Partial<CrawlRow>) {
  const pending = changes.newCrawls.get(crawlId);
  if (pending) {
    Object.assign(pending, update);
    return;
  }
  const updated = await trx('crawls').where({ crawl_id: crawlId }).update(update);
  if (updated === 0) throw new Error(`${projected.event.type} at LSN ${projected.lsn} for unknown crawl ${crawlId}`);
}

async function insertCrawls(trx: SqlTransaction, rows: CrawlRow[]) {
  if (rows.length === 0) return;
  const column = <K extends keyof CrawlRow>(key: K) => rows.map((row) => row[key]);
  await trx.raw(
    `insert into crawls (crawl_id, platform_id, publisher_id, url, bytes, amount, day, billed_at, status, dispute_reason, disputed_at, refunded_at, billed_lsn)
     select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::date[], ?::timestamptz[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::bigint[])`,
    [
      column('crawl_id'),
      column('platform_id'),
      column('publisher_id'),
      column('url'),
      column('bytes'),
      column('amount'),
      column('day'),
      column('billed_at'),
      column('status'),
      column('dispute_reason'),
      column('disputed_at'),
      column('refunded_at'),
      column('billed_lsn'),
    ] as unknown as readonly SqlBinding[],
  );
}

// Keys are sorted: two workers adding to the same rows lock them in the same order, so never deadlock.
async function addEscrowTotals(trx: SqlTransaction, totals: Map<string, EscrowTotals>) {
  if (totals.size === 0) return;
  const keys = [...totals.keys()].sort();
  const pick = (field: keyof EscrowTotals) => keys.map((key) => totals.get(key)![field]);
  await trx.raw(
    `insert into escrows (platform_id, deposited, billed, refunded, crawls)
     select * from unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
     on conflict (platform_id) do update set
       deposited = escrows.deposited + excluded.deposited, billed = escrows.billed + excluded.billed,
       refunded = escrows.refunded + excluded.refunded, crawls = escrows.crawls + excluded.crawls`,
    [keys, pick('deposited'), pick('billed'), pick('refunded'), pick('crawls')],
  );
}

async function addDayTotals(trx: SqlTransaction, table: 'publisher_days' | 'platform_days', key: string, totals: Map<string, Totals>) {
  if (totals.size === 0) return;
  const keys = [...totals.keys()].sort();
  const pick = (field: keyof Totals) => keys.map((k) => totals.get(k)![field]);
  await trx.raw(
    `insert into ?? (??, day, crawls, billed, refunded)
     select * from unnest(?::text[], ?::date[], ?::bigint[], ?::bigint[], ?::bigint[])
     on conflict (??, day) do update set
       crawls = ??.crawls + excluded.crawls, billed = ??.billed + excluded.billed, refunded = ??.refunded + excluded.refunded`,
    [
      table,
      key,
      keys.map((k) => k.split('\u0000')[0]),
      keys.map((k) => k.split('\u0000')[1]),
      pick('crawls'),
      pick('billed'),
      pick('refunded'),
      key,
      table,
      table,
      table,
    ] as unknown as readonly SqlBinding[],
  );
}

function addTo<T extends Record<string, number>>(map: Map<string, T>, key: string, zero: T, change: Partial<T>) {
  const totals = map.get(key) ?? zero;
  for (const field of Object.keys(change) as (keyof T)[]) (totals[field] as number) += change[field] as number;
  map.set(key, totals);
}
