// The crawl context's error codes (merged into the registry in ../errors.ts).
import type { ErrorDefinition } from '../errors.ts';

export const crawlErrors = {} as const satisfies Record<string, ErrorDefinition>;
