// The crawl context (seed 004: AI platforms pay publishers per crawl from escrow; daily settlement).
import type { CrawlEvent } from '../../events-schema/index.ts';
import { crawlProjection } from '../../projections/crawl/crawl-projection.ts';
import { eventTypesOf } from '../../projections/projection.ts';
import { crawlErrors } from '../http/routes/crawl-errors.ts';
import { crawlRoutes } from '../http/routes/crawl.ts';
import { defineContext } from './bounded-context.ts';

export const crawl = defineContext({
  name: 'crawl',
  eventTypes: eventTypesOf<CrawlEvent>({
    ParticipantRegistered: true,
    PublisherPriceSet: true,
    EscrowDeposited: true,
    CrawlBilled: true,
    CrawlDisputed: true,
    CrawlRefunded: true,
  }),
  routes: crawlRoutes,
  errors: crawlErrors,
  projections: [crawlProjection],
  processes: [],
});
