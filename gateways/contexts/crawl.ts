// The crawl context (seed 004: AI platforms pay publishers per crawl from escrow; daily settlement).
import type { CrawlEvent } from '../../events-schema/index.ts';
import { crawlProjection } from '../../projections/crawl/crawl-projection.ts';
import { crawlEventTypes } from '../../events-schema/crawl/events.ts';
import { crawlErrors } from '../http/routes/crawl-errors.ts';
import { crawlRoutes } from '../http/routes/crawl.ts';
import { defineContext } from './bounded-context.ts';

export const crawl = defineContext({
  name: 'crawl',
  eventTypes: crawlEventTypes,
  routes: crawlRoutes,
  errors: crawlErrors,
  projections: [crawlProjection],
  processes: [],
});
