// Crawl billing events (seed 004). Filled in with the context.
export type CrawlEvent = never;
