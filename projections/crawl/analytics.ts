// The crawl read model as analysts query it (schema `analytics`, see runtime/analytics-views.ts). Money is
// integer micro-units of USDC, the settlement stablecoin (events-schema/crawl/events.ts: 1 USDC = 1 000 000):
// every amount column says so in its name. The escrow balance is the one GET /v1/platforms/:id/escrow gives
// (queries.ts escrowOf: deposited − billed + refunded).
import type { AnalyticsView } from '../projection.ts';

const participants: AnalyticsView = {
  name: 'crawl_participants',
  comment: 'One row per registered participant: a publisher (paid per crawl) or an AI platform (pays from its escrow).',
  columns: {
    participant_id: 'The participant id.',
    role: 'publisher or platform.',
    name: 'Its registered name.',
    price_per_crawl_micro_usdc: 'A publisher’s price of one crawl, in micro-USDC (1 USDC = 1000000); null for a platform.',
    registered_at: 'When it registered.',
  },
  select: 'select participant_id, role, name, price_per_crawl, registered_at from participants',
};

const escrows: AnalyticsView = {
  name: 'crawl_escrows',
  comment: 'One row per AI platform’s escrow: what it deposited, what crawls were billed and refunded, and its balance.',
  columns: {
    platform_id: 'The platform id.',
    platform_name: 'The platform’s registered name; null if its registration is not in the read model yet.',
    deposited_micro_usdc: 'Σ deposits, in micro-USDC (1 USDC = 1000000).',
    billed_micro_usdc: 'Σ crawls billed, in micro-USDC.',
    refunded_micro_usdc: 'Σ disputed crawls refunded, in micro-USDC.',
    balance_micro_usdc: 'What remains to pay crawls from: deposited − billed + refunded, in micro-USDC.',
    crawls: 'Crawls billed to it.',
  },
  select: `
    select e.platform_id, p.name, e.deposited, e.billed, e.refunded, e.deposited - e.billed + e.refunded, e.crawls
      from escrows e left join participants p on p.participant_id = e.platform_id`,
};

const crawls: AnalyticsView = {
  name: 'crawl_ledger',
  comment: 'One row per billed crawl, with its dispute and refund if any.',
  columns: {
    crawl_id: 'The crawl id.',
    platform_id: 'The platform that crawled (and pays).',
    publisher_id: 'The publisher crawled (and paid).',
    url: 'The URL crawled.',
    bytes: 'Bytes fetched.',
    amount_micro_usdc: 'What it was billed, in micro-USDC (1 USDC = 1000000).',
    billed_on: 'The UTC day of billing (the settlement day it counts in).',
    billed_at: 'When it was billed.',
    status: 'billed, disputed or refunded.',
    dispute_reason: 'The platform’s reason for disputing it; null if not disputed.',
    disputed_at: 'When it was disputed; null if not.',
    refunded_at: 'When it was refunded; null if not.',
    billed_lsn: 'Log sequence number of the bill (orders the ledger).',
  },
  select: `
    select crawl_id, platform_id, publisher_id, url, bytes, amount, day, billed_at, status, dispute_reason, disputed_at, refunded_at, billed_lsn
      from crawls`,
};

const publisherDays: AnalyticsView = {
  name: 'crawl_publisher_days',
  comment: 'One row per publisher and UTC day of billing: what its crawls earned that day; a refund counts on the day its crawl was billed.',
  columns: {
    publisher_id: 'The publisher id.',
    billed_on: 'The UTC day.',
    crawls: 'Crawls billed that day.',
    billed_micro_usdc: 'Σ billed that day, in micro-USDC (1 USDC = 1000000).',
    refunded_micro_usdc: 'Σ refunded of those crawls, in micro-USDC.',
    net_micro_usdc: 'billed − refunded: what the day’s settlement owes the publisher, in micro-USDC.',
  },
  select: 'select publisher_id, day, crawls, billed, refunded, billed - refunded from publisher_days',
};

export const crawlAnalyticsViews: readonly AnalyticsView[] = [participants, escrows, crawls, publisherDays];
