// The crawl context's read models.
import type { Projection } from '../projection.ts';
import { crawlProjection } from './crawl-projection.ts';

export const crawlProjections: readonly Projection[] = [crawlProjection];
