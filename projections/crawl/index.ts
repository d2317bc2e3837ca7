// The crawl context's read models.
import type { Projection } from '../projection.ts';

export const crawlProjections: readonly Projection[] = [];
